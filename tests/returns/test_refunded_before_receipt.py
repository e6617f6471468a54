"""A return refunded before its parcel arrives stays open: nobody (its customer, a verified guest,
staff, the expiry sweep) may cancel, reject or expire it, so its items cannot be returned and
refunded a second time. Found by testing: refunded as store credit, cancelled by the customer,
requested again, approved and refunded again."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from notifications.emails import render_email
from notifications.models import Notification
from refunds.models import LIVE_REFUND_STATUSES, Refund, RefundStatus, StoreCreditMovement
from refunds.money import money_for_return
from refunds.services import refund_create, refund_settle
from returns import policy
from returns.errors import ReturnError
from returns.models import Return, ReturnStatus
from returns.notify import email_context
from returns.services import (
    return_approve,
    return_cancel,
    return_expire,
    return_receive,
    return_reject,
)
from returns.services.expiry import returns_due_to_expire, returns_expire_due
from tests.factories import make_order
from tests.fixtures.concurrency import race
from tests.refunds.factories import refunds_manager
from tests.returns.helpers import request, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer, reasons, shop_settings):
    """Delivered a week ago: one jacket at 59.09, shipping 6.00: a whole return owes 65.09."""
    return make_order([(1, "59.09")], shipping="6.00", customer=customer, email=customer.email)


@pytest.fixture
def manager(db):
    return refunds_manager()


def approved_and_credited(order, staff, manager) -> Return:
    """The customer's return, approved by staff, then credited (store credit) before receipt."""
    ret = request(order, 1, refund_mode=Return.RefundMode.STORE_CREDIT)
    ret = return_approve(actor=staff, ret=ret)
    refund_settle(actor=manager, ret=ret, reference="", idempotency_key="credit-1")
    return Return.objects.get(pk=ret.pk)


def everything(ret: Return, notifications) -> dict:
    """What a refused closing must leave: the return (status, events, lines, refunds, stock),
    the store credit, the outbox and the emails asked for."""
    return {
        **snapshot(ret),
        "credit": list(StoreCreditMovement.objects.values_list("id", "amount")),
        "all_refunds": list(Refund.objects.values_list("id", "status", "amount")),
        "outbox": Notification.objects.count(),
        "emails": list(notifications.events),
    }


CANCEL_REFUSED = "Return %s can no longer be cancelled: it has a refund of €65.09."


def test_the_credit_is_made_before_receipt_and_the_money_state_says_so(
    order, staff, manager, notifications
):
    # given
    ret = approved_and_credited(order, staff, manager)
    # when
    state = money_for_return(ret)
    # then
    assert ret.status == ReturnStatus.APPROVED
    assert (state.refunded, state.pending, state.left_to_refund) == (
        Decimal("65.09"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert state.has_live_refund is True
    assert state.parcel_awaited is True
    assert state.refunded_before_receipt is True
    assert list(StoreCreditMovement.objects.values_list("amount", flat=True)) == [Decimal("65.09")]


def test_the_customer_cannot_cancel_a_credited_return_nor_request_its_items_again(
    order, staff, manager, notifications
):
    # given
    ret = approved_and_credited(order, staff, manager)
    before = everything(ret, notifications)
    # when
    with pytest.raises(ReturnError) as refused:
        return_cancel(actor=order.customer.user, ret=ret, expected_status=ReturnStatus.APPROVED)
    with pytest.raises(ReturnError) as again:
        request(order, 1, refund_mode=Return.RefundMode.STORE_CREDIT)
    # then
    assert refused.value.message == CANCEL_REFUSED % ret.rma_number
    jacket = order.lines.get().variant
    assert again.value.message == f"“{jacket}” is already being returned in full."
    assert everything(ret, notifications) == before
    assert Return.objects.count() == 1
    assert Refund.objects.count() == 1


def test_a_verified_guest_cannot_cancel_a_credited_return(order, staff, manager, notifications):
    # given
    ret = approved_and_credited(order, staff, manager)
    before = everything(ret, notifications)
    # when
    with pytest.raises(ReturnError) as refused:
        return_cancel(actor=None, ret=ret, guest_order_verified=True)
    # then
    assert refused.value.message == CANCEL_REFUSED % ret.rma_number
    assert everything(ret, notifications) == before


def test_staff_cannot_cancel_a_credited_return(order, staff, manager, notifications):
    # given
    ret = approved_and_credited(order, staff, manager)
    before = everything(ret, notifications)
    # when
    with pytest.raises(ReturnError) as refused:
        return_cancel(actor=staff, ret=ret, note="customer changed her mind")
    # then
    assert refused.value.message == CANCEL_REFUSED % ret.rma_number
    assert everything(ret, notifications) == before


def test_staff_cannot_reject_a_credited_return_once_its_parcel_arrives(
    order, staff, manager, notifications
):
    # given
    ret = approved_and_credited(order, staff, manager)
    ret = return_receive(actor=staff, ret=ret)
    before = everything(ret, notifications)
    # when
    with pytest.raises(ReturnError) as refused:
        return_reject(actor=staff, ret=ret, reason="Worn", expected_status=ReturnStatus.RECEIVED)
    # then
    assert refused.value.message == (
        f"Return {ret.rma_number} can no longer be rejected: it has a refund of €65.09."
    )
    assert everything(ret, notifications) == before
    assert Return.objects.get(pk=ret.pk).rejection_reason == ""


def test_a_credited_return_cannot_expire_and_the_sweep_leaves_it_alone(
    order, staff, manager, notifications, shop_settings
):
    # given
    ret = approved_and_credited(order, staff, manager)
    later = timezone.now() + timedelta(days=shop_settings.return_expiry_days + 1)
    before = everything(ret, notifications)
    # when
    with pytest.raises(ReturnError) as refused:
        return_expire(actor=None, ret=ret)
    due = list(returns_due_to_expire(now=later, days=shop_settings.return_expiry_days))
    run = returns_expire_due(apply=True, now=later, days=shop_settings.return_expiry_days)
    # then
    assert refused.value.message == (
        f"Return {ret.rma_number} can no longer expire: it has a refund of €65.09."
    )
    assert due == []
    assert (run.due, run.expired, run.skipped) == ([], [], [])
    assert everything(ret, notifications) == before


def test_the_sweep_still_expires_the_returns_nothing_was_refunded_for(
    order, staff, manager, notifications, customer, shop_settings
):
    # given: a second order of the customer, approved and never sent, not refunded
    ret = approved_and_credited(order, staff, manager)
    other = make_order([(1, "10.00")], customer=customer, email=customer.email)
    untouched = return_approve(actor=staff, ret=request(other, 1))
    later = timezone.now() + timedelta(days=shop_settings.return_expiry_days + 1)
    # when
    run = returns_expire_due(apply=True, now=later, days=shop_settings.return_expiry_days)
    # then
    assert [r.pk for r in run.expired] == [untouched.pk]
    assert Return.objects.get(pk=untouched.pk).status == ReturnStatus.EXPIRED
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.APPROVED


def test_a_pending_refund_keeps_the_return_open_too(order, staff, manager, notifications):
    # given: a refund created before receipt, not marked refunded yet
    ret = return_approve(actor=staff, ret=request(order, 1))
    refund_create(actor=manager, ret=ret, idempotency_key="pending-1")
    before = everything(ret, notifications)
    # when
    with pytest.raises(ReturnError) as refused:
        return_cancel(actor=staff, ret=ret)
    # then
    assert refused.value.message == CANCEL_REFUSED % ret.rma_number
    assert list(Refund.objects.values_list("status", flat=True)) == [RefundStatus.PENDING]
    assert money_for_return(ret).refunded_before_receipt is True
    assert everything(ret, notifications) == before


def test_a_return_nothing_was_refunded_for_is_still_cancelled(order, staff, manager, notifications):
    # given
    ret = return_approve(actor=staff, ret=request(order, 1))
    # when
    cancelled = return_cancel(actor=order.customer.user, ret=ret)
    # then
    assert cancelled.status == ReturnStatus.CANCELLED
    assert notifications.events == ["requested", "approved_with_label", "cancelled"]


def test_the_policy_answers_from_the_money_state(order, staff, manager, notifications):
    # given
    credited = approved_and_credited(order, staff, manager)
    state = money_for_return(credited)
    # when
    refusals = {
        name: policy.closing_refusal(name, credited, state)
        for name in ("cancel", "reject", "expire")
    }
    # then
    assert {name: (r.code, r.message) for name, r in refusals.items() if r} == {
        "cancel": (policy.RefusalCode.REFUNDED, CANCEL_REFUSED % credited.rma_number),
        "reject": (
            policy.RefusalCode.REFUNDED,
            f"Return {credited.rma_number} can no longer be rejected: it has a refund of €65.09.",
        ),
        "expire": (
            policy.RefusalCode.REFUNDED,
            f"Return {credited.rma_number} can no longer expire: it has a refund of €65.09.",
        ),
    }
    assert policy.customer_may_cancel(credited) is True  # the status would allow it
    assert policy.cancel_offered_to_customer(credited, state) is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_a_refund_leaves_one_of_them(order, staff, manager, slow_outbox):
    # given: the customer's approved return, read by both
    ret = return_approve(actor=staff, ret=request(order, 1, refund_mode="store_credit"))
    pages = [Return.objects.get(pk=ret.pk) for _ in range(2)]
    # when
    cancel, credit = race(
        lambda: return_cancel(actor=order.customer.user, ret=pages[0], expected_status="approved"),
        lambda: refund_settle(actor=manager, ret=pages[1], reference="", idempotency_key="race-1"),
    )
    # then: cancelled with nothing refunded, or credited and still open; never both
    status = Return.objects.get(pk=ret.pk).status
    live = list(Refund.objects.filter(ret=ret, status__in=LIVE_REFUND_STATUSES))
    if isinstance(cancel, Return):
        assert isinstance(credit, ReturnError)
        assert (status, live, StoreCreditMovement.objects.count()) == ("cancelled", [], 0)
    else:
        assert cancel.message == CANCEL_REFUSED % ret.rma_number
        assert isinstance(credit, Refund)
        assert status == ReturnStatus.APPROVED
        assert [refund.amount for refund in live] == [Decimal("65.09")]


def test_the_customer_is_emailed_the_refund_made_before_receipt_and_asked_to_send_the_parcel(
    order, staff, manager, notifications
):
    # given: an approved return, its parcel awaited
    ret = return_approve(actor=staff, ret=request(order, 1))
    told_before = len(notifications.calls)
    # when: refunded and marked refunded before the parcel arrives
    refund_settle(actor=manager, ret=ret, reference="BANK-1", idempotency_key="early-1")
    # then: one email more, "refunded, parcel awaited", with the amount
    assert notifications.events[told_before:] == ["refunded_early"]
    event = notifications.calls[-1]["return_event"]
    with translation.override("en"):
        english = render_email("refunded_early", "en", email_context(ret, event))
    with translation.override("fr"):
        french = render_email("refunded_early", "fr", email_context(ret, event))
    assert english.subject == (
        f"Refund for your return {ret.rma_number}: please still send your parcel"
    )
    assert "We have refunded €65.09 to your original payment" in english.text_body
    assert "please still send us your parcel" in english.text_body
    assert french.subject == (
        f"Remboursement de votre retour {ret.rma_number}\u00a0: merci d\u2019envoyer tout de même "
        "votre colis"
    )
    assert "Nous vous avons remboursé 65,09\u00a0€" in french.text_body
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.APPROVED


def test_no_early_refund_email_once_the_parcel_arrived(order, staff, manager, notifications):
    # given: received, then refunded
    ret = return_receive(actor=staff, ret=return_approve(actor=staff, ret=request(order, 1)))
    # when
    refund_settle(actor=manager, ret=ret, reference="BANK-1", idempotency_key="late-1")
    # then: the completion's email, not the early one
    assert "refunded_early" not in notifications.events
    assert notifications.events[-1] == "refunded"
