"""Completing an exchange ships a replacement order for the chosen variant and takes its stock."""

from decimal import Decimal

import pytest

from returns.errors import ReturnError
from returns.models import Return, ReturnStatus
from returns.services import return_complete, return_receive
from shop.models import Order, StockMovement
from tests.factories import VariantFactory
from tests.returns.helpers import lines_of, return_in, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def larger(order):
    # The same price as the item returned: nothing to settle, so the return may be completed.
    variant = lines_of(order)[0].variant
    return VariantFactory(
        product=variant.product, option="L", price=Decimal("20.00"), stock_on_hand=5
    )


def test_completing_an_exchange_ships_a_replacement_order(staff, order, larger, notifications):
    # given: 3 announced, 2 came back
    ret = return_in(
        ReturnStatus.APPROVED, staff, order, 3, refund_mode="exchange", exchange_variant=larger
    )
    return_receive(actor=staff, ret=ret, received={ret.lines.get().pk: (2, None)})
    # when
    completed = return_complete(actor=staff, ret=Return.objects.get(pk=ret.pk))
    # then
    replacement = Order.objects.get(number=f"{order.number}-X1")
    assert Return.objects.get(pk=ret.pk).replacement_order == replacement
    assert completed.replacement_order == replacement
    assert (replacement.customer, replacement.email, replacement.currency) == (
        order.customer,
        order.email,
        order.currency,
    )
    assert (replacement.shipping_country, replacement.shipping_postcode) == (
        order.shipping_country,
        order.shipping_postcode,
    )
    assert replacement.status == Order.Status.PLACED
    assert replacement.amount_paid == Decimal("0.00")
    assert list(replacement.lines.values_list("variant", "quantity", "unit_price_paid")) == [
        (larger.pk, 2, Decimal("20.00"))
    ]
    larger.refresh_from_db()
    assert larger.stock_on_hand == 3
    movement = StockMovement.objects.get(kind="exchange")
    assert (movement.variant, movement.quantity, movement.key) == (
        larger,
        -2,
        f"return:{ret.pk}:exchange",
    )


def test_second_exchange_of_an_order_is_numbered_after_the_first(
    staff, order, larger, notifications
):
    for _ in range(2):
        ret = return_in(
            ReturnStatus.RECEIVED, staff, order, 1, refund_mode="exchange", exchange_variant=larger
        )
        return_complete(actor=staff, ret=ret)
    assert set(
        Order.objects.filter(number__startswith=f"{order.number}-X").values_list(
            "number", flat=True
        )
    ) == {f"{order.number}-X1", f"{order.number}-X2"}


def test_exchange_without_stock_is_refused_and_nothing_changes(staff, order, larger, notifications):
    # given
    ret = return_in(
        ReturnStatus.RECEIVED, staff, order, 3, refund_mode="exchange", exchange_variant=larger
    )
    larger.stock_on_hand = 2
    larger.save()
    before = snapshot(ret)
    sent = len(notifications.calls)
    # when
    with pytest.raises(ReturnError, match="Not enough stock"):
        return_complete(actor=staff, ret=ret)
    # then
    assert snapshot(ret) == before
    assert len(notifications.calls) == sent
    assert not Order.objects.filter(number__startswith=f"{order.number}-X").exists()
    larger.refresh_from_db()
    assert larger.stock_on_hand == 2


def test_money_back_completion_ships_nothing(staff, order, notifications):
    ret = return_in(ReturnStatus.RECEIVED, staff, order, 1)
    orders = Order.objects.count()
    completed = return_complete(actor=staff, ret=ret)
    assert completed.replacement_order is None
    assert Order.objects.count() == orders
    assert not StockMovement.objects.filter(kind="exchange").exists()


def test_exchange_with_nothing_received_ships_nothing(staff, order, larger, notifications):
    ret = return_in(
        ReturnStatus.APPROVED, staff, order, 1, refund_mode="exchange", exchange_variant=larger
    )
    return_receive(actor=staff, ret=ret, received={ret.lines.get().pk: (0, None)})
    completed = return_complete(actor=staff, ret=Return.objects.get(pk=ret.pk))
    assert completed.replacement_order is None
    assert not StockMovement.objects.filter(kind="exchange").exists()


def test_staff_may_exchange_for_another_product(staff, order, notifications):
    other = VariantFactory(stock_on_hand=4)
    ret = return_in(
        ReturnStatus.RECEIVED, staff, order, 1, refund_mode="exchange", exchange_variant=other
    )
    completed = return_complete(actor=staff, ret=ret)
    assert completed.replacement_order.lines.get().variant == other
