"""The item an exchange sends: one rule for what a customer may ask (the portal's offer and
return_request's check), an exchange that names its item from the start, and staff changing it
until the exchange is settled."""

from decimal import Decimal

import pytest
from django.utils import translation

from refunds.models import ExchangeDue, Refund
from refunds.services import exchange_settle
from returns import policy
from returns.errors import ReturnError, ReturnPermissionError, StaleReturnError
from returns.models import Return, ReturnEvent, ReturnLine, ReturnStatus
from returns.selectors.exchanges import exchange_offers, variants_of_products
from returns.services import return_change_exchange_item
from shop.models import Order, Variant
from tests.factories import VariantFactory
from tests.fixtures.backoffice import with_role
from tests.returns.helpers import create, lines_of, request, return_in, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def sizes(order):
    """Sizes of the order's product A (3 × 20.00, option M, stock 10): L in stock 2, S out of
    stock, XL no longer sold, XS at the point of sale (no stock here); and another product."""
    product = lines_of(order)[0].variant.product
    return {
        "L": VariantFactory(product=product, option="L", stock_on_hand=2),
        "S": VariantFactory(product=product, option="S", stock_on_hand=0),
        "XL": VariantFactory(product=product, option="XL", stock_on_hand=5, active=False),
        "XS": VariantFactory(
            product=product, option="XS", stock_on_hand=0, stock_managed_by_pos=True
        ),
        "other": VariantFactory(option="L", stock_on_hand=5),
    }


def everything(ret=None) -> dict:
    return {
        "returns": list(Return.objects.values_list("id", flat=True)),
        "lines": list(ReturnLine.objects.values_list("id", "exchange_variant_id")),
        "events": ReturnEvent.objects.count(),
        "stock": dict(Variant.objects.values_list("sku", "stock_on_hand")),
        "snapshot": snapshot(ret) if ret is not None else None,
    }


# --- the offer and the check are one rule ----------------------------------------------------


def test_the_offer_is_the_sizes_of_the_products_returned_in_stock_and_still_sold(order, sizes):
    # given
    line_a = lines_of(order)[0]
    # when
    one = exchange_offers([line_a])[line_a.pk]
    product_a = line_a.variant.product_id
    three = policy.exchange_offer(variants_of_products([product_a]), product_id=product_a, units=3)
    # then: by option; S (no stock), XL (not sold) and the other product never
    assert [variant.option for variant in one] == ["L", "M", "XS"]
    assert [variant.option for variant in three] == ["M", "XS"]


def test_the_check_refuses_what_the_offer_leaves_out_for_the_same_reason(order, sizes):
    # given
    product_a = lines_of(order)[0].variant.product_id

    def refusal(variant, refund_mode="exchange", units=1):
        found = policy.exchange_refusal(
            variant, refund_mode=refund_mode, product_id=product_a, units=units
        )
        return found and found.code

    # when / then
    assert refusal(sizes["L"]) is None
    assert refusal(sizes["XS"], units=3) is None
    assert refusal(sizes["L"], units=3) == policy.RefusalCode.EXCHANGE_OUT_OF_STOCK
    assert refusal(sizes["S"]) == policy.RefusalCode.EXCHANGE_OUT_OF_STOCK
    assert refusal(sizes["XL"]) == policy.RefusalCode.EXCHANGE_NOT_SOLD
    assert refusal(sizes["other"]) == policy.RefusalCode.EXCHANGE_OTHER_PRODUCT
    assert refusal(None) == policy.RefusalCode.EXCHANGE_ITEM_MISSING
    assert refusal(sizes["L"], "money_back") == policy.RefusalCode.EXCHANGE_ITEM_NOT_EXCHANGE
    assert refusal(None, "money_back") is None
    # staff: any size or colour of the line's product, in stock or not, never another product
    assert (
        policy.exchange_refusal(
            sizes["S"], refund_mode="exchange", product_id=product_a, units=1, by_staff=True
        )
        is None
    )
    assert (
        policy.exchange_refusal(
            sizes["other"], refund_mode="exchange", product_id=product_a, units=1, by_staff=True
        ).code
        == policy.RefusalCode.EXCHANGE_OTHER_PRODUCT
    )


def test_the_lines_wanting_one_item_are_judged_on_their_units_together(order, sizes):
    # given: two lines of product A (L: 2 in stock), each wanting 1 then 2 of the L
    product_a = lines_of(order)[0].variant.product_id
    wanted = [
        policy.WantedExchange(key="one", variant=sizes["L"], product_id=product_a, units=1),
        policy.WantedExchange(key="two", variant=sizes["L"], product_id=product_a, units=1),
    ]
    # when / then: 2 together, in stock; 3 together, not
    assert policy.exchange_refusals(wanted, refund_mode="exchange") == {}
    more = [
        *wanted,
        policy.WantedExchange(key="three", variant=sizes["L"], product_id=product_a, units=1),
    ]
    refused = policy.exchange_refusals(more, refund_mode="exchange")
    assert {key: r.code for key, r in refused.items()} == {
        key: policy.RefusalCode.EXCHANGE_OUT_OF_STOCK for key in ("one", "two", "three")
    }


# --- an exchange names its item from the start -----------------------------------------------


@pytest.mark.parametrize(
    ("size", "quantity", "message"),
    [
        ("S", 1, "is out of stock for an exchange"),
        ("L", 3, "is out of stock for an exchange"),
        ("XL", 1, "is no longer sold"),
        ("other", 1, "another size or colour of the same product"),
        (None, 1, "Choose the item you would like to receive in exchange for each item."),
    ],
)
def test_a_customers_exchange_refused_creates_nothing(
    order, sizes, notifications, size, quantity, message
):
    # given
    before = everything()
    # when
    with pytest.raises(ReturnError, match=message):
        request(order, quantity, refund_mode="exchange", exchange_variant=sizes.get(size))
    # then
    assert everything() == before
    assert notifications.calls == []


def test_a_customers_line_exchanged_for_another_products_item_creates_nothing(
    order, sizes, notifications
):
    # given
    before = everything()
    # when: the L of product A wanted for the line of product B too
    with pytest.raises(ReturnError, match="another size or colour of the same product"):
        request(order, 1, 1, refund_mode="exchange", exchange_variant=sizes["L"])
    # then
    assert everything() == before
    assert notifications.calls == []


def test_a_customer_exchanges_two_products_each_for_its_own_size(order, sizes, notifications):
    # given: product B's 44, in stock
    line_a, line_b = lines_of(order)
    shoes = VariantFactory(product=line_b.variant.product, option="44", stock_on_hand=3)
    # when
    ret = request(order, 1, 2, refund_mode="exchange", exchange_variant=[sizes["L"], shoes])
    # then
    wanted = dict(ret.lines.values_list("order_line_id", "exchange_variant"))
    assert wanted == {line_a.pk: sizes["L"].pk, line_b.pk: shoes.pk}
    assert ret.is_exchange_for_item is True


def test_a_customers_exchange_reads_the_items_stock_when_confirmed(order, sizes, notifications):
    # given: the L was read in stock, then sold out before the confirmation
    seen = Variant.objects.get(pk=sizes["L"].pk)
    Variant.objects.filter(pk=seen.pk).update(stock_on_hand=0)
    before = everything()
    # when
    with pytest.raises(ReturnError, match="out of stock"):
        request(order, 1, refund_mode="exchange", exchange_variant=seen)
    # then
    assert everything() == before


def test_staff_create_no_exchange_without_its_item(staff, order, notifications):
    # given
    size_l = sizes_l(order)
    before = everything()
    # when
    with pytest.raises(ReturnError, match="Choose the item you would like"):
        create(staff, order, 1, refund_mode="exchange")
    with pytest.raises(ReturnError, match="Choose the item you would like"):
        create(staff, order, 1, 1, refund_mode="exchange", exchange_variant=[size_l, None])
    # then
    assert everything() == before
    assert notifications.calls == []


def sizes_l(order):
    return VariantFactory(product=lines_of(order)[0].variant.product, option="L", stock_on_hand=2)


def test_staff_may_exchange_for_any_size_of_the_lines_product(staff, order, sizes):
    # when: S is out of stock, XL no longer sold: staff may still send them
    out = create(staff, order, 1, refund_mode="exchange", exchange_variant=sizes["S"])
    gone = create(staff, order, 1, refund_mode="exchange", exchange_variant=sizes["XL"])
    # then
    assert (out.lines.get().exchange_variant, out.is_exchange_for_item) == (sizes["S"], True)
    assert gone.lines.get().exchange_variant == sizes["XL"]


def test_staff_may_not_exchange_for_another_product(staff, order, sizes, notifications):
    before = everything()
    with pytest.raises(ReturnError, match="another size or colour of the same product"):
        create(staff, order, 1, refund_mode="exchange", exchange_variant=sizes["other"])
    assert everything() == before


def test_only_an_exchange_with_its_item_is_an_exchange_for_an_item(staff, order, sizes):
    # given
    exchange = create(staff, order, 1, refund_mode="exchange", exchange_variant=sizes["L"])
    money_back = create(staff, order, 1)
    legacy = create(staff, order, 1, refund_mode="store_credit")
    Return.objects.filter(pk=legacy.pk).update(refund_mode="exchange")  # made before this rule
    # when / then
    assert exchange.is_exchange_for_item is True
    assert money_back.is_exchange_for_item is False
    assert Return.objects.get(pk=legacy.pk).is_exchange_for_item is False


# --- staff change the item until the exchange is settled -------------------------------------


def test_staff_change_the_item_and_the_timeline_says_so(staff, order, sizes):
    # given
    ret = return_in(
        ReturnStatus.IN_TRANSIT,
        staff,
        order,
        1,
        refund_mode="exchange",
        exchange_variant=sizes["L"],
    )
    events = ReturnEvent.objects.filter(ret=ret).count()
    # when
    changed = return_change_exchange_item(
        actor=staff, ret=ret, variant=sizes["XS"], expected_status=ReturnStatus.IN_TRANSIT
    )
    # then
    assert ret.lines.get().exchange_variant == sizes["XS"]
    assert changed.is_exchange_for_item is True
    event = ReturnEvent.objects.filter(ret=ret).latest("id")
    assert ReturnEvent.objects.filter(ret=ret).count() == events + 1
    assert (event.kind, event.actor, event.visible_to_customer) == ("note", staff, False)
    with translation.override("en"):
        assert event.text == f"Item sent in exchange: {sizes['L']} → {sizes['XS']}"


def test_staff_change_the_item_to_another_product_is_refused(staff, order, sizes):
    ret = return_in(
        ReturnStatus.APPROVED, staff, order, 1, refund_mode="exchange", exchange_variant=sizes["L"]
    )
    _refused_change(staff, ret, sizes["other"], match="same product")


def test_an_exchange_recorded_without_its_item_may_be_given_one(staff, order, sizes):
    # given: an exchange made before every exchange named its item
    ret = create(staff, order, 1, refund_mode="store_credit")
    Return.objects.filter(pk=ret.pk).update(refund_mode="exchange")
    # when
    return_change_exchange_item(actor=staff, ret=ret, variant=sizes["L"])
    # then
    assert Return.objects.get(pk=ret.pk).is_exchange_for_item is True


def _refused_change(actor, ret, variant, error=ReturnError, match="", **extra):
    before = everything(ret)
    with pytest.raises(error, match=match):
        return_change_exchange_item(actor=actor, ret=ret, variant=variant, **extra)
    assert everything(ret) == before


def test_the_item_is_fixed_once_its_difference_is_due(staff, order, sizes):
    # given: L dearer than the 20.00 paid: 5.00 due, recorded by settling
    dearer = sizes["L"]
    Variant.objects.filter(pk=dearer.pk).update(price=Decimal("25.00"))
    ret = return_in(
        ReturnStatus.IN_TRANSIT, staff, order, 1, refund_mode="exchange", exchange_variant=dearer
    )
    due = exchange_settle(actor=with_role("refunds_manager"), ret=ret, idempotency_key="k")
    assert (due.amount, ExchangeDue.objects.count()) == (Decimal("5.00"), 1)
    # when / then
    _refused_change(staff, ret, sizes["XS"], match="is settled")


def test_the_item_is_fixed_once_its_difference_is_refunded(staff, order, sizes):
    # given: L cheaper than the 20.00 paid: 2.50 back, refunded in the exchange mode
    Order.objects.filter(pk=order.pk).update(amount_paid=Decimal("130.00"))  # 3 × 20 + 2 × 35
    cheaper = sizes["L"]
    Variant.objects.filter(pk=cheaper.pk).update(price=Decimal("17.50"))
    ret = return_in(
        ReturnStatus.IN_TRANSIT, staff, order, 1, refund_mode="exchange", exchange_variant=cheaper
    )
    refund = exchange_settle(actor=with_role("refunds_manager"), ret=ret, idempotency_key="k")
    assert (refund.amount, refund.mode, Refund.objects.count()) == (Decimal("2.50"), "exchange", 1)
    # when / then
    _refused_change(staff, ret, sizes["XS"], match="is settled")


def test_the_item_is_fixed_once_the_replacement_shipped(staff, order, sizes):
    # given: an even exchange, received: its replacement order is made
    even = sizes["L"]
    Variant.objects.filter(pk=even.pk).update(price=Decimal("20.00"))
    ret = return_in(
        ReturnStatus.RECEIVED, staff, order, 1, refund_mode="exchange", exchange_variant=even
    )
    assert ret.replacement_order_id is not None
    # when / then
    _refused_change(staff, ret, sizes["XS"], match="can no longer change")


def test_changing_the_item_needs_the_permission(clerk, staff, order, sizes):
    ret = create(staff, order, 1, refund_mode="exchange", exchange_variant=sizes["L"])
    _refused_change(clerk, ret, sizes["XS"], error=ReturnPermissionError, match="not allowed")
    _refused_change(None, ret, sizes["XS"], error=ReturnPermissionError, match="not allowed")


def test_changing_the_item_of_a_money_back_return_is_refused(staff, order, sizes):
    ret = create(staff, order, 1)
    _refused_change(staff, ret, sizes["L"], match="is not an exchange")


def test_changing_the_item_from_a_stale_page_is_refused(staff, order, sizes):
    ret = create(staff, order, 1, refund_mode="exchange", exchange_variant=sizes["L"])
    _refused_change(
        staff,
        ret,
        sizes["XS"],
        error=StaleReturnError,
        match="changed by someone else",
        expected_status=ReturnStatus.APPROVED,
    )
