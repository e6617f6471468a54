"""The policy page states what the services do: every figure it gives (the window, each fee,
each blocked item or country) is what a matching order meets in the returnability, the new
return's fee and its quote; changing a rule changes both."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from refunds.quotes import FEE, quote_for_return
from returns.errors import ReturnError
from returns.models import Return, ReturnRule
from returns.policy import RefusalCode, returnability
from returns.policy_page import policy_statement
from returns.rules import blocked_lines_for_portal
from returns.selectors import returnable_quantities
from tests.factories import ProductFactory, make_order
from tests.fixtures.web import english_client
from tests.returns.helpers import request
from tests.returns.rules.helpers import block, fee, percent_fee

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(shop_settings, reasons):
    """A shop's rules: fees by reason, category and country, a blocked product and country."""
    shop_settings.default_return_fee = Decimal("3.00")
    shop_settings.return_window_days = 21
    shop_settings.save()
    shoes = ProductFactory(name="Derby", category="shoes")
    engraved = ProductFactory(name="Engraved ring", category="jewellery")
    return {
        "free_defective": fee("0.00", reason=reasons["defective"], name="defective"),
        "shoes": percent_fee("10", category="shoes", name="shoes"),
        "fr": fee("5.00", countries="FR", name="fr"),
        "be": fee("8.00", countries="BE", name="be"),
        "engraved": block("Engraved items are made for you.", product=engraved),
        "ch": block("Returns from Switzerland go through customer service.", countries="CH"),
        "products": {"shoes": shoes, "engraved": engraved},
    }


def order_of(customer, *, country="FR", product=None, price="40.00", days=7):
    order = make_order(
        [(2, price)],
        customer=customer,
        shipping_country=country,
        delivered_at=timezone.now() - timedelta(days=days),
    )
    if product is not None:
        line = order.lines.get()
        line.variant.product = product
        line.variant.save()
    return order


def portal_answer(order, shop_settings):
    return returnability(
        order,
        shop_settings,
        channel=Return.Channel.PORTAL,
        remaining=returnable_quantities(order),
        blocked=lambda: blocked_lines_for_portal(order, shop_settings=shop_settings),
    )


def fee_line(ret) -> Decimal:
    return -sum(
        (line.amount for line in quote_for_return(ret).lines if line.kind == FEE), Decimal(0)
    )


def by_rule(statements):
    return {statement.rule_id: statement for statement in statements}


def test_each_fee_the_page_states_is_the_fee_of_a_matching_return(rules, customer, shop_settings):
    # given
    stated = by_rule(policy_statement().fees)
    # when: one return per fee rule, from an order it matches
    defective = request(order_of(customer, country="DE"), 1, reason="defective")
    shoes = request(order_of(customer, country="DE", product=rules["products"]["shoes"]), 1)
    french = request(order_of(customer, country="FR"), 1)
    belgian = request(order_of(customer, country="BE"), 1)
    other = request(order_of(customer, country="DE"), 1)
    # then: the page's figures are the returns' fees, on the return and in its quote
    assert stated[rules["free_defective"].pk].amount == Decimal("0.00")
    assert stated[rules["free_defective"].pk].reason_code == "defective"
    assert defective.return_fee == fee_line(defective) == Decimal("0.00")
    assert stated[rules["shoes"].pk].percent == Decimal("10")
    # 10 % of 40.00 and the default postage: fees of different kinds add up
    assert shoes.return_fee == fee_line(shoes) == Decimal("7.00")
    assert stated[rules["fr"].pk].amount == french.return_fee == fee_line(french) == Decimal("5.00")
    assert stated[rules["be"].pk].amount == belgian.return_fee == Decimal("8.00")
    assert policy_statement().default_fee == other.return_fee == fee_line(other) == Decimal("3.00")
    # and the order of the page is the order the rules are read in
    assert [s.rule_id for s in policy_statement().fees] == [
        rules[name].pk for name in ("free_defective", "shoes", "fr", "be")
    ]


def test_each_block_the_page_states_refuses_a_matching_order(rules, customer, shop_settings):
    # given
    stated = by_rule(policy_statement().blocks)
    engraved = order_of(customer, product=rules["products"]["engraved"])
    swiss = order_of(customer, country="CH")
    # when
    engraved_answer = portal_answer(engraved, shop_settings)
    swiss_answer = portal_answer(swiss, shop_settings)
    with pytest.raises(ReturnError) as refused:
        request(engraved, 1)
    # then
    assert stated[rules["engraved"].pk].product_id == rules["products"]["engraved"].pk
    assert stated[rules["engraved"].pk].says == "Engraved items are made for you."
    assert engraved_answer.codes == [RefusalCode.BLOCKED_BY_RULE]
    assert engraved_answer.reason == "Engraved items are made for you."
    assert refused.value.message.endswith("Engraved items are made for you.")
    assert stated[rules["ch"].pk].countries == ("CH",)
    assert swiss_answer.reason == "Returns from Switzerland go through customer service."
    assert Return.objects.count() == 0


def test_the_window_the_page_states_is_the_one_returnability_applies(
    rules, customer, shop_settings
):
    # given: 21 days
    assert policy_statement().window_days == 21
    # when
    inside = portal_answer(order_of(customer, days=20), shop_settings)
    outside = portal_answer(order_of(customer, days=22), shop_settings)
    # then
    assert inside.returnable
    assert outside.codes == [RefusalCode.WINDOW_CLOSED]


def test_a_rule_for_staff_only_is_not_stated(rules):
    # given
    staff_only = fee("1.00", channel=Return.Channel.BACKOFFICE, name="staff")
    # then
    assert staff_only.pk not in by_rule(policy_statement().fees)


def test_changing_a_rule_changes_the_page_and_the_fee_at_once(rules, customer, shop_settings):
    # given: the page was read (and cached) at 5.00 from France
    client = english_client()
    assert "A return fee of €5.00" in client.get("/return-policy/").content.decode()
    # when
    rule = ReturnRule.objects.get(pk=rules["fr"].pk)
    rule.amount = Decimal("7.50")
    rule.save()
    # then
    page = client.get("/return-policy/").content.decode()
    assert "A return fee of €7.50" in page
    assert "A return fee of €5.00" not in page
    assert request(order_of(customer, country="FR"), 1).return_fee == Decimal("7.50")


def test_a_deleted_block_leaves_the_page_and_the_order_is_returnable(
    rules, customer, shop_settings
):
    # given
    client = english_client()
    assert "Switzerland" in client.get("/return-policy/").content.decode()
    # when
    rules["ch"].delete()
    # then
    assert "Switzerland" not in client.get("/return-policy/").content.decode()
    assert portal_answer(order_of(customer, country="CH"), shop_settings).returnable


def test_the_statement_is_in_the_readers_language(rules):
    with translation.override("fr"):
        french = by_rule(policy_statement().fees)
    with translation.override("en"):
        english = by_rule(policy_statement().fees)
    assert french[rules["fr"].pk].when == "Pour les commandes livrées en FR"
    assert english[rules["fr"].pk].when == "For orders shipped to FR"
    assert french[rules["free_defective"].pk].says == "gratuit"
