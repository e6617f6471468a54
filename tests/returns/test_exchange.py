"""An exchange holds its units from the approval, ships them as a replacement order on
receipt (or at approval with instant exchange) and releases what it no longer needs."""

from decimal import Decimal

import pytest

from refunds.models import ExchangeDue, Refund
from refunds.quotes import quote_for_return
from refunds.services import exchange_due_mark_paid, exchange_settle
from returns.errors import ReturnError
from returns.models import ExchangeReservation, Return, ReturnStatus
from returns.services import (
    return_approve,
    return_cancel,
    return_change_exchange_item,
    return_complete,
    return_expire,
    return_receive,
)
from shop.models import Order, ShopSettings, StockMovement
from tests.factories import VariantFactory
from tests.fixtures.backoffice import with_role
from tests.returns.helpers import lines_of, return_in, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def larger(order):
    # The same price as the item returned: nothing to settle, so the return may be completed.
    variant = lines_of(order)[0].variant
    return VariantFactory(
        product=variant.product, option="L", price=Decimal("20.00"), stock_on_hand=5
    )


def ledger(variant) -> list[tuple[str, int]]:
    return list(variant.movements.order_by("id").values_list("kind", "quantity"))


def stock(variant) -> int:
    variant.refresh_from_db()
    return variant.stock_on_hand


def exchange_in(status, staff, order, variant, *quantities) -> Return:
    return return_in(
        status, staff, order, *quantities, refund_mode="exchange", exchange_variant=variant
    )


def test_approval_holds_the_units_wanted(staff, order, larger, notifications):
    ret = exchange_in(ReturnStatus.APPROVED, staff, order, larger, 3)
    assert stock(larger) == 2
    assert ledger(larger) == [("exchange_reserved", -3)]
    held = ExchangeReservation.objects.get(ret=ret)
    assert (held.variant, held.quantity, held.status) == (larger, 3, "held")
    assert ret.replacement_order is None


def test_receipt_makes_the_replacement_order_from_the_units_held(
    staff, order, larger, notifications
):
    # given: 3 announced and held, 2 came back
    ret = exchange_in(ReturnStatus.APPROVED, staff, order, larger, 3)
    # when
    received = return_receive(actor=staff, ret=ret, received={ret.lines.get().pk: (2, None)})
    # then: the replacement of 2 is made now, the third unit held goes back to the stock
    replacement = Order.objects.get(number=f"{order.number}-X1")
    assert received.replacement_order == replacement
    assert (replacement.customer, replacement.email, replacement.currency) == (
        order.customer,
        order.email,
        order.currency,
    )
    assert (replacement.shipping_country, replacement.shipping_postcode) == (
        order.shipping_country,
        order.shipping_postcode,
    )
    assert (replacement.status, replacement.amount_paid) == (Order.Status.PLACED, Decimal("0.00"))
    assert list(replacement.lines.values_list("variant", "quantity", "unit_price_paid")) == [
        (larger.pk, 2, Decimal("20.00"))
    ]
    assert ledger(larger) == [("exchange_reserved", -3), ("exchange_released", 1)]
    assert stock(larger) == 3
    assert ExchangeReservation.objects.get(ret=ret).status == "shipped"
    # completing keeps that order: no second one, no second movement
    completed = return_complete(actor=staff, ret=Return.objects.get(pk=ret.pk))
    assert completed.replacement_order == replacement
    assert Order.objects.filter(number__startswith=f"{order.number}-X").count() == 1
    assert ledger(larger) == [("exchange_reserved", -3), ("exchange_released", 1)]


def test_second_exchange_of_an_order_is_numbered_after_the_first(
    staff, order, larger, notifications
):
    for _ in range(2):
        exchange_in(ReturnStatus.RECEIVED, staff, order, larger, 1)
    assert set(
        Order.objects.filter(number__startswith=f"{order.number}-X").values_list(
            "number", flat=True
        )
    ) == {f"{order.number}-X1", f"{order.number}-X2"}
    assert stock(larger) == 3


def test_approval_without_the_stock_is_refused_and_nothing_changes(
    staff, order, larger, notifications
):
    # given: requested while 5 were in stock, 3 sold since
    ret = exchange_in(ReturnStatus.REQUESTED, staff, order, larger, 3)
    larger.stock_on_hand = 2
    larger.save()
    before = snapshot(ret)
    sent = len(notifications.calls)
    # when
    with pytest.raises(ReturnError, match=r"Not enough stock of .* to hold 3 for the exchange"):
        return_approve(actor=staff, ret=ret)
    # then
    assert snapshot(ret) == before
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.REQUESTED
    assert len(notifications.calls) == sent
    assert not ExchangeReservation.objects.exists()
    assert ledger(larger) == []
    assert stock(larger) == 2


@pytest.mark.parametrize("close", ["cancel", "expire"])
def test_a_closed_exchange_gives_its_units_back(staff, order, larger, notifications, close):
    ret = exchange_in(ReturnStatus.APPROVED, staff, order, larger, 2)
    if close == "cancel":
        return_cancel(actor=staff, ret=ret)
    else:
        return_expire(actor=staff, ret=ret)
    assert ledger(larger) == [("exchange_reserved", -2), ("exchange_released", 2)]
    assert stock(larger) == 5
    assert ExchangeReservation.objects.get(ret=ret).status == "released"


def test_instant_exchange_makes_the_replacement_at_approval(
    staff, order, larger, notifications, shop_settings
):
    ShopSettings.objects.filter(pk=shop_settings.pk).update(instant_exchange=True)
    ret = exchange_in(ReturnStatus.APPROVED, staff, order, larger, 2)
    replacement = Return.objects.get(pk=ret.pk).replacement_order
    assert replacement is not None
    assert list(replacement.lines.values_list("variant", "quantity")) == [(larger.pk, 2)]
    assert ledger(larger) == [("exchange_reserved", -2)]
    # the parcel arriving makes no second order
    return_receive(actor=staff, ret=Return.objects.get(pk=ret.pk))
    assert Order.objects.filter(number__startswith=f"{order.number}-X").count() == 1
    assert stock(larger) == 3


def test_staff_choosing_another_item_move_what_is_held(staff, order, larger, notifications):
    extra = VariantFactory(product=larger.product, option="XL", price=larger.price, stock_on_hand=4)
    ret = exchange_in(ReturnStatus.APPROVED, staff, order, larger, 2)
    return_change_exchange_item(actor=staff, ret=ret, variant=extra)
    assert (stock(larger), stock(extra)) == (5, 2)
    assert ledger(larger) == [("exchange_reserved", -2), ("exchange_released", 2)]
    assert ledger(extra) == [("exchange_reserved", -2)]
    held = ExchangeReservation.objects.get(ret=ret, status="held")
    assert (held.variant, held.quantity) == (extra, 2)


def test_another_item_out_of_stock_is_refused_and_the_first_stays_held(
    staff, order, larger, notifications
):
    extra = VariantFactory(product=larger.product, option="XL", price=larger.price, stock_on_hand=1)
    ret = exchange_in(ReturnStatus.APPROVED, staff, order, larger, 2)
    with pytest.raises(ReturnError):
        return_change_exchange_item(actor=staff, ret=ret, variant=extra)
    assert ret.lines.get().exchange_variant == larger
    assert (stock(larger), stock(extra)) == (3, 1)
    assert ExchangeReservation.objects.get(status="held").variant == larger


def test_money_back_holds_and_ships_nothing(staff, order, notifications):
    orders = Order.objects.count()
    ret = return_in(ReturnStatus.RECEIVED, staff, order, 1)
    completed = return_complete(actor=staff, ret=ret)
    assert completed.replacement_order is None
    assert Order.objects.count() == orders
    assert not StockMovement.objects.filter(kind__startswith="exchange").exists()
    assert not ExchangeReservation.objects.exists()


def test_exchange_with_nothing_received_ships_nothing_and_releases(
    staff, order, larger, notifications
):
    ret = exchange_in(ReturnStatus.APPROVED, staff, order, larger, 1)
    return_receive(actor=staff, ret=ret, received={ret.lines.get().pk: (0, None)})
    completed = return_complete(actor=staff, ret=Return.objects.get(pk=ret.pk))
    assert completed.replacement_order is None
    assert ledger(larger) == [("exchange_reserved", -1), ("exchange_released", 1)]
    assert stock(larger) == 5


def test_staff_may_not_exchange_for_another_product(staff, order, notifications):
    # given: an item of another product than the line's
    other = VariantFactory(stock_on_hand=4)
    returns = Return.objects.count()
    # when / then: refused, nothing made, nothing held
    with pytest.raises(ReturnError, match="another size or colour of the same product"):
        exchange_in(ReturnStatus.APPROVED, staff, order, other, 1)
    assert Return.objects.count() == returns
    assert not ExchangeReservation.objects.exists()
    assert stock(other) == 4
    assert ledger(other) == []


@pytest.fixture
def sizes_of_each(order):
    """For each line of the order (a T-shirt, then shoes): another size, 5 in stock."""
    a, b = lines_of(order)
    return (
        VariantFactory(
            product=a.variant.product, option="XL", price=Decimal("20.00"), stock_on_hand=5
        ),
        VariantFactory(
            product=b.variant.product, option="44", price=Decimal("35.00"), stock_on_hand=5
        ),
    )


def test_a_two_line_return_exchanges_each_line_for_its_own_variant(
    staff, order, sizes_of_each, notifications
):
    # given: 2 T-shirts for the XL, 1 pair of shoes for the 44
    tshirt, shoes = sizes_of_each
    line_a, line_b = lines_of(order)
    ret = return_in(
        ReturnStatus.APPROVED, staff, order, 2, 1, refund_mode="exchange",
        exchange_variant=[tshirt, shoes],
    )  # fmt: skip
    # then: each line holds its own units of its own item
    held = {
        r.line.order_line_id: (r.variant, r.quantity, r.status)
        for r in ExchangeReservation.objects.all()
    }
    assert held == {line_a.pk: (tshirt, 2, "held"), line_b.pk: (shoes, 1, "held")}
    assert (stock(tshirt), stock(shoes)) == (3, 4)
    # when: the parcel arrives with one T-shirt and the shoes
    lines = {line.order_line_id: line for line in ret.lines.all()}
    received = return_receive(
        actor=staff,
        ret=ret,
        received={lines[line_a.pk].pk: (1, None), lines[line_b.pk].pk: (1, None)},
    )
    # then: one replacement order, one line per line exchanged, at the items' prices
    replacement = received.replacement_order
    assert list(
        replacement.lines.order_by("id").values_list("variant", "quantity", "unit_price_paid")
    ) == [(tshirt.pk, 1, Decimal("20.00")), (shoes.pk, 1, Decimal("35.00"))]
    # the stock movements: each item's hold, and the T-shirt not sent back released
    assert ledger(tshirt) == [("exchange_reserved", -2), ("exchange_released", 1)]
    assert ledger(shoes) == [("exchange_reserved", -1)]
    assert (stock(tshirt), stock(shoes)) == (4, 4)
    assert set(ExchangeReservation.objects.values_list("status", flat=True)) == {"shipped"}
    # the same price: nothing owed, nothing refunded, and the return may be completed
    completed = return_complete(actor=staff, ret=Return.objects.get(pk=ret.pk))
    assert completed.replacement_order == replacement


def test_a_closed_two_line_exchange_gives_back_every_line(
    staff, order, sizes_of_each, notifications
):
    tshirt, shoes = sizes_of_each
    ret = return_in(
        ReturnStatus.APPROVED, staff, order, 1, 2, refund_mode="exchange",
        exchange_variant=[tshirt, shoes],
    )  # fmt: skip
    return_cancel(actor=staff, ret=ret)
    assert ledger(tshirt) == [("exchange_reserved", -1), ("exchange_released", 1)]
    assert ledger(shoes) == [("exchange_reserved", -2), ("exchange_released", 2)]
    assert (stock(tshirt), stock(shoes)) == (5, 5)
    assert set(ExchangeReservation.objects.values_list("status", flat=True)) == {"released"}


def test_staff_changing_one_line_move_only_that_lines_reservation(
    staff, order, sizes_of_each, notifications
):
    tshirt, shoes = sizes_of_each
    bigger = VariantFactory(product=shoes.product, option="45", price=shoes.price, stock_on_hand=3)
    ret = return_in(
        ReturnStatus.APPROVED, staff, order, 1, 1, refund_mode="exchange",
        exchange_variant=[tshirt, shoes],
    )  # fmt: skip
    shoes_line = ret.lines.get(order_line=lines_of(order)[1])
    return_change_exchange_item(actor=staff, ret=ret, line=shoes_line, variant=bigger)
    assert ret.lines.get(pk=shoes_line.pk).exchange_variant == bigger
    assert ledger(tshirt) == [("exchange_reserved", -1)]
    assert ledger(shoes) == [("exchange_reserved", -1), ("exchange_released", 1)]
    assert ledger(bigger) == [("exchange_reserved", -1)]
    held = ExchangeReservation.objects.filter(status="held").order_by("line_id")
    assert [(r.line_id, r.variant) for r in held] == [
        (ret.lines.get(order_line=lines_of(order)[0]).pk, tshirt),
        (shoes_line.pk, bigger),
    ]


def test_an_exchange_line_without_its_item_is_refused(staff, order, sizes_of_each, notifications):
    # given: the T-shirt names its size, the shoes none
    tshirt, _shoes = sizes_of_each
    returns = Return.objects.count()
    with pytest.raises(ReturnError, match="for each item"):
        return_in(
            ReturnStatus.APPROVED, staff, order, 1, 1, refund_mode="exchange",
            exchange_variant=[tshirt, None],
        )  # fmt: skip
    assert Return.objects.count() == returns
    assert ledger(tshirt) == []


def test_a_two_line_exchange_owes_the_sum_of_its_lines_differences_and_settles_it(
    staff, order, notifications
):
    # given: the T-shirt (20.00) for a dearer 25.50, the shoes (35.00) for a cheaper 33.75:
    # 5.50 - 1.25 = 4.25 owed
    a, b = lines_of(order)
    dearer = VariantFactory(product=a.variant.product, option="XL", price=Decimal("25.50"))
    cheaper = VariantFactory(product=b.variant.product, option="44", price=Decimal("33.75"))
    ret = return_in(
        ReturnStatus.RECEIVED, staff, order, 1, 1, refund_mode="exchange",
        exchange_variant=[dearer, cheaper],
    )  # fmt: skip
    # when
    quote = quote_for_return(ret)
    due = exchange_settle(actor=with_role("refunds_manager"), ret=ret, idempotency_key="k")
    # then: one exchange line per line, their sum, the difference owed, never a refund
    assert [
        (line.order_line_id, line.amount) for line in quote.lines if line.kind == "exchange"
    ] == [
        (a.pk, Decimal("-25.50")),
        (b.pk, Decimal("-33.75")),
    ]
    assert (quote.exchange_cost, quote.amount_due, quote.total) == (
        Decimal("59.25"),
        Decimal("4.25"),
        Decimal("0.00"),
    )
    assert isinstance(due, ExchangeDue)
    assert (due.amount, Refund.objects.count()) == (Decimal("4.25"), 0)
    # paid: completed, the replacement shipped with both items
    exchange_due_mark_paid(actor=with_role("refunds_manager"), due=due, reference="PAY-1")
    completed = Return.objects.get(pk=ret.pk)
    assert completed.status == ReturnStatus.COMPLETED
    assert list(
        completed.replacement_order.lines.order_by("id").values_list("variant", "unit_price_paid")
    ) == [(dearer.pk, Decimal("25.50")), (cheaper.pk, Decimal("33.75"))]
