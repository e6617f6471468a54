"""The portal's create-return POST (the confirm of a draft) makes the same number of queries
whatever the customer's other orders and returns and the order's number of lines: the HTTP
suite measures it (bench/__main__.py, "portal create return (POST)") at 1,000 and 20,000
returns."""

import pytest

from notifications.models import Notification
from returns.models import Return, ReturnStatus
from tests.factories import OrderLineFactory, ReturnFactory, make_order
from tests.portal.helpers import form_data

pytestmark = pytest.mark.django_db

# The page: session, user, customer, the order, shop settings, the lines with their products
# and what is held of them (one query), the rules, the reasons (8; the items offered in
# exchange only when the draft asks for one or the form is shown again; the form's return only
# before a refusal). return_request, in its savepoint, checking on the page's settings, rules
# and reasons: the order locked, its lines with what is held and the key's return (one query),
# the return, its lines (one INSERT), its event, the webhooks, the email's row (one INSERT ...
# ON CONFLICT DO NOTHING) (9 with the savepoints). The session without the draft (3). 22 before
# the key's return came with the locked lines and the page's lines with what is held, 31
# before return_request took what the page read, 40 before the lines and the rules were read
# once a request.
CONFIRM_QUERIES = 20


def _confirm(client, order, reason="wrong-size"):
    rows = [(1, reason)] + [(0, "")] * (order.lines.count() - 1)
    client.post(f"/orders/{order.number}/return/", form_data(order, *rows))
    return client.post(f"/orders/{order.number}/return/confirm/")


def _another_order(customer, lines: int):
    order = make_order([(2, "10.00")] * lines, customer=customer, email=customer.email)
    return order


def test_confirming_makes_the_return_and_queues_its_email_in_a_fixed_number_of_queries(
    customer_client, order, django_assert_num_queries
):
    # given: the form filled in (its draft in the session)
    customer_client.post(f"/orders/{order.number}/return/", form_data(order, (1, "wrong-size")))
    # when
    with django_assert_num_queries(CONFIRM_QUERIES):
        response = customer_client.post(f"/orders/{order.number}/return/confirm/")
    # then
    ret = Return.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/returns/{ret.rma_number}/"
    assert (ret.order_id, ret.status) == (order.pk, ReturnStatus.REQUESTED)
    assert list(ret.lines.values_list("quantity", "reason__code")) == [(1, "wrong-size")]
    assert list(Notification.objects.filter(ret=ret).values_list("event", flat=True)) == [
        "requested"
    ]


@pytest.mark.parametrize("lines", [2, 6])
def test_the_confirm_reads_as_many_queries_with_more_orders_returns_and_lines(
    customer_client, customer, lines, django_assert_num_queries
):
    # given: 10 other orders of the customer, each with a return; an order of 2 or 6 lines,
    # two of them returned
    for _ in range(10):
        line = OrderLineFactory(order__customer=customer, quantity=2)
        ReturnFactory(order=line.order)
    bigger = _another_order(customer, lines)
    customer_client.post(
        f"/orders/{bigger.number}/return/",
        form_data(bigger, (1, "wrong-size"), (2, "wrong-size"), *[(0, "")] * (lines - 2)),
    )
    # when
    with django_assert_num_queries(CONFIRM_QUERIES):
        response = customer_client.post(f"/orders/{bigger.number}/return/confirm/")
    # then
    ret = Return.objects.get(order=bigger)
    assert response.status_code == 302
    assert response["Location"] == f"/returns/{ret.rma_number}/"
    assert sorted(ret.lines.values_list("quantity", flat=True)) == [1, 2]
    assert Notification.objects.filter(ret=ret).count() == 1
