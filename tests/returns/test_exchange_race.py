"""Two customers' exchanges for the last unit approved at the same moment (PostgreSQL): the
stock held by the first refuses the second, and the stock never goes below zero."""

from decimal import Decimal

import pytest

from returns.errors import ReturnError
from returns.models import ExchangeReservation, Return, ReturnStatus
from returns.services import return_approve
from shop.models import StockMovement, Variant
from tests.factories import (
    OrderLineFactory,
    ReturnReasonFactory,
    VariantFactory,
    make_order,
    superuser,
)
from tests.fixtures.concurrency import race
from tests.returns.helpers import create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_exchanges_for_the_last_unit_one_is_approved(slow_outbox):
    # given: two customers each return a size M for the last L (stock 1), both requested
    first = make_order([(1, "20.00")])
    product = first.lines.get().variant.product
    second = make_order([])
    OrderLineFactory(order=second, variant=VariantFactory(product=product, option="M2"), quantity=1)
    last = VariantFactory(product=product, option="L", price=Decimal("20.00"), stock_on_hand=1)
    staff = superuser()
    reason = ReturnReasonFactory(code="wrong-size")  # flushed by an earlier transaction test
    returns = [
        create(staff, order, 1, reason=reason.code, refund_mode="exchange", exchange_variant=last)
        for order in (first, second)
    ]
    # when
    outcomes = race(*(lambda ret=ret: return_approve(actor=staff, ret=ret) for ret in returns))
    # then: one approved holding the unit, the other refused and still requested
    approved = [outcome for outcome in outcomes if isinstance(outcome, Return)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ReturnError)]
    assert (len(approved), len(refused)) == (1, 1), outcomes
    assert "Not enough stock" in refused[0].message
    statuses = sorted(Return.objects.values_list("status", flat=True))
    assert statuses == [ReturnStatus.APPROVED, ReturnStatus.REQUESTED]
    assert Variant.objects.get(pk=last.pk).stock_on_hand == 0
    assert list(StockMovement.objects.values_list("variant", "kind", "quantity")) == [
        (last.pk, "exchange_reserved", -1)
    ]
    held = ExchangeReservation.objects.get()
    assert (held.ret_id, held.quantity, held.status) == (approved[0].pk, 1, "held")


def test_two_exchanges_of_two_lines_race_for_the_last_unit_of_one_item(slow_outbox):
    # given: two customers each return a T-shirt (for the last L) and a pair of shoes (for a
    # 44, plenty in stock), both requested
    shoes = VariantFactory(option="42", price=Decimal("35.00"))
    first = make_order([(1, "20.00")])
    tshirt = first.lines.get().variant.product
    OrderLineFactory(order=first, variant=shoes, quantity=1, unit_price_paid=Decimal("35.00"))
    second = make_order([])
    OrderLineFactory(order=second, variant=VariantFactory(product=tshirt, option="M2"), quantity=1)
    OrderLineFactory(order=second, variant=shoes, quantity=1, unit_price_paid=Decimal("35.00"))
    last = VariantFactory(product=tshirt, option="L", price=Decimal("20.00"), stock_on_hand=1)
    plenty = VariantFactory(product=shoes.product, option="44", price=Decimal("35.00"))
    staff = superuser()
    reason = ReturnReasonFactory(code="wrong-size")
    returns = [
        create(
            staff,
            order,
            1,
            1,
            reason=reason.code,
            refund_mode="exchange",
            exchange_variant=[last, plenty],
        )
        for order in (first, second)
    ]
    # when
    outcomes = race(*(lambda ret=ret: return_approve(actor=staff, ret=ret) for ret in returns))
    # then: one approved holding one of each, the other refused holding nothing at all
    approved = [outcome for outcome in outcomes if isinstance(outcome, Return)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ReturnError)]
    assert (len(approved), len(refused)) == (1, 1), outcomes
    assert "Not enough stock" in refused[0].message
    held = ExchangeReservation.objects.order_by("variant_id")
    assert [(r.ret_id, r.variant_id, r.quantity, r.status) for r in held] == [
        (approved[0].pk, last.pk, 1, "held"),
        (approved[0].pk, plenty.pk, 1, "held"),
    ]
    assert Variant.objects.get(pk=last.pk).stock_on_hand == 0
    assert Variant.objects.get(pk=plenty.pk).stock_on_hand == 9
    assert sorted(StockMovement.objects.values_list("variant", "kind", "quantity")) == [
        (last.pk, "exchange_reserved", -1),
        (plenty.pk, "exchange_reserved", -1),
    ]
