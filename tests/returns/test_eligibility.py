"""Who may return what, and when: the shop's settings, the window, reasons, refund modes."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from returns.errors import ReturnError, ReturnPermissionError
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import ReturnLineInput, return_create, return_request
from tests.factories import CustomerFactory, OrderLineFactory, UserFactory, VariantFactory
from tests.returns.helpers import create, grant, line_inputs, lines_of, request

pytestmark = pytest.mark.django_db


def assert_nothing_created(notifications):
    assert Return.objects.count() == 0
    assert ReturnEvent.objects.count() == 0
    assert notifications.calls == []


def _delivered(order, days_ago, minutes=0):
    order.delivered_at = timezone.now() - timedelta(days=days_ago, minutes=minutes)
    order.save(update_fields=["delivered_at"])


# --- the shop's switch -----------------------------------------------------------------------


def test_request_refused_when_returns_are_off(order, shop_settings, notifications):
    # given
    shop_settings.returns_allowed = False
    shop_settings.save()
    # when
    with pytest.raises(ReturnError, match="cannot be requested online at the moment"):
        request(order, 1)
    # then
    assert_nothing_created(notifications)


def test_staff_still_create_when_returns_are_off(staff, order, shop_settings, notifications):
    shop_settings.returns_allowed = False
    shop_settings.save()
    ret = create(staff, order, 1)
    assert ret.status == ReturnStatus.REQUESTED
    assert not ret.events.filter(kind=ReturnEvent.Kind.OVERRIDE).exists()


# --- the window ------------------------------------------------------------------------------


def test_request_on_the_last_day_of_the_window(order, shop_settings, notifications):
    _delivered(order, 30, minutes=-1)
    assert request(order, 1).status == ReturnStatus.REQUESTED


def test_request_refused_past_the_window(order, shop_settings, notifications):
    _delivered(order, 30, minutes=1)
    with pytest.raises(ReturnError, match="return window of 30 days after delivery closed"):
        request(order, 1)
    assert_nothing_created(notifications)


def test_request_refused_before_delivery(order, notifications):
    order.delivered_at = None
    order.save(update_fields=["delivered_at"])
    with pytest.raises(ReturnError, match="has not been delivered yet"):
        request(order, 1)
    assert_nothing_created(notifications)


def test_staff_past_the_window_need_an_override_reason(staff, order, notifications):
    _delivered(order, 45)
    with pytest.raises(ReturnError, match="give the reason for overriding"):
        create(staff, order, 1)
    assert_nothing_created(notifications)


def test_staff_past_the_window_need_the_override_permission(order, notifications):
    _delivered(order, 45)
    creator = grant(UserFactory(is_staff=True), "add_return")
    with pytest.raises(ReturnPermissionError, match="override the return rules"):
        create(creator, order, 1, override_reason="Loyal customer")
    assert_nothing_created(notifications)


def test_staff_override_is_recorded_with_their_reason(staff, order, notifications):
    # given
    _delivered(order, 45)
    # when
    ret = create(staff, order, 1, override_reason="Loyal customer, parcel was lost")
    # then
    override = ret.events.get(kind=ReturnEvent.Kind.OVERRIDE)
    assert override.actor == staff
    assert override.visible_to_customer is False
    assert "return window of 30 days" in override.text
    assert "Loyal customer, parcel was lost" in override.text
    assert [e.kind for e in ret.events.order_by("id")] == ["status", "override"]


def test_no_override_event_when_no_rule_is_broken(staff, order, notifications):
    ret = create(staff, order, 1, override_reason="Just in case")
    assert not ret.events.filter(kind=ReturnEvent.Kind.OVERRIDE).exists()


# --- ownership -------------------------------------------------------------------------------


def test_request_refused_for_another_customers_order(order, notifications):
    stranger = UserFactory()
    CustomerFactory(user=stranger, email=stranger.email)
    with pytest.raises(ReturnPermissionError, match="does not belong to your account"):
        return_request(
            idempotency_key=uuid.uuid4().hex,
            actor=stranger,
            order=order,
            lines=line_inputs(order, 1),
            refund_mode="money_back",
            delivery_option="label",
        )
    assert_nothing_created(notifications)


def test_request_refused_for_staff_and_nobody(staff, order, notifications):
    for actor in (staff, None):
        with pytest.raises(ReturnPermissionError):
            return_request(
                idempotency_key=uuid.uuid4().hex,
                actor=actor,
                order=order,
                lines=line_inputs(order, 1),
                refund_mode="money_back",
                delivery_option="label",
            )
    assert_nothing_created(notifications)


# --- refund modes and delivery options -------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "flag"),
    [
        ("money_back", "offer_money_back"),
        ("store_credit", "offer_store_credit"),
        ("exchange", "offer_exchange"),
    ],
)
def test_request_refused_for_a_refund_mode_not_offered(
    order, shop_settings, mode, flag, notifications
):
    setattr(shop_settings, flag, False)
    shop_settings.save()
    with pytest.raises(ReturnError, match="is not offered"):
        request(order, 1, refund_mode=mode)
    assert_nothing_created(notifications)


def test_request_refused_in_store_when_not_allowed(order, shop_settings, notifications):
    shop_settings.in_store_returns_allowed = False
    shop_settings.save()
    with pytest.raises(ReturnError, match="cannot be dropped in store"):
        request(order, 1, delivery_option="in_store")
    assert_nothing_created(notifications)


def test_request_in_store_when_allowed(order, notifications):
    ret = request(order, 1, delivery_option="in_store")
    assert ret.delivery_option == Return.DeliveryOption.IN_STORE


@pytest.mark.parametrize(("mode", "option"), [("cash", "label"), ("money_back", "pigeon")])
def test_request_refused_for_unknown_choices(order, mode, option, notifications):
    with pytest.raises(ReturnError):
        request(order, 1, refund_mode=mode, delivery_option=option)
    assert_nothing_created(notifications)


# --- reasons ---------------------------------------------------------------------------------


def test_request_refused_with_an_inactive_reason(order, reasons, notifications):
    reasons["arrived-late"].active = False
    reasons["arrived-late"].save()
    with pytest.raises(ReturnError, match="Choose a reason"):
        request(order, 1, reason="arrived-late")
    assert_nothing_created(notifications)


def test_request_refused_with_an_unknown_reason(order, notifications):
    with pytest.raises(ReturnError, match="Choose a reason"):
        request(order, 1, reason="no-such-reason")
    assert_nothing_created(notifications)


def test_reason_needing_details_refused_without_them(order, notifications):
    with pytest.raises(ReturnError, match="tell us more"):
        request(order, 1, reason="other")
    assert_nothing_created(notifications)


def test_reason_needing_details_accepted_with_them(order, notifications):
    line = lines_of(order)[0]
    ret = return_request(
        idempotency_key=uuid.uuid4().hex,
        actor=order.customer.user,
        order=order,
        lines=[
            ReturnLineInput(
                order_line_id=line.pk, quantity=1, reason_code="other", reason_detail=" Faded "
            )
        ],
        refund_mode="money_back",
        delivery_option="label",
    )
    assert ret.lines.get().reason_detail == "Faded"


# --- lines -----------------------------------------------------------------------------------


def test_request_refused_without_lines(order, notifications):
    with pytest.raises(ReturnError, match="at least one item"):
        return_request(
            idempotency_key=uuid.uuid4().hex,
            actor=order.customer.user,
            order=order,
            lines=[],
            refund_mode="money_back",
            delivery_option="label",
        )
    assert_nothing_created(notifications)


@pytest.mark.parametrize("quantity", [0, -1])
def test_request_refused_below_one(order, quantity, notifications):
    line = lines_of(order)[0]
    with pytest.raises(ReturnError, match="at least 1"):
        return_request(
            idempotency_key=uuid.uuid4().hex,
            actor=order.customer.user,
            order=order,
            lines=[
                ReturnLineInput(order_line_id=line.pk, quantity=quantity, reason_code="wrong-size")
            ],
            refund_mode="money_back",
            delivery_option="label",
        )
    assert_nothing_created(notifications)


def test_request_refused_above_the_ordered_quantity(order, notifications):
    with pytest.raises(ReturnError, match="at most 3"):
        request(order, 4)
    assert_nothing_created(notifications)


def test_request_refused_for_a_line_of_another_order(order, notifications):
    foreign = OrderLineFactory()
    with pytest.raises(ReturnError, match="not part of order"):
        return_request(
            idempotency_key=uuid.uuid4().hex,
            actor=order.customer.user,
            order=order,
            lines=[ReturnLineInput(order_line_id=foreign.pk, quantity=1, reason_code="wrong-size")],
            refund_mode="money_back",
            delivery_option="label",
        )
    assert_nothing_created(notifications)


def test_request_refused_with_the_same_line_twice(order, notifications):
    line = lines_of(order)[0]
    twice = [ReturnLineInput(order_line_id=line.pk, quantity=1, reason_code="wrong-size")] * 2
    with pytest.raises(ReturnError, match="only once"):
        return_request(
            idempotency_key=uuid.uuid4().hex,
            actor=order.customer.user,
            order=order,
            lines=twice,
            refund_mode="money_back",
            delivery_option="label",
        )
    assert_nothing_created(notifications)


# --- exchanges -------------------------------------------------------------------------------


def test_exchange_for_another_size_of_the_same_product(order, notifications):
    variant = lines_of(order)[0].variant
    larger = VariantFactory(product=variant.product, option="L", stock_on_hand=5)
    ret = request(order, 1, refund_mode="exchange", exchange_variant=larger)
    assert ret.lines.get().exchange_variant == larger


def test_exchange_refused_for_another_product(order, notifications):
    other = VariantFactory(stock_on_hand=5)
    with pytest.raises(ReturnError, match="same product"):
        request(order, 1, refund_mode="exchange", exchange_variant=other)
    assert_nothing_created(notifications)


def test_exchange_refused_when_out_of_stock(order, notifications):
    variant = lines_of(order)[0].variant
    larger = VariantFactory(product=variant.product, option="L", stock_on_hand=1)
    with pytest.raises(ReturnError, match="out of stock"):
        request(order, 2, refund_mode="exchange", exchange_variant=larger)
    assert_nothing_created(notifications)


def test_exchange_variant_refused_for_money_back(order, notifications):
    variant = lines_of(order)[0].variant
    with pytest.raises(ReturnError, match="only be chosen for an exchange"):
        request(order, 1, refund_mode="money_back", exchange_variant=variant)
    assert_nothing_created(notifications)


# --- defaults from the shop's settings -------------------------------------------------------


def test_fee_and_notify_flag_default_to_the_shop_settings(
    staff, order, shop_settings, notifications
):
    # given
    shop_settings.default_return_fee = Decimal("4.5")
    shop_settings.notify_customers_by_default = False
    shop_settings.save()
    # when
    requested = request(order, 1)
    created = create(staff, order, 1)
    # then
    assert requested.return_fee == Decimal("4.50")
    assert created.return_fee == Decimal("4.50")
    assert requested.notify_customer is False
    assert created.notify_customer is False
    assert notifications.calls == []


def test_staff_set_the_fee_and_the_notify_flag(staff, order, notifications):
    ret = return_create(
        idempotency_key=uuid.uuid4().hex,
        actor=staff,
        order=order,
        lines=line_inputs(order, 1),
        refund_mode="money_back",
        delivery_option="label",
        return_fee=Decimal("2.999"),
        notify_customer=True,
    )
    assert ret.return_fee == Decimal("3.00")
    assert notifications.events == ["requested"]


def test_staff_cannot_set_a_negative_fee(staff, order, notifications):
    with pytest.raises(ReturnError, match="cannot be negative"):
        create(staff, order, 1, return_fee=Decimal("-1"))
    assert_nothing_created(notifications)
