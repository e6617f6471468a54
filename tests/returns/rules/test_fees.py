"""Fees as a policy: postage and restocking fees add up, each its own line of the quote with
its rule's name in both languages; a restocking fee held between its minimum and maximum; no
postage for a parcel dropped in store unless the rule says so; no fee for a reason that is our
fault; and whatever the fees, they never take more than the items are worth."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refunds.quotes import FEE, quote_for_return, quote_preview
from returns.models import ReturnRule, ReturnStatus, RuleKind
from returns.rules import evaluate_rules
from returns.services.transitions import return_receive
from tests.factories import make_order
from tests.returns.helpers import create, request
from tests.returns.rules.helpers import fee, method, percent_fee, rule

pytestmark = pytest.mark.django_db

PORTAL = "portal"


@pytest.fixture
def shoes_order(customer, reasons, shop_settings):
    """A French order: shoes at 59.90 (category "Shoes") and a 20.00 shirt."""
    order = make_order([(1, "59.90"), (1, "20.00")], customer=customer)
    shoes = order.lines.order_by("id").first().variant.product
    shoes.category = "Shoes"
    shoes.save()
    return order


@pytest.fixture
def shoe_fees(db):
    """5.00 postage from France; 10 % restocking on shoes."""
    postage = fee(
        "5.00", countries="FR", name="France", label_fr="Frais de retour", label_en="Return postage"
    )
    restocking = percent_fee(
        "10",
        category="shoes",
        name="Shoes restocking",
        label_fr="Frais de remise en stock",
        label_en="Restocking fee (shoes)",
    )
    return postage, restocking


def fee_amounts(outcome) -> list[tuple[str, Decimal]]:
    return [(line.kind, line.amount) for line in outcome.fees]


def quote_fees(quote) -> list[tuple[str, Decimal]]:
    return [(line.label, line.amount) for line in quote.lines if line.kind == FEE]


def test_postage_and_restocking_add_up_on_a_59_90_item(shoes_order, shoe_fees):
    # given
    postage, restocking = shoe_fees
    shoes_line = shoes_order.lines.order_by("id").first()
    # when
    outcome = evaluate_rules(shoes_order, channel=PORTAL, lines=[(shoes_line, 1)])
    # then: 5.00 + 10 % of 59.90 = 5.00 + 5.99, both rules applied
    assert fee_amounts(outcome) == [
        (RuleKind.POSTAGE, Decimal("5.00")),
        (RuleKind.RESTOCKING, Decimal("5.99")),
    ]
    assert outcome.fee == Decimal("10.99")
    assert [(c.rule, c.applied) for c in outcome.checks] == [(postage, True), (restocking, True)]
    assert outcome.fee_explanation() == ("rule “France” + 10 % of 59.90 (rule “Shoes restocking”)")


def test_the_return_and_its_quote_show_each_fee_with_its_rules_name(shoes_order, shoe_fees):
    # when
    ret = request(shoes_order, 1)
    quote = quote_for_return(ret)
    # then: one line per fee, named by its rule in the reader's language
    assert ret.return_fee == Decimal("10.99")
    assert [(line.kind, line.amount) for line in ret.fee_lines] == [
        (RuleKind.POSTAGE, Decimal("5.00")),
        (RuleKind.RESTOCKING, Decimal("5.99")),
    ]
    with translation.override("en"):
        assert quote_fees(quote) == [
            ("Return postage", Decimal("-5.00")),
            ("Restocking fee (shoes)", Decimal("-5.99")),
        ]
        assert quote.summary() == "items €59.90 - return fee €10.99 = €48.91"
    with translation.override("fr"):
        assert quote_fees(quote) == [
            ("Frais de retour", Decimal("-5.00")),
            ("Frais de remise en stock", Decimal("-5.99")),
        ]
    assert (quote.fee, quote.total) == (Decimal("10.99"), Decimal("48.91"))


def test_a_frozen_quote_keeps_the_fee_names(shoes_order, shoe_fees):
    # given
    quote = quote_for_return(request(shoes_order, 1))
    # when
    thawed = type(quote).from_json(quote.to_json())
    # then
    with translation.override("fr"):
        assert quote_fees(thawed) == quote_fees(quote)


def test_a_blank_quote_name_falls_back_to_the_other_language_then_the_rule_name(
    shoes_order,
):
    # given
    fee("5.00", name="France", label_fr="Frais de port")
    percent_fee("10", category="shoes", name="Shoes restocking")
    # when
    ret = request(shoes_order, 1)
    # then
    with translation.override("en"):
        assert quote_fees(quote_for_return(ret)) == [
            ("Frais de port", Decimal("-5.00")),
            ("Shoes restocking", Decimal("-5.99")),
        ]


@pytest.mark.parametrize(
    ("fee_min", "fee_max", "expected"),
    [
        (None, None, "5.99"),
        ("8.00", None, "8.00"),  # held up to the minimum
        (None, "4.50", "4.50"),  # held down to the maximum
        ("2.00", "7.00", "5.99"),  # between: as computed
    ],
)
def test_a_restocking_fee_is_held_between_its_minimum_and_maximum(
    shoes_order, fee_min, fee_max, expected
):
    # given
    percent_fee("10", category="shoes", fee_min=fee_min, fee_max=fee_max)
    shoes_line = shoes_order.lines.order_by("id").first()
    # when
    outcome = evaluate_rules(shoes_order, channel=PORTAL, lines=[(shoes_line, 1)])
    # then
    assert fee_amounts(outcome) == [(RuleKind.RESTOCKING, Decimal(expected))]


def test_fewer_units_received_pay_restocking_on_what_came_back(staff, customer, shop_settings):
    # given: two pairs at 59.90 asked back; 5.00 postage and 10 % restocking
    order = make_order([(2, "59.90")], customer=customer)
    fee("5.00", label_en="Return postage")
    percent_fee("10", label_en="Restocking fee")
    ret = create(staff, order, 2, start_status=ReturnStatus.APPROVED)
    # when: one pair arrives
    return_receive(actor=staff, ret=ret, received={ret.lines.get().pk: (1, None)})
    quote = quote_for_return(ret)
    # then: 10 % of the pair that came back; the fees asked at creation stay on the return
    assert ret.return_fee == Decimal("16.98")  # 5.00 + 11.98, as requested
    assert quote_fees(quote) == [
        ("Return postage", Decimal("-5.00")),
        ("Restocking fee", Decimal("-5.99")),
    ]
    assert (quote.fee, quote.total, quote.requested_total) == (
        Decimal("10.99"),
        Decimal("48.91"),
        Decimal("108.82"),  # both pairs: 119.80 + the 6.00 shipping - 16.98
    )


def test_a_minimum_never_charges_more_than_the_items_are_worth(customer, shop_settings):
    # given: 10 % with at least 8.00 on a 5.00 item
    order = make_order([(1, "5.00")], customer=customer)
    percent_fee("10", fee_min="8.00")
    # when
    outcome = evaluate_rules(order, channel=PORTAL)
    # then
    assert fee_amounts(outcome) == [(RuleKind.RESTOCKING, Decimal("5.00"))]


def test_a_minimum_above_the_maximum_is_refused(db):
    # when
    with pytest.raises(ValidationError) as refused:
        percent_fee("10", fee_min="9.00", fee_max="3.00")
    # then
    assert refused.value.message_dict == {"fee_max": ["The upper bound is below the lower one."]}
    assert not ReturnRule.objects.exists()


def test_a_parcel_dropped_in_store_pays_no_postage(shoes_order, shoe_fees, shop_settings):
    # given: the shop's default fee too
    shop_settings.default_return_fee = Decimal("3.00")
    shop_settings.save()
    shirt_line = shoes_order.lines.order_by("id")[1]
    # when
    by_post = evaluate_rules(shoes_order, channel=PORTAL, lines=[(shirt_line, 1)])
    in_store = evaluate_rules(
        shoes_order, channel=PORTAL, lines=[(shirt_line, 1)], delivery_option="in_store"
    )
    # then
    assert fee_amounts(by_post) == [(RuleKind.POSTAGE, Decimal("5.00"))]
    assert fee_amounts(in_store) == []
    assert in_store.fee == Decimal("0.00")
    postage_check = in_store.checks[0]
    assert (postage_check.matched, postage_check.applied) == (False, False)
    assert "dropped in store: no postage unless the rule says so" in postage_check.why


def test_in_store_the_default_fee_is_not_charged_and_restocking_still_is(
    shoes_order, shop_settings
):
    # given
    shop_settings.default_return_fee = Decimal("3.00")
    shop_settings.save()
    percent_fee("10", category="shoes")
    shoes_line = shoes_order.lines.order_by("id").first()
    # when
    outcome = evaluate_rules(
        shoes_order, channel=PORTAL, lines=[(shoes_line, 1)], delivery_option="in_store"
    )
    # then
    assert fee_amounts(outcome) == [(RuleKind.RESTOCKING, Decimal("5.99"))]


def test_an_in_store_rule_sends_the_parcel_in_store_and_so_no_postage(shoes_order):
    # given
    fee("5.00")
    rule(ReturnRule.Action.IN_STORE_ONLY, name="In store")
    # when
    outcome = evaluate_rules(shoes_order, channel=PORTAL)
    # then
    assert outcome.in_store_only
    assert outcome.fees == ()


def test_a_rule_may_charge_postage_in_store_too(shoes_order):
    # given
    fee("2.00", charge_in_store=True, name="Handling")
    # when
    outcome = evaluate_rules(shoes_order, channel=PORTAL, delivery_option="in_store")
    # then
    assert fee_amounts(outcome) == [(RuleKind.POSTAGE, Decimal("2.00"))]


def test_a_postage_rule_on_the_method_the_parcel_comes_back_with(shoes_order):
    # given: relay drop-off is the default method; courier is chosen by a rule on shoes
    relay = method("relay", position=1)
    courier = method("courier", position=2)
    fee("9.00", ships_with=courier, name="Courier")
    fee("4.00", ships_with=relay, name="Relay")
    rule(ReturnRule.Action.SHIP_WITH, shipping_method=courier, category="shoes")
    shoes_line, shirt_line = shoes_order.lines.order_by("id")
    # when
    shirt = evaluate_rules(shoes_order, channel=PORTAL, lines=[(shirt_line, 1)])
    shoes = evaluate_rules(shoes_order, channel=PORTAL, lines=[(shoes_line, 1)])
    # then
    assert fee_amounts(shirt) == [(RuleKind.POSTAGE, Decimal("4.00"))]
    assert fee_amounts(shoes) == [(RuleKind.POSTAGE, Decimal("9.00"))]
    assert "comes back with Relay (rule: Courier)" in shirt.checks[0].why


def test_a_rule_choosing_the_method_cannot_depend_on_it(db):
    # given
    relay = method("relay")
    # when
    with pytest.raises(ValidationError) as refused:
        rule(ReturnRule.Action.SHIP_WITH, shipping_method=relay, ships_with=relay)
    # then
    assert refused.value.message_dict == {
        "ships_with": ["A rule that chooses the method cannot depend on it."]
    }
    assert not ReturnRule.objects.exists()


def test_a_reason_that_is_our_fault_is_charged_no_fee(shoes_order, shoe_fees, reasons):
    # given: "defective" is our fault (the seeded reasons)
    assert reasons["defective"].our_fault
    shoes_line = shoes_order.lines.order_by("id").first()
    # when
    defective = evaluate_rules(
        shoes_order,
        channel=PORTAL,
        lines=[(shoes_line, 1)],
        reason_codes={shoes_line.pk: "defective"},
    )
    ret = request(shoes_order, 1, reason="defective")
    # then
    assert defective.fees == ()
    assert defective.postage_waived
    assert defective.fee_explanation() == (
        "postage waived: an item comes back for a reason that is our fault"
    )
    assert (ret.return_fee, ret.fees) == (Decimal("0.00"), [])
    quote = quote_for_return(ret)
    assert quote_fees(quote) == []
    assert quote.total == Decimal("59.90")


def test_our_fault_on_one_item_waives_the_postage_not_the_other_items_restocking(
    shoes_order, shoe_fees
):
    # given: 10 % on every item too
    percent_fee("10", name="Everything", label_en="Restocking")
    shoes_line, shirt_line = shoes_order.lines.order_by("id")
    # when: the shoes are defective, the shirt the wrong size
    outcome = evaluate_rules(
        shoes_order,
        channel=PORTAL,
        lines=[(shoes_line, 1), (shirt_line, 1)],
        reason_codes={shoes_line.pk: "defective", shirt_line.pk: "wrong-size"},
    )
    # then: no postage; the shirt pays its 10 %, the shoes nothing
    assert [(line.kind, line.amount, line.base) for line in outcome.fees] == [
        (RuleKind.RESTOCKING, Decimal("2.00"), Decimal("20.00"))
    ]


def test_a_reason_marked_our_fault_by_the_merchant_waives_fees(shoes_order, shoe_fees, reasons):
    # given
    wrong_size = reasons["wrong-size"]
    wrong_size.our_fault = True
    wrong_size.save()
    # when
    ret = request(shoes_order, 1, reason="wrong-size")
    # then
    assert ret.return_fee == Decimal("0.00")


def test_the_portal_preview_and_the_return_agree(shoes_order, shoe_fees):
    # given
    shoes_line = shoes_order.lines.order_by("id").first()
    outcome = evaluate_rules(
        shoes_order,
        channel=PORTAL,
        lines=[(shoes_line, 1)],
        reason_codes={shoes_line.pk: "wrong-size"},
    )
    # when
    preview = quote_preview(order=shoes_order, quantities={shoes_line.pk: 1}, fees=outcome.fees)
    created = quote_for_return(request(shoes_order, 1))
    # then
    assert preview.to_json() == created.to_json()


# --- whatever the fees, never more than the items -------------------------------------------

prices = st.decimals(min_value="0.01", max_value="500.00", places=2)
amounts = st.decimals(min_value="0.00", max_value="300.00", places=2)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    price=prices,
    quantity=st.integers(min_value=1, max_value=3),
    returned=st.integers(min_value=1, max_value=3),
    postage=amounts,
    percent=st.decimals(min_value="0", max_value="100", places=2),
    bounds=st.tuples(st.none() | amounts, st.none() | amounts),
    discount_share=st.decimals(min_value="0", max_value="1", places=2),
)
def test_fees_never_exceed_the_items_and_nothing_owed_is_negative(
    customer, shop_settings, price, quantity, returned, postage, percent, bounds, discount_share
):
    # given: any order, any postage and restocking fee
    ReturnRule.objects.all().delete()
    low, high = bounds
    if low is not None and high is not None and low > high:
        low, high = high, low
    discount = (price * quantity * discount_share).quantize(Decimal("0.01"))
    order = make_order([(quantity, price)], customer=customer, discount=discount)
    fee(postage)
    percent_fee(percent, fee_min=low, fee_max=high)
    line = order.lines.get()
    outcome = evaluate_rules(order, channel=PORTAL, lines=[(line, min(returned, quantity))])
    # when
    quote = quote_preview(
        order=order, quantities={line.pk: min(returned, quantity)}, fees=outcome.fees
    )
    # then
    charged = -sum((q.amount for q in quote.lines if q.kind == FEE), Decimal("0"))
    assert charged == quote.fee
    assert Decimal("0") <= charged <= quote.items_total
    assert quote.total >= 0
    assert quote.amount_due >= 0
    assert sum((q.amount for q in quote.lines), Decimal("0")) == quote.total
