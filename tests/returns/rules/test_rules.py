"""Evaluating the return rules: conditions, the first matching rule per kind, per-item blocks,
fixed and percentage fees, and the explanation the rule tester shows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from returns.models import Return, ReturnRule
from returns.rules import evaluate_rules
from tests.factories import ProductFactory, make_order
from tests.returns.rules.helpers import block, fee, method, percent_fee, rule

pytestmark = pytest.mark.django_db

PORTAL = Return.Channel.PORTAL
BACKOFFICE = Return.Channel.BACKOFFICE


@pytest.fixture
def country_fees(shop_settings):
    """5.00 from France, 8.00 from Belgium, free from Germany; 2.50 by default."""
    shop_settings.default_return_fee = Decimal("2.50")
    shop_settings.save()
    return [
        fee("5.00", countries="FR", name="France"),
        fee("8.00", countries="BE", name="Belgium"),
        fee("0.00", countries="DE", name="Germany"),
    ]


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("FR", Decimal("5.00")),
        ("BE", Decimal("8.00")),
        ("DE", Decimal("0.00")),
        ("ES", Decimal("2.50")),
    ],
)
def test_the_fee_depends_on_the_shipping_country(country_fees, country, expected):
    # given
    order = make_order([(1, "30.00")], shipping_country=country)
    # when
    outcome = evaluate_rules(order, channel=PORTAL)
    # then
    assert outcome.fee == expected
    assert [check.rule.name for check in outcome.applied] == (
        [] if country == "ES" else [{"FR": "France", "BE": "Belgium", "DE": "Germany"}[country]]
    )
    assert outcome.blocked == {}


def test_the_first_matching_fee_rule_wins_and_position_decides(shop_settings):
    # given: two fee rules that both match a French order
    everyone = fee("3.00", name="Everyone", position=20)
    france = fee("5.00", countries="FR", name="France", position=10)
    order = make_order([(1, "30.00")], shipping_country="FR")
    # when
    first = evaluate_rules(order, channel=PORTAL)
    france.position = 30
    france.save()
    second = evaluate_rules(order, channel=PORTAL)
    # then
    assert (first.fee, first.fee_rule) == (Decimal("5.00"), france)
    assert (second.fee, second.fee_rule) == (Decimal("3.00"), everyone)
    assert [(c.rule.name, c.matched, c.applied) for c in second.checks] == [
        ("Everyone", True, True),
        ("France", True, False),
    ]


def test_an_inactive_rule_is_ignored_unless_given(shop_settings):
    # given
    off = fee("9.00", active=False)
    order = make_order([(1, "30.00")])
    # when
    outcome = evaluate_rules(order, channel=PORTAL)
    tried = evaluate_rules(order, channel=PORTAL, rules=[off])
    # then
    assert (outcome.fee, outcome.fee_rule) == (Decimal("0.00"), None)
    assert (tried.fee, tried.fee_rule) == (Decimal("9.00"), off)


def test_a_blocked_product_blocks_only_its_items(shop_settings):
    # given: an order of a candle and a shirt; candles cannot be returned
    order = make_order([(1, "12.00"), (2, "25.00")])
    candle_line, shirt_line = order.lines.order_by("id")
    candle = candle_line.variant.product
    rule_ = block("Opened candles cannot be returned.", product=candle, name="Candles")
    # when
    outcome = evaluate_rules(order, channel=PORTAL)
    # then
    assert list(outcome.blocked) == [candle_line.pk]
    assert outcome.blocked[candle_line.pk].rule == rule_
    assert outcome.blocked[candle_line.pk].message == "Opened candles cannot be returned."
    assert outcome.blocked_messages() == [
        f"“{candle_line.variant}” cannot be returned: Opened candles cannot be returned."
    ]
    # when: only the shirt is returned
    shirt_only = evaluate_rules(order, channel=PORTAL, lines=[(shirt_line, 2)])
    # then
    assert shirt_only.blocked == {}


def test_a_blocked_country_blocks_every_item(shop_settings):
    # given: returns accepted from the EU only
    block(
        "We accept returns from the European Union only.",
        countries="FR, BE, DE, ES, IT",
        country_mode=ReturnRule.CountryMode.NOT_IN,
    )
    swiss = make_order([(1, "12.00"), (1, "25.00")], shipping_country="CH")
    french = make_order([(1, "12.00")], shipping_country="FR")
    # when
    outcome = evaluate_rules(swiss, channel=PORTAL)
    # then
    assert sorted(outcome.blocked) == sorted(swiss.lines.values_list("pk", flat=True))
    assert {b.message for b in outcome.blocked.values()} == {
        "We accept returns from the European Union only."
    }
    assert outcome.checks[0].why == "shipping country CH is not one of BE, DE, ES, FR, IT"
    assert evaluate_rules(french, channel=PORTAL).blocked == {}


def test_the_message_follows_the_active_language(shop_settings, settings):
    # given
    rule_ = block("Not returnable.", message_fr="Non retournable.")
    # when / then
    from django.utils import translation

    with translation.override("fr"):
        assert rule_.message == "Non retournable."
    with translation.override("en"):
        assert rule_.message == "Not returnable."


def test_each_item_is_blocked_by_the_first_block_rule_matching_it(shop_settings):
    # given
    order = make_order([(1, "12.00"), (1, "25.00")])
    candle_line, shirt_line = order.lines.order_by("id")
    product_rule = block("Candles: no.", product=candle_line.variant.product)
    everything = block("Nothing from this order.")
    # when
    outcome = evaluate_rules(order, channel=PORTAL)
    # then
    assert {line_id: b.rule for line_id, b in outcome.blocked.items()} == {
        candle_line.pk: product_rule,
        shirt_line.pk: everything,
    }
    assert [c.applied for c in outcome.checks] == [True, True]


def test_a_percentage_restocking_fee_is_on_the_matching_items_paid_value(shop_settings):
    # given: 15 % on electronics; the order has 2 headphones at 39.99 and a shirt
    order = make_order([(2, "39.99"), (1, "25.00")])
    headphones, _shirt = order.lines.order_by("id")
    product = headphones.variant.product
    product.category = "electronics"
    product.save()
    restocking = percent_fee("15", category="Electronics", name="Electronics restocking")
    # when
    outcome = evaluate_rules(order, channel=PORTAL)
    # then: 15 % of 79.98 = 11.997
    assert outcome.fee == Decimal("12.00")
    assert outcome.fee_base == Decimal("79.98")
    assert outcome.fee_rule == restocking
    assert outcome.fee_explanation() == "15 % of 79.98 (rule “Electronics restocking”)"


def test_a_percentage_fee_counts_the_order_discount_share(shop_settings):
    # given: 40.00 + 60.00 with a 10.00 discount: the items paid 36.00 and 54.00
    order = make_order([(1, "40.00"), (1, "60.00")], discount="10.00")
    first, _second = order.lines.order_by("id")
    percent_fee("12.5")
    # when
    outcome = evaluate_rules(order, channel=PORTAL, lines=[(first, 1)])
    # then: 12.5 % of 36.00
    assert (outcome.fee_base, outcome.fee) == (Decimal("36.00"), Decimal("4.50"))


def test_a_percentage_fee_rounds_half_up_to_the_currency(shop_settings):
    # given
    eur = make_order([(1, "33.30")])
    jpy = make_order([(1, "3333")], currency="JPY", shipping="0")
    percent_fee("12.5")
    # when / then: 4.1625 -> 4.16; 416.625 yen -> 417
    assert evaluate_rules(eur, channel=PORTAL).fee == Decimal("4.16")
    assert evaluate_rules(jpy, channel=PORTAL).fee == Decimal("417")


def test_order_value_age_and_channel_conditions(shop_settings):
    # given: free returns on orders of 100.00 or more, delivered 14 days ago at most, online
    free = fee(
        "0.00",
        min_order_value="100.00",
        max_days_since_delivery=14,
        channel="portal",
        name="Big orders",
    )
    fee("4.00", name="Everyone else")
    now = timezone.now()
    big_recent = make_order([(1, "120.00")], delivered_at=now - timedelta(days=3))
    big_old = make_order([(1, "120.00")], delivered_at=now - timedelta(days=20))
    small = make_order([(1, "20.00")], delivered_at=now - timedelta(days=3))
    # when
    recent = evaluate_rules(big_recent, channel=PORTAL)
    # then
    assert recent.fee_rule == free
    assert recent.checks[0].why == (
        "channel: customer portal (rule: customer portal); order value 126.00, at least "
        "100.00; 3 days since delivery, at most 14"
    )
    assert evaluate_rules(big_recent, channel=BACKOFFICE).fee == Decimal("4.00")
    assert evaluate_rules(big_old, channel=PORTAL).fee == Decimal("4.00")
    assert evaluate_rules(small, channel=PORTAL).fee == Decimal("4.00")
    assert [c.ok for c in evaluate_rules(big_old, channel=PORTAL).checks[0].conditions] == [
        True,
        True,
        False,
    ]


def test_a_rule_on_a_reason_matches_only_once_the_reason_is_known(shop_settings, reasons):
    # given: items returned because the customer changed their mind cost 6.00
    order = make_order([(1, "30.00"), (1, "10.00")])
    first, second = order.lines.order_by("id")
    fee("6.00", reason=reasons["changed-mind"])
    # when
    unknown = evaluate_rules(order, channel=PORTAL)
    changed = evaluate_rules(
        order,
        channel=PORTAL,
        lines=[(first, 1), (second, 1)],
        reason_codes={first.pk: "wrong-size", second.pk: "changed-mind"},
    )
    defective = evaluate_rules(
        order, channel=PORTAL, lines=[(first, 1)], reason_codes={first.pk: "defective"}
    )
    # then
    assert unknown.fee == Decimal("0.00")
    assert changed.fee == Decimal("6.00")
    assert changed.checks[0].line_ids == (second.pk,)
    assert defective.fee == Decimal("0.00")


def test_item_conditions_must_hold_on_one_item(shop_settings):
    # given: a rule for lamps of category "lighting"; the order has a lamp of another category
    lamp = ProductFactory(name="Lamp", category="decor")
    order = make_order([(1, "30.00"), (1, "10.00")])
    first, second = order.lines.order_by("id")
    first.variant.product = lamp
    first.variant.save()
    second.variant.product.category = "lighting"
    second.variant.product.save()
    fee("7.00", product=lamp, category="lighting")
    # when
    outcome = evaluate_rules(order, channel=PORTAL)
    # then
    assert outcome.fee_rule is None
    assert [(c.text.split(" (")[0], c.ok) for c in outcome.checks[0].conditions] == [
        ("product is “Lamp”", True),
        ("category is “lighting”", True),
        ("no single item meets every item condition", False),
    ]


def test_shipping_method_in_store_and_approval_rules(shop_settings):
    # given
    relay = method("relay")
    rule(ReturnRule.Action.NEEDS_APPROVAL, countries="BE")
    rule(ReturnRule.Action.AUTO_APPROVE)
    rule(ReturnRule.Action.SHIP_WITH, shipping_method=relay)
    rule(ReturnRule.Action.IN_STORE_ONLY, countries="LU")
    french = make_order([(1, "30.00")], shipping_country="FR")
    belgian = make_order([(1, "30.00")], shipping_country="BE")
    luxembourg = make_order([(1, "30.00")], shipping_country="LU")
    # when
    fr = evaluate_rules(french, channel=PORTAL)
    be = evaluate_rules(belgian, channel=PORTAL)
    lu = evaluate_rules(luxembourg, channel=PORTAL)
    # then
    assert (fr.auto_approve, fr.shipping_method, fr.in_store_only) == (True, relay, False)
    assert (be.auto_approve, be.approval_rule.action) == (False, "needs_approval")
    assert lu.in_store_only is True


def test_a_rule_without_its_action_fields_is_refused(shop_settings):
    # given
    from django.core.exceptions import ValidationError

    incomplete = ReturnRule(
        name="No amount", action=ReturnRule.Action.FEE_FIXED, countries="fr, xx1"
    )
    # when
    with pytest.raises(ValidationError) as error:
        incomplete.full_clean()
    # then
    assert set(error.value.message_dict) == {"amount", "countries"}
    assert ReturnRule.objects.count() == 0
