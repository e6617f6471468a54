"""The overview keeps what a row shows (its money state, its cells) by the row's values: the same
page again writes the same HTML without computing a quote, and a row whose data changed is
computed afresh, never shown stale."""

import re
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from refunds import money as refunds_money
from refunds.services import refund_settle
from returns.admin import returns as overview
from returns.models import Return, ReturnStatus
from tests.returns.admin.helpers import make_return

pytestmark = pytest.mark.django_db

OVERVIEW = "/admin/returns/return/"


@pytest.fixture(autouse=True)
def _no_rows_kept():
    overview._ROWS.clear()
    yield
    overview._ROWS.clear()


# What differs between two answers of the same page: each request's CSP nonce and CSRF token.
_PER_REQUEST = re.compile(r'(nonce|name="csrfmiddlewaretoken" value)="[^"]*"')


def _same_html(one, other) -> bool:
    def bare(response):
        return _PER_REQUEST.sub(r'\1=""', response.content.decode())

    return bare(one) == bare(other)


def _page(client, **headers):
    """The overview's HTML, and the returns whose money state it computed."""
    computed: list[int] = []
    real = refunds_money.money_for_returns

    def counted(returns):
        computed.extend(ret.pk for ret in returns)
        return real(returns)

    with mock.patch.object(overview, "money_for_returns", counted):
        response = client.get(OVERVIEW, **headers)
    assert response.status_code == 200
    return response, sorted(computed)


def test_the_same_page_again_is_the_same_html_with_no_quote_computed(as_agent, order):
    # given: two returns, one received
    first = make_return(order, 1, 0)
    second = make_return(order, 0, 1, status=ReturnStatus.RECEIVED)
    before, computed_before = _page(as_agent)
    # when
    after, computed_after = _page(as_agent)
    # then: the same bytes, the same states; the second page computed none
    assert computed_before == sorted([first.pk, second.pk])
    assert computed_after == []
    assert _same_html(after, before)
    states = {row.pk: row.money for row in after.context["cl"].result_list}
    assert {pk: str(state.quote_total) for pk, state in states.items()} == {
        first.pk: "20.00",
        second.pk: "35.00",
    }
    assert len(overview._ROWS.rows) == 2


def test_a_row_whose_refund_changed_is_computed_again(as_agent, manager, order):
    # given: a received return, its page seen once, not refunded
    ret = make_return(order, 1, 0, status=ReturnStatus.RECEIVED)
    other = make_return(order, 0, 1)
    before, _computed = _page(as_agent)
    assert '<span class="refund-state refund-not_refunded">' in before.content.decode()
    # when: it is refunded
    refund_settle(actor=manager, ret=ret, reference="TR-1", idempotency_key="k1")
    after, computed = _page(as_agent)
    # then: its row (and its order's other return: the order's refunds are its facts too) is
    # computed afresh and shows the refund; nothing stale is shown
    html = after.content.decode()
    assert computed == sorted([ret.pk, other.pk])
    assert '<span class="refund-state refund-refunded">' in html
    states = {row.pk: row.money for row in after.context["cl"].result_list}
    assert states[ret.pk].refunded == Decimal("20.00")
    assert states[ret.pk].left_to_refund == Decimal("0.00")


def test_a_row_whose_status_changed_is_computed_again(as_agent, order):
    # given
    ret = make_return(order, 1, 0)
    _page(as_agent)
    # when: its status changes behind the page (another process)
    Return.objects.filter(pk=ret.pk).update(status=ReturnStatus.CANCELLED)
    after, computed = _page(as_agent)
    # then
    assert computed == [ret.pk]
    assert '<span class="badge badge-cancelled"' in after.content.decode()
    assert after.context["cl"].result_list[0].money.live is False


def test_each_language_has_its_own_cells(as_agent, order):
    # given: the page seen in English
    make_return(order, 1, 0)
    english, _computed = _page(as_agent, HTTP_ACCEPT_LANGUAGE="en")
    # when
    french, computed = _page(as_agent, HTTP_ACCEPT_LANGUAGE="fr")
    again, computed_again = _page(as_agent, HTTP_ACCEPT_LANGUAGE="en")
    # then: French is computed in French, English again from what was kept
    assert len(computed) == 1
    assert computed_again == []
    assert "not refunded" in english.content.decode()
    assert "not refunded" not in french.content.decode()
    assert _same_html(again, english)


def test_a_kept_row_shows_its_age_of_the_day(as_agent, order):
    # given: a return made today, its page seen once
    make_return(order, 1, 0)
    today, _computed = _page(as_agent)
    assert '">today</span>' in today.content.decode()
    # when: the same page a day later
    later = timezone.now() + timedelta(days=1, minutes=1)
    with mock.patch.object(overview.timezone, "now", return_value=later):
        tomorrow, computed = _page(as_agent)
    # then: the kept row (no quote computed) with its new age
    html = tomorrow.content.decode()
    assert computed == []
    assert '">1 day</span>' in html
    assert '">today</span>' not in html


def test_the_filters_panel_kept_per_query_string_and_language(as_agent, order):
    # given: the panel of the unfiltered page written once
    make_return(order, 1, 0)
    plain = as_agent.get(OVERVIEW).content.decode()
    # when
    filtered = as_agent.get(f"{OVERVIEW}?status__exact=requested").content.decode()
    french = as_agent.get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    plain_again = as_agent.get(OVERVIEW).content.decode()
    # then: each its own panel (its selected choice, its "clear all" link, its language)
    assert "changelist-filter-extra-actions" not in plain
    assert "changelist-filter-extra-actions" in filtered
    assert '<li class="selected"><a href="?status__exact=requested">' in filtered
    assert "Clear all filters" not in french
    assert '<h2 id="changelist-filter-header">Filtre</h2>' in french
    assert plain_again.count('<li class="selected">') == plain.count('<li class="selected">')
    assert "changelist-filter-extra-actions" not in plain_again


def test_kept_rows_are_bounded_and_a_page_stays_in_its_order():
    # given: room for two rows
    from types import SimpleNamespace

    from returns.admin.kept import KeptRows

    kept = KeptRows(size=2)
    made: list[list] = []

    def make(rows):
        made.append(list(rows))
        return [SimpleNamespace(pk=row[0]) for row in rows]

    # when: a page of two, then a page of three sharing one row
    first = kept.page([(1,), (2,)], make)
    second = kept.page([(3,), (2,), (4,)], make)
    # then: each page in its order; the shared row not made again; never more than two kept
    assert [row.pk for row in first] == [1, 2]
    assert [row.pk for row in second] == [3, 2, 4]
    assert second[1] is first[1]
    assert made == [[(1,), (2,)], [(3,), (4,)]]
    assert len(kept.rows) <= 2
