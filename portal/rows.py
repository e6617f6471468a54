"""The portal's long lists' rows written as HTML in one Python pass, as the back-office's
lists are (returns/admin/lean.py): the template rendered a node, a context push and a
translation per cell of every row, most of a list page's time. The HTML is the templates'
element for element (`python -m bench.portal --save/--compare` checks pages before and after);
every figure and rule comes from where the template took it (the status tone from
shop_tags.status_tone, money from the money filter, the status's label from the model).
"""

import re
from collections.abc import Iterable
from typing import Any

from django.template.defaultfilters import date, linebreaksbr
from django.urls import reverse
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext, ngettext

from returns.models import Return, ReturnStatus
from shop.models import Order
from shop.templatetags.money import money
from shop.templatetags.shop_tags import status_tone

# A number made only of these is its own path segment (reverse() would quote nothing in it):
# its link is the page's one reverse() with the number put in; any other is reversed itself.
_PLAIN_NUMBER = re.compile(r"[A-Za-z0-9._-]+")
_SENTINEL = "PORTAL-ORDER-NUMBER"


def esc(value) -> str:
    """What a template writes of `{{ value }}`: localized (a number as the language writes
    it), escaped unless already safe."""
    return str(conditional_escape(localize(value)))


class _OrderLinks:
    """The order pages' links of a list: reverse() once, each number put in."""

    def __init__(self) -> None:
        self.template = reverse("order_detail", args=[_SENTINEL])

    def __call__(self, number: str) -> str:
        if _PLAIN_NUMBER.fullmatch(number):
            return esc(self.template.replace(_SENTINEL, number, 1))
        return esc(reverse("order_detail", args=[number]))


def _order_row(order: Any, link: str) -> str:
    """One `<li>` of templates/portal/orders.html (the loop's text, whitespace included), of
    an Order of customer_orders() (its item_count and return_count annotated)."""
    placed = date_format(localtime(order.placed_at), "DATE_FORMAT")
    items = ngettext("%(counter)s item", "%(counter)s items", order.item_count)
    returns = ""
    if order.return_count:
        counted = ngettext("%(counter)s return", "%(counter)s returns", order.return_count)
        returns = f'<span class="badge">{counted % {"counter": esc(order.return_count)}}</span>'
    return (
        f'\n    <li><a class="order-row" href="{link}">\n'
        '      <span class="order-main">\n'
        f'        <span class="order-number">{gettext("Order %(number)s") % {"number": esc(order.number)}}</span>\n'  # noqa: E501
        f'        <span class="muted small order-meta"><span>{gettext("Placed on %(date)s") % {"date": esc(placed)}}</span>\n'  # noqa: E501
        f"          <span>{items % {'counter': esc(order.item_count)}}</span></span>\n"
        "      </span>\n"
        '      <span class="order-side">\n'
        f'        <span class="badge {esc(status_tone(order))}">{esc(capfirst(order.get_status_display()))}</span>\n'  # noqa: E501
        f"        {returns}\n"
        "      </span>\n"
        f'      <span class="order-total num">{esc(money(order.amount_paid, order.currency))}</span>\n'  # noqa: E501
        '      <span class="chevron" aria-hidden="true">\u203a</span>\n'
        "    </a></li>\n    "
    )


def order_rows(orders: Iterable[Order]) -> SafeString:
    """My orders' rows (customer_orders' page: item_count and return_count annotated)."""
    link = _OrderLinks()
    return mark_safe("".join(_order_row(order, link(order.number)) for order in orders))


# A return's badge on its order's page: completed is done, refused or lapsed stops, cancelled
# is plain, the rest waits (the page's one place for it; the template wrote it inline).
_RETURN_TONES: dict[str, str] = {
    ReturnStatus.COMPLETED: "ok",
    ReturnStatus.REJECTED: "stop",
    ReturnStatus.EXPIRED: "stop",
    ReturnStatus.CANCELLED: "",
}


def _return_row(ret: Return, link: str) -> str:
    """One `<li>` of the Returns section of templates/portal/order_detail.html."""
    requested = date_format(localtime(ret.created_at), "DATE_FORMAT")
    tone = _RETURN_TONES.get(ret.status, "wait")
    return (
        f'\n      <li><a href="{link}" class="return-row">\n'
        f'        <span><span class="rma">{gettext("Return %(rma)s") % {"rma": esc(ret.rma_number)}}</span>\n'  # noqa: E501
        f'          <span class="muted small">{gettext("Requested on %(date)s") % {"date": esc(requested)}}</span></span>\n'  # noqa: E501
        f'        <span class="badge {tone}">{esc(ret.customer_status_label)}</span>\n'
        "      </a></li>\n      "
    )


def return_rows(returns: Iterable[Return]) -> SafeString:
    """The rows of an order's returns (order_returns)."""
    return mark_safe(
        "".join(
            _return_row(ret, esc(reverse("return_detail", args=[ret.rma_number])))
            for ret in returns
        )
    )


def _line_row(line: Any, currency: str) -> str:
    """One `<tr>` of the Items table of templates/portal/order_detail.html, of a line with
    `returned` set (the quantity live returns hold, order_detail's view)."""
    variant = line.variant
    option = f"{esc(variant.option)} \u00b7 " if variant.option else ""
    returned = ""
    if line.returned:
        held = ngettext(
            "%(counter)s returned or being returned",
            "%(counter)s returned or being returned",
            line.returned,
        )
        returned = f'<span class="small returned">{held % {"counter": esc(line.returned)}}</span>'
    return (
        "\n      <tr>\n"
        f'        <td><span class="item-name">{esc(variant.product.name)}</span>\n'
        f'          <span class="muted small">{option}{esc(variant.sku)}</span>\n'
        f"          {returned}</td>\n"
        f'        <td class="num">{esc(line.quantity)}</td>\n'
        f'        <td class="num">{esc(money(line.total_paid, currency))}</td>\n'
        "      </tr>\n    "
    )


def line_rows(lines: Iterable[Any], currency: str) -> SafeString:
    """The rows of an order's lines, its money in `currency` (the order's)."""
    return mark_safe("".join(_line_row(line, currency) for line in lines))


def _step_row(step: Any, current: str) -> str:
    """One `<li>` of a return page's tracker (templates/portal/return_detail.html), of a
    ProgressStep (portal.selectors.returns.progress_steps)."""
    here = ' aria-current="step"' if step.status == current else ""
    when = ""
    if step.at:
        when = f'<span class="muted small">{esc(date(localtime(step.at), "DATE_FORMAT"))}</span>'
    return (
        f'\n    <li class="step {esc(step.state)} step-{esc(step.status)}"{here}>\n'
        '      <span class="dot" aria-hidden="true"></span>\n'
        f'      <span class="step-text"><span class="step-label">{esc(step.label)}</span>\n'
        f"        {when}</span>\n"
        "    </li>\n    "
    )


def step_rows(steps: Iterable[Any], current: str) -> SafeString:
    """A return's tracker, the return's status `current`."""
    return mark_safe("".join(_step_row(step, current) for step in steps))


def _history_row(entry: Any) -> str:
    """One `<li>` of a return page's history, of a TimelineEntry (customer_timeline)."""
    at = localtime(entry.at)
    note = ""
    if entry.note:
        note = f'<span class="event-note">{linebreaksbr(entry.note, autoescape=True)}</span>'
    return (
        f'\n    <li><time datetime="{esc(date(at, "c"))}" class="muted small">'
        f"{esc(date(at, 'DATETIME_FORMAT'))}</time>\n"
        f'      <span class="event-title">{esc(entry.title)}</span>{note}</li>\n  '
    )


def history_rows(timeline: Iterable[Any]) -> SafeString:
    """A return's history, oldest first as customer_timeline gives it."""
    return mark_safe("".join(_history_row(entry) for entry in timeline))


def _quote_row(line: Any, currency: str) -> str:
    """One `<tr>` of templates/portal/_quote.html, of a refunds.quotes.QuoteLine."""
    unit = ""
    if line.quantity and line.unit_amount is not None:
        unit = (
            f'<span class="muted small">{esc(line.quantity)} \u00d7 '
            f"{esc(money(line.unit_amount, currency))}</span>"
        )
    return (
        f'\n    <tr class="quote-{esc(line.kind)}">\n'
        f"      <td>{esc(line.label)}{unit}</td>\n"
        f'      <td class="num">{esc(money(line.amount, currency))}</td>\n'
        "    </tr>\n  "
    )


def quote_rows(quote: Any) -> SafeString:
    """A refund quote's lines (refunds.quotes.Quote), its money in the quote's currency."""
    return mark_safe("".join(_quote_row(line, quote.currency) for line in quote.lines))
