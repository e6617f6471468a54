"""A return page's tracker and history written in Python (portal.rows.step_rows,
history_rows) are the template's loops they replaced, character for character, in both
languages: a step reached or not, the current one, a note of several lines to escape."""

from datetime import UTC, datetime

import pytest
from django.template import engines
from django.utils import translation

from portal.rows import history_rows, step_rows
from portal.selectors.returns import ProgressStep, TimelineEntry

# templates/portal/return_detail.html's two loops as they were before portal.rows.
STEPS_LOOP = """{% for step in steps %}
    <li class="step {{ step.state }} step-{{ step.status }}"{% if step.status == ret.status %} aria-current="step"{% endif %}>
      <span class="dot" aria-hidden="true"></span>
      <span class="step-text"><span class="step-label">{{ step.label }}</span>
        {% if step.at %}<span class="muted small">{{ step.at|date:"DATE_FORMAT" }}</span>{% endif %}</span>
    </li>
    {% endfor %}"""  # noqa: E501
HISTORY_LOOP = """{% for entry in timeline %}
    <li><time datetime="{{ entry.at|date:'c' }}" class="muted small">{{ entry.at|date:"DATETIME_FORMAT" }}</time>
      <span class="event-title">{{ entry.title }}</span>{% if entry.note %}<span class="event-note">{{ entry.note|linebreaksbr }}</span>{% endif %}</li>
  {% endfor %}"""  # noqa: E501

AT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 2 March in Paris: local time
STEPS = [
    ProgressStep(status="requested", label="Requested", state="done", at=AT),
    ProgressStep(status="approved", label="Approved <ok>", state="current", at=AT),
    ProgressStep(status="in_transit", label="On its way", state="upcoming"),
]
TIMELINE = [
    TimelineEntry(at=AT, title="Requested"),
    TimelineEntry(
        at=AT.replace(hour=8), title="Approved & sent", note="Two lines:\n<b>not</b> bold"
    ),
]


class _Return:
    status = "approved"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_tracker_and_history_are_the_templates(language):
    with translation.override(language):
        # when
        written = (step_rows(STEPS, "approved"), history_rows(TIMELINE))
        # then
        engine = engines["django"]
        expected = (
            engine.from_string(STEPS_LOOP).render({"steps": STEPS, "ret": _Return()}),
            engine.from_string(HISTORY_LOOP).render({"timeline": TIMELINE}),
        )
    assert written == expected


def test_the_rows_figures():
    # when
    with translation.override("en"):
        steps, history = step_rows(STEPS, "approved"), history_rows(TIMELINE)
    # then
    assert steps.count('aria-current="step"') == 1
    assert 'class="step current step-approved" aria-current="step"' in steps
    assert "Approved &lt;ok&gt;" in steps
    assert steps.count('<span class="muted small">') == 2  # the step not reached has no date
    assert '<time datetime="2026-03-02T00:30:00+01:00"' in history
    assert "Two lines:<br>&lt;b&gt;not&lt;/b&gt; bold" in history
    assert history.count('class="event-note"') == 1  # none for the entry without a note


# templates/portal/_quote.html's loop as it was before portal.rows.
QUOTE_LOOP = """{% load money %}{% for line in quote.lines %}
    <tr class="quote-{{ line.kind }}">
      <td>{{ line.label }}{% if line.quantity and line.unit_amount is not None %}<span class="muted small">{{ line.quantity }} \u00d7 {{ line.unit_amount|money:quote.currency }}</span>{% endif %}</td>
      <td class="num">{{ line.amount|money:quote.currency }}</td>
    </tr>
  {% endfor %}"""  # noqa: E501


def _quote():
    from decimal import Decimal

    from refunds.quotes import (
        CAP,
        CAP_NOT_NEGATIVE,
        DISCOUNT,
        FEE,
        ITEM,
        SHIPPING,
        Quote,
        QuoteLine,
    )

    lines = (
        QuoteLine(ITEM, Decimal("1039.98"), 2, Decimal("519.99"), subject="Boots <42>"),
        QuoteLine(ITEM, Decimal("0.00"), 0, Decimal("3.00"), subject="Socks"),
        QuoteLine(DISCOUNT, Decimal("-10.01"), subject="Boots <42>"),
        QuoteLine(SHIPPING, Decimal("6.00")),
        QuoteLine(FEE, Decimal("-4.50"), subject="postage", name_fr="Port", name_en="Postage"),
        QuoteLine(CAP, Decimal("0.00"), subject=CAP_NOT_NEGATIVE),
    )
    total = sum((line.amount for line in lines), Decimal("0"))
    zero = Decimal("0")
    return Quote("EUR", lines, items_total=total, shipping=zero, fee=zero, total=total)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_quotes_rows_are_the_templates(language):
    # given
    from portal.rows import quote_rows

    quote = _quote()
    with translation.override(language):
        # when
        written = quote_rows(quote)
        # then
        expected = engines["django"].from_string(QUOTE_LOOP).render({"quote": quote})
    assert written == expected


def test_the_quotes_figures():
    # given
    from portal.rows import quote_rows

    # when
    with translation.override("en"):
        written = quote_rows(_quote())
    # then
    assert '<span class="muted small">2 \u00d7 €519.99</span>' in written
    assert "<td>Boots &lt;42&gt;" in written
    assert "−€10.01" in written  # a deduction, exact to the cent
    assert written.count('<span class="muted small">') == 1  # 0 socks: no unit price
