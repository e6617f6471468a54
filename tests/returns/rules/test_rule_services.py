"""The rules applied by the return services: blocks refused whatever the form sent (staff may
override with a reason), the fee on the return and in its quote, in-store only, the shipping
method, and approval at once."""

from decimal import Decimal

import pytest

from notifications.models import Notification
from refunds.quotes import quote_for_return
from returns.errors import ReturnError, ReturnPermissionError
from returns.models import (
    Return,
    ReturnEvent,
    ReturnLabel,
    ReturnLine,
    ReturnRule,
    ReturnStatus,
)
from tests.factories import StaffFactory, make_order
from tests.returns.helpers import create, grant, request, status_history
from tests.returns.rules.helpers import block, fee, method, percent_fee, rule

pytestmark = pytest.mark.django_db


def counts() -> dict:
    return {
        "returns": Return.objects.count(),
        "lines": ReturnLine.objects.count(),
        "events": ReturnEvent.objects.count(),
        "labels": ReturnLabel.objects.count(),
        "notifications": Notification.objects.count(),
    }


def test_the_service_refuses_a_blocked_item_whatever_the_form_sent(order, notifications):
    # given: the order's first product cannot be returned
    first_line = order.lines.order_by("id").first()
    block("Personalised items cannot be returned.", product=first_line.variant.product)
    before = counts()
    # when
    with pytest.raises(ReturnError) as error:
        request(order, 1, 1)
    # then
    assert error.value.message == (
        f"“{first_line.variant}” cannot be returned: Personalised items cannot be returned."
    )
    assert counts() == before
    assert notifications.calls == []


def test_the_other_items_of_the_order_can_still_be_returned(order):
    # given
    first_line = order.lines.order_by("id").first()
    block(product=first_line.variant.product)
    # when
    ret = request(order, 0, 2)
    # then
    assert ret.status == ReturnStatus.REQUESTED
    assert list(ret.lines.values_list("order_line__variant__product", "quantity")) == [
        (order.lines.order_by("id")[1].variant.product_id, 2)
    ]


def test_a_block_on_a_reason_refuses_that_reason_only(order, reasons):
    # given
    block("Tell us what is wrong: choose another reason.", reason=reasons["changed-mind"])
    # when
    with pytest.raises(ReturnError) as error:
        request(order, 1, reason="changed-mind")
    ret = request(order, 1, reason="wrong-size")
    # then
    assert error.value.message.endswith("Tell us what is wrong: choose another reason.")
    assert ret.lines.get().reason.code == "wrong-size"


def test_the_rule_fee_is_the_returns_fee(order, shop_settings):
    # given: a French order; 5.00 from France, 3.00 default
    shop_settings.default_return_fee = Decimal("3.00")
    shop_settings.save()
    fee("5.00", countries="FR")
    fee("8.00", countries="BE")
    # when
    ret = request(order, 1)
    # then
    assert ret.return_fee == Decimal("5.00")


def test_without_a_matching_rule_the_default_fee_applies(order, shop_settings):
    # given
    shop_settings.default_return_fee = Decimal("3.00")
    shop_settings.save()
    fee("8.00", countries="BE")
    # when
    ret = request(order, 1)
    # then
    assert ret.return_fee == Decimal("3.00")


def test_a_percentage_restocking_fee_shows_in_the_quote(customer, reasons, shop_settings):
    # given: 10 % restocking fee; 2 of the 3 items at 20.00 come back
    order = make_order([(3, "20.00"), (1, "35.00")], customer=customer)
    percent_fee("10", name="Restocking")
    # when
    ret = request(order, 2)
    quote = quote_for_return(ret)
    # then
    assert ret.return_fee == Decimal("4.00")
    assert quote.fee == Decimal("4.00")
    assert [(line.kind, line.amount) for line in quote.lines] == [
        ("item", Decimal("40.00")),
        ("fee", Decimal("-4.00")),
    ]
    assert quote.summary() == "items €40.00 - return fee €4.00 = €36.00"


def test_staff_may_give_a_fee_of_their_own(staff, order):
    # given
    fee("5.00")
    # when
    ret = create(staff, order, 1, return_fee=Decimal("1.50"))
    # then
    assert ret.return_fee == Decimal("1.50")


def test_staff_override_a_block_with_a_recorded_reason(staff, order, notifications):
    # given
    block("Final sale items cannot be returned.", name="Final sale")
    before = counts()
    # when: without a reason
    with pytest.raises(ReturnError) as refused:
        create(staff, order, 1)
    # then
    assert refused.value.message.startswith(
        f"“{order.lines.order_by('id')[0].variant}” cannot be returned: Final sale items "
        "cannot be returned. To create the return anyway"
    )
    assert counts() == before
    # when: with a reason
    ret = create(staff, order, 1, override_reason="Damaged in transit, goodwill")
    # then
    override = ret.events.get(kind=ReturnEvent.Kind.OVERRIDE)
    assert override.actor == staff
    assert override.text == (
        "Override reason: Damaged in transit, goodwill\n"
        f"“{order.lines.order_by('id')[0].variant}” cannot be returned: Final sale items cannot "
        "be returned."
    )
    assert override.visible_to_customer is False
    assert ret.status == ReturnStatus.REQUESTED


def test_staff_without_the_override_permission_cannot_override_a_block(order):
    # given
    block("Final sale items cannot be returned.")
    clerk = grant(StaffFactory(), "add_return", "change_return", "view_return")
    before = counts()
    # when
    with pytest.raises(ReturnPermissionError):
        create(clerk, order, 1, override_reason="Because")
    # then
    assert counts() == before


def test_in_store_only_forces_the_delivery_and_makes_no_label(staff, order):
    # given
    rule(ReturnRule.Action.IN_STORE_ONLY, countries="FR")
    # when
    ret = create(staff, order, 1, delivery_option="label", start_status=ReturnStatus.APPROVED)
    # then
    assert ret.delivery_option == Return.DeliveryOption.IN_STORE
    assert ReturnLabel.objects.filter(ret=ret).count() == 0


def test_a_ship_with_rule_chooses_the_label_method(staff, order):
    # given
    method("home", position=1)
    relay = method("relay", service="relay-point", position=2)
    rule(ReturnRule.Action.SHIP_WITH, shipping_method=relay)
    # when
    ret = create(staff, order, 1, start_status=ReturnStatus.APPROVED)
    # then
    assert ret.shipping_method == relay
    assert ReturnLabel.objects.get(ret=ret).shipping_method == relay


def test_an_auto_approve_rule_approves_at_once_with_a_label(order, notifications):
    # given
    rule(ReturnRule.Action.AUTO_APPROVE, max_order_value="1000.00", name="Trusted")
    # when
    ret = request(order, 1)
    # then
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.APPROVED
    assert status_history(ret) == [("", "requested"), ("requested", "approved")]
    approved = ret.events.get(kind=ReturnEvent.Kind.STATUS, to_status="approved")
    assert approved.actor is None
    assert ret.events.get(kind=ReturnEvent.Kind.NOTE).text == (
        "Approved at once by the rule “Trusted”."
    )
    assert ReturnLabel.objects.filter(ret=ret, status="created").count() == 1
    assert notifications.events == ["approved_with_label"]


def test_needs_approval_before_approve_at_once_keeps_it_requested(order, notifications):
    # given: the first approval rule wins
    rule(ReturnRule.Action.NEEDS_APPROVAL, category="tops")
    rule(ReturnRule.Action.AUTO_APPROVE)
    # when
    ret = request(order, 1)
    # then
    assert ret.status == ReturnStatus.REQUESTED
    assert ReturnLabel.objects.count() == 0
    assert notifications.events == ["requested"]
