"""An order's and a return's pages read through queries compiled once per connection
(portal.selectors, shop.compiled.CompiledModels): they answer what the ORM's own
queries answer, in every portal scope, and find nothing outside it."""

import pytest
from django.utils import timezone

from portal.selectors.orders import PortalScope, customer_of, portal_order
from portal.selectors.returns import (
    customer_events,
    portal_return,
    portal_return_number,
    portal_returns,
    return_lines,
)
from returns.models import Return, ReturnEvent, ReturnLabel, ReturnLine, ReturnStatus
from returns.selectors.labels import live_label
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


@pytest.mark.parametrize("who", ["customer", "guest"])
def test_the_label_pages_read_a_returns_number_in_the_scope_only(returns, order, other_order, who):
    # given: the customer's own return and a guest's verified order's
    own, guests = returns
    scope = PortalScope(
        customer_id=order.customer_id if who == "customer" else None,
        guest_order_id=other_order.pk if who == "guest" else None,
    )
    mine, theirs = (own, guests) if who == "customer" else (guests, own)
    # when
    found = portal_return_number(scope, mine.rma_number)
    # then: its number, status and order, nothing else read; the other one is not found
    assert (found.pk, found.rma_number, found.status, found.order_id) == (
        mine.pk,
        mine.rma_number,
        mine.status,
        mine.order_id,
    )
    assert found.get_deferred_fields() == {f.attname for f in Return._meta.concrete_fields} - {
        "id",
        "rma_number",
        "status",
        "order_id",
    }
    for number, in_scope in ((theirs.rma_number, scope), (mine.rma_number, PortalScope())):
        with pytest.raises(Return.DoesNotExist):
            portal_return_number(in_scope, number)


def test_the_live_label_is_the_newest_created_one_with_or_without_its_pdf(returns):
    # given: a cancelled label, then a live one, and another return's live label
    own, guests = returns
    ReturnLabel.objects.create(
        ret=own,
        carrier="demo",
        tracking_number="T-OLD",
        pdf=b"old",
        status="cancelled",
        cancelled_at=timezone.now(),
    )
    live = ReturnLabel.objects.create(
        ret=own, carrier="demo", tracking_number="T-LIVE", pdf=b"%PDF"
    )
    ReturnLabel.objects.create(ret=guests, carrier="demo", tracking_number="T-OTHER", pdf=b"x")
    # when
    light, full = live_label(own), live_label(own, with_pdf=True)
    # then
    assert (light.pk, full.pk) == (live.pk, live.pk)
    assert "pdf" in light.get_deferred_fields()
    assert bytes(full.pdf) == b"%PDF"
    # and without a live one, none
    live.status, live.cancelled_at = "cancelled", timezone.now()
    live.save()
    assert (live_label(own), live_label(own, with_pdf=True)) == (None, None)
