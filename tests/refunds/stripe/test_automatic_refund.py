"""Automatic refunds (ShopSettings, per refund mode): a return received and inspected is
refunded after its receipt commits, through the same service and rules as staff's."""

from decimal import Decimal

import pytest

from refunds.models import Refund, StoreCreditMovement
from refunds.money import money_for_return
from returns.models import Return, ReturnStatus
from returns.services.inspection import return_inspect, return_receive_for_inspection
from shop.models import ShopSettings
from tests.factories import make_order, superuser
from tests.refunds.factories import received_return
from tests.refunds.stripe.helpers import stripe_order

pytestmark = pytest.mark.django_db


def switch_on(**switches):
    ShopSettings.objects.update_or_create(pk=1, defaults=switches)


def test_money_back_is_refunded_through_stripe_once_received(
    stripe_server, django_capture_on_commit_callbacks
):
    # given
    switch_on(auto_refund_money_back=True)
    order = stripe_order([(1, "19.99"), (1, "12.74")], shipping="6.00")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        ret = received_return(order, [1, 1], fee="5.00")
    # then
    refund = Refund.objects.get(ret=ret)
    ret.refresh_from_db()
    assert [r.params["amount"] for r in stripe_server.requests] == ["3373"]
    assert (refund.status, refund.created_by, refund.idempotency_key) == (
        Refund.Status.REFUNDED,
        None,
        f"auto-{ret.pk}",
    )
    assert ret.status == ReturnStatus.COMPLETED


def test_switched_off_nothing_is_refunded(stripe_server, django_capture_on_commit_callbacks):
    # given
    order = stripe_order([(1, "19.99")])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        ret = received_return(order, [1])
    # then
    assert not Refund.objects.filter(ret=ret).exists()
    assert stripe_server.requests == []


def test_a_parcel_awaiting_inspection_is_refunded_only_once_inspected(
    stripe_server, django_capture_on_commit_callbacks
):
    # given
    switch_on(auto_refund_money_back=True)
    ret = received_return(stripe_order([(1, "19.99")]), [1], received=False)
    # when: delivered unopened
    with django_capture_on_commit_callbacks(execute=True):
        return_receive_for_inspection(ret=ret)
    # then
    assert not Refund.objects.filter(ret=ret).exists()
    # when: inspected
    with django_capture_on_commit_callbacks(execute=True):
        return_inspect(actor=superuser(), ret=ret)
    # then
    assert Refund.objects.get(ret=ret).status == Refund.Status.REFUNDED
    assert len(stripe_server.requests) == 1


def test_store_credit_is_given_at_once(django_capture_on_commit_callbacks):
    # given
    switch_on(auto_refund_store_credit=True)
    order = make_order([(1, "19.99")], shipping="0.00")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        ret = received_return(order, [1], mode=Return.RefundMode.STORE_CREDIT)
    # then
    [credit] = StoreCreditMovement.objects.filter(customer=order.customer)
    assert credit.amount == Decimal("19.99")
    assert Refund.objects.get(ret=ret).status == Refund.Status.REFUNDED


def test_the_money_back_switch_leaves_store_credit_alone(django_capture_on_commit_callbacks):
    # given
    switch_on(auto_refund_money_back=True)
    order = make_order([(1, "19.99")], shipping="0.00")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        ret = received_return(order, [1], mode=Return.RefundMode.STORE_CREDIT)
    # then
    assert not Refund.objects.filter(ret=ret).exists()
    assert not StoreCreditMovement.objects.exists()


def test_an_order_paid_by_hand_gets_a_pending_refund_for_staff(
    stripe_server, django_capture_on_commit_callbacks
):
    # given
    switch_on(auto_refund_money_back=True)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        ret = received_return(make_order([(1, "19.99")], shipping="0.00"), [1])
    # then
    refund = Refund.objects.get(ret=ret)
    assert (refund.status, refund.provider) == (Refund.Status.PENDING, "manual")
    assert money_for_return(ret).pending == Decimal("19.99")
    assert stripe_server.requests == []
