"""The orders list keeps its rows by their values (returns.admin.kept): the same page again is
the same HTML from the rows it made before, and an order whose data changed is made afresh."""

from unittest import mock

import pytest

from returns.admin import orders
from returns.models import ReturnStatus
from shop.models import Order
from tests.returns.admin.helpers import make_return

pytestmark = pytest.mark.django_db

ORDERS = "/admin/shop/order/"


@pytest.fixture(autouse=True)
def _no_rows_kept():
    orders._ROWS.clear()
    yield
    orders._ROWS.clear()


def _page(client, query=""):
    """The list's table, and how many orders it made into instances."""
    made: list[int] = []
    real = orders._ORDERS_PAGE.fetched

    def fetched(*args, **kwargs):
        rows, make = real(*args, **kwargs)

        def counted(some):
            made.append(len(some))
            return make(some)

        return rows, counted

    with mock.patch.object(orders._ORDERS_PAGE, "fetched", fetched):
        response = client.get(f"{ORDERS}{query}")
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<table id="result_list">')
    return html[start : html.index("</table>", start)], sum(made)


def test_the_same_page_again_makes_no_order(as_agent, order):
    # given
    first, made = _page(as_agent)
    # when
    again, made_again = _page(as_agent)
    sorted_page, _made = _page(as_agent, "?o=2")
    # then: the same table; its one order made once, its link following the list's sort
    assert made == 1
    assert made_again == 0
    assert again == first
    assert order.number in first
    assert "_changelist_filters=o%3D2" in sorted_page
    assert "_changelist_filters" not in first


def test_an_order_whose_returns_or_status_changed_is_made_afresh(as_agent, order):
    # given
    before, _made = _page(as_agent)
    assert '<td class="field-returns_count">-</td>' in before
    # when: a return made, then the order cancelled behind the page
    make_return(order, 1, 0, status=ReturnStatus.REQUESTED)
    with_return, made = _page(as_agent)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    cancelled, made_cancelled = _page(as_agent)
    # then
    assert made == 1
    assert '<td class="field-returns_count">1</td>' in with_return
    assert made_cancelled == 1
    assert "badge-cancelled" in cancelled
