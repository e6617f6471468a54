"""Orders in the back-office: the list with its search and filters, and an order's page with
what was returned and refunded of each line."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from refunds.services import refund_create, refund_mark_refunded
from returns.models import ReturnStatus
from shop.models import Order
from tests.factories import CustomerFactory, make_order
from tests.returns.admin.helpers import make_return

pytestmark = pytest.mark.django_db

ORDERS = "/admin/shop/order/"


def order_page(order):
    return reverse("admin:shop_order_change", args=[order.pk])


def listed(client, query=""):
    response = client.get(f"{ORDERS}?{query}")
    assert response.status_code == 200
    return [order.number for order in response.context["cl"].result_list]


def test_anonymous_visitors_are_sent_to_the_login_page(anonymous, order):
    for url in (ORDERS, order_page(order)):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/admin/login/")


def test_staff_without_the_permission_are_refused(as_plain_staff, order):
    assert as_plain_staff.get(ORDERS).status_code == 403
    assert as_plain_staff.get(order_page(order)).status_code == 403


def test_the_search_finds_number_customer_and_email(as_agent, order, customer):
    # given
    other = make_order(
        [(1, "10.00")],
        customer=CustomerFactory(email="zoe@example.org", first_name="Zoé", last_name="Lambert"),
        email="zoe@example.org",
    )
    # when / then
    assert listed(as_agent, f"q={order.number}") == [order.number]
    assert listed(as_agent, "q=Lambert") == [other.number]
    assert listed(as_agent, "q=zoe@example.org") == [other.number]
    assert listed(as_agent, f"q={customer.email}") == [order.number]


def test_a_search_for_an_identifier_uses_no_substring_scan(as_agent, order, customer):
    # given: an identifier in another case, and a tracking number
    Order.objects.filter(pk=order.pk).update(outbound_tracking_number="3SABC0001")
    make_order([(1, "10.00")], customer=CustomerFactory(email="zoe@example.org"))
    # when
    with CaptureQueriesContext(connection) as captured:
        by_number = listed(as_agent, f"q={order.number.lower()}")
    by_tracking = listed(as_agent, "q=3SABC0001")
    # then: found exactly, and no query of the page searched with LIKE
    assert by_number == [order.number]
    assert by_tracking == [order.number]
    assert not [q["sql"] for q in captured.captured_queries if " LIKE " in q["sql"]]
    # a name is still searched as free text
    assert listed(as_agent, f"q={customer.last_name}") == [order.number]


def test_the_filters_by_status_and_date(as_agent, order, customer):
    # given
    placed = make_order(
        [(1, "10.00")],
        customer=customer,
        status=Order.Status.PLACED,
        delivered_at=None,
        placed_at=timezone.now() - timedelta(days=1),
    )
    # when / then
    assert listed(as_agent, "status__exact=placed") == [placed.number]
    assert listed(as_agent, "status__exact=delivered") == [order.number]
    since = urlencode({"placed_at__gte": str(timezone.localtime() - timedelta(days=7))})
    assert listed(as_agent, since) == [placed.number]


def test_orders_cannot_be_changed_added_or_deleted(as_agent, order):
    # when
    posted = as_agent.post(order_page(order), {"amount_paid": "0", "status": "cancelled"})
    # then
    assert posted.status_code == 403
    order.refresh_from_db()
    assert (order.status, order.amount_paid) == (Order.Status.DELIVERED, Decimal("81.00"))
    assert as_agent.get(f"{ORDERS}add/").status_code == 403
    assert as_agent.get(f"{ORDERS}{order.pk}/delete/").status_code == 403


def test_the_order_page_shows_lines_returned_and_refunded(as_manager, manager, order):
    # given: one of the two units of line A returned and refunded; line B requested
    ret = make_return(order, 1, 0, status=ReturnStatus.RECEIVED)
    refund = refund_create(actor=manager, ret=ret, idempotency_key="k-1")
    refund_mark_refunded(actor=manager, refund=refund, reference="TR-1")
    make_return(order, 0, 1)
    # when
    page = as_manager.get(order_page(order))
    # then
    assert page.status_code == 200
    rows = [
        (row.line.quantity, row.in_returns, row.returnable, row.refunded)
        for row in page.context["lines"]
    ]
    assert rows == [(2, 1, 1, Decimal("20.00")), (1, 1, 0, Decimal("0"))]
    assert [r.status for r in page.context["returns"]] == ["requested", "completed"]
    assert page.context["refunds"] == [refund]
    html = page.content.decode()
    assert "TR-1" in html
    assert ret.rma_number in html
    assert 'id="create-return"' not in html  # a refunds manager does not create returns


# Session, user, permissions (2), the count (capped), the page of orders with their customers and
# number of returns (the brands of the filter and the shop settings memoised:
# returns.selectors.backoffice.filter_brands, shop.memo.page_settings).
ORDERS_QUERIES = 6


def test_the_orders_list_makes_the_same_queries_for_5_or_50_rows(
    as_agent, customer, reasons, actions, shop_settings, django_assert_num_queries
):
    # given
    orders = [make_order([(1, "20.00")], customer=customer) for _ in range(5)]
    make_return(orders[0], 1)
    listed(as_agent)  # fills the memo of the brands' filter
    # when / then
    with django_assert_num_queries(ORDERS_QUERIES):
        assert len(listed(as_agent)) == 5
    for _ in range(45):
        make_order([(1, "20.00")], customer=CustomerFactory())
    with django_assert_num_queries(ORDERS_QUERIES):
        assert len(listed(as_agent)) == 50


ORDER_PAGE_QUERIES = 10  # the shop settings memoised (shop.memo.page_settings)


def test_the_order_page_makes_the_same_queries_for_one_line_or_many(
    as_agent, customer, reasons, actions, shop_settings, django_assert_num_queries
):
    # given
    small = make_order([(1, "20.00")], customer=customer)
    big = make_order([(2, "20.00")] * 8, customer=customer)
    make_return(big, 1, 1, 1, 1, 1, 1, 1, 1)
    make_return(big, 1, 1, 1)
    as_agent.get(order_page(small))  # fills the memo of the shop settings
    # when / then
    with django_assert_num_queries(ORDER_PAGE_QUERIES):
        assert as_agent.get(order_page(small)).status_code == 200
    with django_assert_num_queries(ORDER_PAGE_QUERIES):
        assert as_agent.get(order_page(big)).status_code == 200


def test_a_brand_added_or_deleted_shows_in_the_orders_filter_at_once(as_agent):
    # given: the filter's brands memoised by a first page
    from shop.models import Brand

    first = Brand.objects.create(code="south", name="South Shop")
    assert "South Shop" in as_agent.get(ORDERS).content.decode()
    # when
    second = Brand.objects.create(code="north", name="North Shop")
    html = as_agent.get(ORDERS).content.decode()
    # then: both, by id, as the stock filter lists them
    assert f"?brand__id__exact={first.pk}" in html
    assert html.index("South Shop") < html.index("North Shop")
    # when
    second.delete()
    # then
    assert "North Shop" not in as_agent.get(ORDERS).content.decode()
