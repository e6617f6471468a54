"""Two transactions moving the stock of the same two variants in opposite orders wait for each
other: PostgreSQL kills one ("deadlock detected while updating tuple in relation shop_variant").
So stock is moved in variant id order: a receipt restocks its lines in that order, and the import
locks the file's variants in that order before it writes (returns/locks.py, rank 7).

Found by the pairs' test (return_receive + order_import, order_import + return_inspect), whose
import file lists the order's lines last first. A race is not certain to meet in the middle,
so each case is tried several times.
"""

import random
from decimal import Decimal

import pytest

from returns.models import Return, ReturnStatus
from returns.services import return_receive
from shop.importing import ImportResult
from shop.models import Order, StockMovement
from tests.concurrency.operations import OPERATIONS, REFUSALS, Target
from tests.factories import (
    CustomerFactory,
    OrderLineFactory,
    UserFactory,
    VariantFactory,
    superuser,
)
from tests.fixtures import invariants
from tests.fixtures.concurrency import race
from tests.returns.helpers import create

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("committed_db")]

TRIES = 8


def order_of(variants, *, customer) -> Order:
    """A delivered order of 2 of each variant (20.00 each), its lines in the order given."""
    first, *others = variants
    order = OrderLineFactory(
        order__customer=customer, variant=first, quantity=2, unit_price_paid=Decimal("20.00")
    ).order
    for variant in others:
        OrderLineFactory(order=order, variant=variant, quantity=2, unit_price_paid=Decimal("20.00"))
    order.amount_paid = Decimal("20.00") * 2 * len(variants) + order.shipping_cost
    order.save(update_fields=["amount_paid"])
    return order


def approved_return(order, staff) -> Return:
    """An approved return of one unit of each line, dropped in store (no label to make)."""
    return create(
        staff, order, 1, 1, start_status=ReturnStatus.APPROVED, delivery_option="in_store"
    )


def failures(outcomes) -> list[str]:
    return [
        f"{type(outcome).__name__}: {outcome}"
        for outcome in outcomes
        if isinstance(outcome, BaseException) and not isinstance(outcome, REFUSALS)
    ]


def movements(order, kind: str) -> int:
    return StockMovement.objects.filter(variant__order_lines__order=order, kind=kind).count()


def test_a_receipt_and_an_import_moving_two_variants_in_opposite_orders_do_not_deadlock():
    staff, user = superuser(), UserFactory()
    customer = CustomerFactory(user=user, email=user.email)
    for attempt in range(TRIES):
        # given an approved return of both lines, and the order's export listing them last first
        order = order_of([VariantFactory(), VariantFactory()], customer=customer)
        ret = approved_return(order, staff)
        opening = invariants.stock_outside_ledger(order)
        target = Target(
            order_id=order.pk, ret_id=ret.pk, staff_id=staff.pk, customer_user_id=user.pk
        )
        import_file = OPERATIONS["order_import"].prepare(target, random.Random(attempt))
        # when the parcel is received while the file is imported
        outcomes = race(lambda ret=ret: return_receive(actor=staff, ret=ret), import_file)
        # then both did their work: each line restocked once, and the file's stock (11) set
        # before the receipt's +1, or found already there after it
        assert failures(outcomes) == [], f"attempt {attempt}"
        assert isinstance(outcomes[1], ImportResult), outcomes[1]
        assert Return.objects.get(pk=ret.pk).status == ReturnStatus.RECEIVED
        assert movements(order, "return") == 2
        stocks = {line.variant.stock_on_hand for line in order.lines.all()}
        assert stocks in ({11}, {12}), stocks
        invariants.ledger_explains_stock(order, opening)


def test_two_receipts_restocking_two_variants_listed_in_opposite_orders_do_not_deadlock():
    staff, user = superuser(), UserFactory()
    customer = CustomerFactory(user=user, email=user.email)
    for attempt in range(TRIES):
        # given two orders of the same two items, their lines listed in opposite orders
        first, second = VariantFactory(), VariantFactory()
        orders = [
            order_of([first, second], customer=customer),
            order_of([second, first], customer=customer),
        ]
        returns = [approved_return(order, staff) for order in orders]
        # when both parcels are received at the same moment
        outcomes = race(*[lambda ret=ret: return_receive(actor=staff, ret=ret) for ret in returns])
        # then both were restocked: 10 + 2 of each item, two ledger rows each
        assert failures(outcomes) == [], f"attempt {attempt}"
        for variant in (first, second):
            variant.refresh_from_db()
            assert variant.stock_on_hand == 12
            assert variant.movements.filter(kind="return").count() == 2
