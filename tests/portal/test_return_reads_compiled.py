"""An order's and a return's pages read through queries compiled once per connection
(portal.selectors, shop.compiled.CompiledModels): they answer what the ORM's own
queries answer, in every portal scope, and find nothing outside it."""

import pytest

from portal.selectors.orders import PortalScope, customer_of, portal_order
from portal.selectors.returns import (
    customer_events,
    portal_return,
    portal_returns,
    return_lines,
)
from returns.models import Return, ReturnEvent, ReturnLine, ReturnStatus
from shop.models import Order
from tests.factories import OrderLineFactory, ReturnFactory, ReturnLineFactory

pytestmark = pytest.mark.django_db


def _orm_return(scope: PortalScope, rma_number: str) -> Return:
    """The page's read as the ORM wrote it before it was compiled: the reference."""
    return (
        portal_returns(scope)
        .select_related("order__customer", "order__brand", "action")
        .get(rma_number=rma_number)
    )


def _facts(ret: Return) -> tuple:
    order = ret.order
    return (ret.pk, ret.status, ret.refund_mode, order.pk, order.customer.pk, order.brand_id)


@pytest.fixture
def returns(order, other_order):
    own = ReturnFactory(order=order, status=ReturnStatus.APPROVED)
    guests = ReturnFactory(order=other_order, status=ReturnStatus.REQUESTED)
    return own, guests


@pytest.mark.parametrize("who", ["customer", "guest", "customer and guest"])
def test_each_scope_reads_what_the_orm_reads(returns, order, other_order, who):
    # given: the customer's own return, and another customer's order a guest verified
    own, guests = returns
    scope = PortalScope(
        customer_id=order.customer_id if "customer" in who else None,
        guest_order_id=other_order.pk if "guest" in who else None,
    )
    # when / then: each return the scope holds reads as the ORM's; one outside it is not found
    for ret, visible in ((own, "customer" in who), (guests, "guest" in who)):
        if visible:
            assert _facts(portal_return(scope, ret.rma_number)) == _facts(
                _orm_return(scope, ret.rma_number)
            )
        else:
            with pytest.raises(Return.DoesNotExist):
                portal_return(scope, ret.rma_number)


def test_another_customers_return_and_an_unknown_number_are_not_found(returns, order):
    own, guests = returns
    scope = PortalScope(customer_id=order.customer_id)
    for number in (guests.rma_number, "R-NOPE1234"):
        with pytest.raises(Return.DoesNotExist):
            portal_return(scope, number)
    # and an empty scope (staff without a customer) finds not even the customer's own
    with pytest.raises(Return.DoesNotExist):
        portal_return(PortalScope(), own.rma_number)


def test_the_lines_and_the_timeline_are_the_orms_in_order(returns, order, other_order):
    # given: two lines of the return, a line of another return, events seen and not
    own, guests = returns
    first, second = order.lines.order_by("id")
    lines = [
        ReturnLineFactory(ret=own, order_line=second, quantity=2),
        ReturnLineFactory(ret=own, order_line=first, quantity=1),
    ]
    ReturnLineFactory(ret=guests, order_line=OrderLineFactory(order=other_order))
    seen = [
        ReturnEvent.objects.create(ret=own, to_status="approved", visible_to_customer=True),
        ReturnEvent.objects.create(ret=own, note="Note", visible_to_customer=True),
    ]
    ReturnEvent.objects.create(ret=own, note="Staff only", visible_to_customer=False)
    ret = portal_return(PortalScope(customer_id=order.customer_id), own.rma_number)
    # when
    read = return_lines(ret)
    # then: the return's lines by id, with their items and reasons, no photos; ret.lines
    # answers them without a query (is_exchange_for_item)
    reference = list(
        ReturnLine.objects.filter(ret=own)
        .select_related("order_line__variant__product", "reason")
        .order_by("id")
    )
    assert [line.pk for line in read] == [line.pk for line in lines]
    assert [
        (line.quantity, line.order_line.variant.product.name, line.reason.code, line.ret)
        for line in read
    ] == [
        (line.quantity, line.order_line.variant.product.name, line.reason.code, ret)
        for line in reference
    ]
    assert [line.shown_photos for line in read] == [[], []]
    assert list(ret.lines.all()) == read
    assert [event.pk for event in customer_events(ret)] == [event.pk for event in seen]


@pytest.mark.parametrize("who", ["customer", "guest", "customer and guest"])
def test_an_order_reads_in_each_scope_as_the_orm_and_nowhere_else(order, other_order, who):
    # given: the customer's order, and another customer's a guest verified
    scope = PortalScope(
        customer_id=order.customer_id if "customer" in who else None,
        guest_order_id=other_order.pk if "guest" in who else None,
    )
    # when / then: an order of the scope is the ORM's (its customer and brand read with it);
    # one outside it, or an unknown number, is not found
    for each, visible in ((order, "customer" in who), (other_order, "guest" in who)):
        if visible:
            read = portal_order(scope, each.number)
            reference = scope.orders().select_related("customer", "brand").get(number=each.number)
            assert (read.pk, read.customer.email, read.brand_id, read.amount_paid) == (
                reference.pk,
                reference.customer.email,
                reference.brand_id,
                reference.amount_paid,
            )
        else:
            with pytest.raises(Order.DoesNotExist):
                portal_order(scope, each.number)
    with pytest.raises(Order.DoesNotExist):
        portal_order(scope, "NOPE-1")


def test_an_accounts_customer_is_read_once_and_kept_on_it(
    customer, customer_user, staff, django_assert_num_queries
):
    # given: the customer's account and a staff account without a customer, fresh from the db
    user, other = (type(customer_user).objects.get(pk=u.pk) for u in (customer_user, staff))
    # when / then: one query each, then user.customer answers without one
    with django_assert_num_queries(2):
        found, none = customer_of(user), customer_of(other)
    with django_assert_num_queries(0):
        assert (found, user.customer, user.customer.user) == (customer, customer, user)
        assert (none, customer_of(other)) == (None, None)
