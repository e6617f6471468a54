"""My orders and an order's page, with its Returns section."""

import uuid
from datetime import timedelta

import pytest
from django.utils import formats, timezone, translation

from returns.models import ReturnStatus
from returns.services import ReturnLineInput, return_request
from tests.factories import OrderFactory, OrderLineFactory, ReturnFactory, ReturnLineFactory

pytestmark = pytest.mark.django_db

RETURN_BUTTON = 'href="/orders/DEMO-1001/return/"'


def request_all(order):
    return return_request(
        idempotency_key=uuid.uuid4().hex,
        actor=order.customer.user,
        order=order,
        refund_mode="money_back",
        delivery_option="label",
        lines=[
            ReturnLineInput(order_line_id=line.pk, quantity=line.quantity, reason_code="wrong-size")
            for line in order.lines.all()
        ],
    )


def test_my_orders_lists_the_customers_orders_newest_first(customer_client, customer, other_order):
    # given
    now = timezone.now()
    old = OrderFactory(customer=customer, number="A-OLD", placed_at=now - timedelta(days=40))
    new = OrderFactory(
        customer=customer,
        number="A-NEW",
        placed_at=now - timedelta(days=2),
        status="shipped",
        delivered_at=None,
    )
    OrderLineFactory(order=new, quantity=3)
    # when
    response = customer_client.get("/orders/")
    # then
    assert response.status_code == 200
    assert [order.number for order in response.context["orders"]] == ["A-NEW", "A-OLD"]
    assert [(o.item_count, o.return_count) for o in response.context["orders"]] == [(3, 0), (0, 0)]
    page = response.content.decode()
    assert 'href="/orders/A-NEW/"' in page
    assert "Shipped" in page
    assert other_order.number not in page
    assert old.number in page


def test_my_orders_pages_hold_25_orders_newest_first(customer_client, customer):
    # given: 27 orders, a day apart
    now = timezone.now()
    for day in range(27):
        OrderFactory(customer=customer, number=f"P-{day:02}", placed_at=now - timedelta(days=day))
    # when
    first, second = (customer_client.get(f"/orders/?page={n}") for n in (1, 2))
    # then
    numbers = [[order.number for order in page.context["orders"]] for page in (first, second)]
    assert numbers == [[f"P-{day:02}" for day in range(25)], ["P-25", "P-26"]]
    assert (first.context["page"].paginator.count, first.context["page"].number) == (27, 1)
    assert "Page 1 of 2" in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()
    assert customer_client.get("/orders/?page=9").context["page"].number == 2  # the last


def test_my_orders_needs_an_account(client):
    # when
    response = client.get("/orders/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/orders/"


def test_an_account_without_confirmed_email_sees_how_to_confirm_it(client, other_order):
    # given: an account whose address has orders, not confirmed yet
    from tests.factories import UserFactory

    user = UserFactory(email="someone@example.com")
    client.force_login(user)
    # when
    response = client.get("/orders/")
    # then
    assert response.status_code == 200
    assert response.context["customer"] is None
    assert "Confirm your email address" in response.content.decode()


def _count_queries(client, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        response = client.get("/orders/")
    assert response.status_code == 200
    return response


def test_my_orders_query_count_does_not_grow_with_orders(
    customer_client, customer, shop_settings, django_assert_num_queries
):
    # given: 2 orders, then 20, each with lines and a return
    def add_orders(count):
        for _ in range(count):
            line = OrderLineFactory(order__customer=customer, quantity=2)
            OrderLineFactory(order=line.order)
            ReturnFactory(order=line.order)

    add_orders(2)
    # when / then: the first page reads the brand of the host name and the shop settings (the
    # layout's name when there is no brand) into the process's memo
    _count_queries(customer_client, django_assert_num_queries, 7)
    # then: session, user, customer, count, the page of orders
    few = _count_queries(customer_client, django_assert_num_queries, 5)
    add_orders(18)
    many = _count_queries(customer_client, django_assert_num_queries, 5)
    assert (len(few.context["orders"]), len(many.context["orders"])) == (2, 20)
    assert {order.return_count for order in many.context["orders"]} == {1}


def test_the_order_page_shows_its_lines_and_the_return_button(customer_client, order):
    # when
    response = customer_client.get("/orders/DEMO-1001/")
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "Organic cotton T-shirt" in page
    assert "Striped socks" in page
    assert "€58.47" in page  # the items 52.47 and the shipping 6.00
    assert RETURN_BUTTON in page
    assert response.context["eligibility"].returnable is True


def test_the_order_page_shows_money_the_french_way_in_french(customer_client, order):
    # when
    response = customer_client.get("/orders/DEMO-1001/", HTTP_ACCEPT_LANGUAGE="fr")
    # then
    assert 'lang="fr"' in response.content.decode()
    assert "58,47\u00a0€" in response.content.decode()


def test_the_order_page_lists_its_returns(customer_client, order):
    # given
    ret = request_all(order)
    # when
    response = customer_client.get("/orders/DEMO-1001/")
    # then
    page = response.content.decode()
    assert f'href="/returns/{ret.rma_number}/"' in page
    assert "We have your request" in page
    assert RETURN_BUTTON not in page
    assert "Every item of this order has already been returned or is being returned." in page


def test_another_customers_order_is_a_404(customer_client, other_order):
    # when
    response = customer_client.get(f"/orders/{other_order.number}/")
    # then
    assert response.status_code == 404


def test_an_unknown_order_is_a_404(customer_client, order):
    assert customer_client.get("/orders/NOPE/").status_code == 404


def test_returns_switched_off_remove_the_button_and_say_why(customer_client, order, shop_settings):
    # given
    shop_settings.returns_allowed = False
    shop_settings.save()
    # when
    page = customer_client.get("/orders/DEMO-1001/").content.decode()
    # then
    assert RETURN_BUTTON not in page
    assert "Returns cannot be requested online at the moment." in page


def test_past_the_window_the_page_gives_the_date_it_closed(customer_client, order):
    # given: delivered 31 days ago with a 30-day window
    delivered = timezone.now() - timedelta(days=31)
    order.delivered_at = delivered
    order.save()
    # when
    response = customer_client.get("/orders/DEMO-1001/")
    # then
    closed = timezone.localtime(delivered + timedelta(days=30)).date()
    with translation.override("en"):
        closed_on = formats.date_format(closed)
    assert RETURN_BUTTON not in response.content.decode()
    assert response.context["eligibility"].reason == (
        f"The return window of 30 days after delivery closed on {closed_on}."
    )


def test_an_order_not_delivered_yet_cannot_be_returned(customer_client, order):
    # given
    order.delivered_at = None
    order.status = "shipped"
    order.save()
    # when
    response = customer_client.get("/orders/DEMO-1001/")
    # then
    assert RETURN_BUTTON not in response.content.decode()
    assert response.context["eligibility"].reason == (
        "This order has not been delivered yet. You can return items once they arrive."
    )


def test_a_cancelled_return_frees_the_items_again(customer_client, order):
    # given
    from returns.services import return_cancel

    ret = request_all(order)
    return_cancel(actor=order.customer.user, ret=ret)
    # when
    response = customer_client.get("/orders/DEMO-1001/")
    # then
    assert RETURN_BUTTON in response.content.decode()
    assert ret.rma_number in response.content.decode()
    assert type(ret).objects.get(pk=ret.pk).status == ReturnStatus.CANCELLED


def _order_page_queries(client, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        response = client.get("/orders/DEMO-1001/")
    assert response.status_code == 200
    return response


def test_the_order_page_query_count_does_not_grow_with_its_returns(
    customer_client, order, django_assert_num_queries
):
    # given: 5 returns of the order, then 50, in varied statuses, one kept (its own label)
    statuses = [ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.RECEIVED]

    def add_returns(count):
        for index in range(count):
            ReturnFactory(order=order, status=statuses[index % 3], keep_item=index == 2)

    add_returns(5)
    customer_client.get("/orders/DEMO-1001/")  # the settings, default brand, rules: the memo
    # when / then: session, user, customer, the order, its lines with what live returns hold
    # of each (one query: returns.selectors.returnable_lines; the rules take them), the
    # returns (7 when the quantities held were a query apart, 8 when the page read the active
    # rules each time)
    few = _order_page_queries(customer_client, django_assert_num_queries, 6)
    add_returns(45)
    many = _order_page_queries(customer_client, django_assert_num_queries, 6)
    assert (len(few.context["returns"]), len(many.context["returns"])) == (5, 50)
    # the kept return's badge says so without a query of its own
    assert "Nothing to send back: you keep the items" in many.content.decode()


def test_the_order_page_query_count_is_the_same_at_1_and_5_lines_and_returns(
    customer_client, customer, shop_settings, django_assert_num_queries
):
    # given: an order of 1 line with 1 return, one of 5 lines with 5 returns (one line each,
    # 1 of 2 units held: 1 left to return per line)
    def order_of(count):
        first = OrderLineFactory(order__customer=customer, quantity=2)
        lines = [first] + [
            OrderLineFactory(order=first.order, quantity=2) for _ in range(count - 1)
        ]
        for line in lines:
            ReturnLineFactory(ret=ReturnFactory(order=first.order), order_line=line, quantity=1)
        return first.order

    small, big = order_of(1), order_of(5)
    customer_client.get(f"/orders/{small.number}/")  # settings, default brand, rules: the memo
    # when / then: session, user, customer, the order, its lines with the quantities held,
    # the returns, at both sizes
    pages = []
    for order in (small, big):
        with django_assert_num_queries(6):
            pages.append(customer_client.get(f"/orders/{order.number}/"))
    # then: each line says 1 returned, and the return button is there (1 left per line)
    for page, count in zip(pages, (1, 5), strict=True):
        assert [line.returned for line in page.context["lines"]] == [1] * count
        assert page.context["eligibility"].remaining == {
            line.pk: 1 for line in page.context["lines"]
        }
        assert len(page.context["returns"]) == count


@pytest.mark.parametrize(
    ("status", "badge"),
    [("delivered", "badge ok"), ("cancelled", "badge "), ("shipped", "badge wait")],
)
def test_an_orders_status_badge_has_the_same_tone_in_my_orders_and_on_its_page(
    customer_client, customer, status, badge
):
    # given
    OrderFactory(customer=customer, number="A-TONE", status=status)
    label = {"delivered": "Delivered", "cancelled": "Cancelled", "shipped": "Shipped"}[status]
    expected = f'<span class="{badge}">{label}</span>'
    # when
    listed = customer_client.get("/orders/").content.decode()
    page = customer_client.get("/orders/A-TONE/").content.decode()
    # then
    assert expected in listed
    assert expected in page
