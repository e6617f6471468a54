"""Refunds sent to Stripe (refunds/providers/stripe.py) through refunds/services.py, against a
local server answering as Stripe's API: idempotency keys, minor units, a timeout then one refund,
a refusal kept for staff and retried, nothing refunded that Stripe did not confirm."""

from decimal import Decimal

import pytest

from refunds.models import ProviderState, Refund, StoreCreditMovement
from refunds.money import money_for_return
from refunds.services import (
    RefundError,
    provider_idempotency_key,
    refund_check,
    refund_mark_refunded,
    refund_retry,
    refund_send,
    refund_through_provider,
)
from returns.models import ReturnEvent, ReturnStatus
from tests.factories import make_order
from tests.refunds.factories import received_return
from tests.refunds.stripe.helpers import PAYMENT_INTENT, stripe_order
from tests.refunds.stripe.stripe_server import refused

pytestmark = pytest.mark.django_db


def worked_example_paid_by_stripe(**kwargs):
    """19.99 + 12.74 + shipping 6.00 - return fee 5.00 = 33.73 EUR, received."""
    order = stripe_order([(1, "19.99"), (1, "12.74")], shipping="6.00", **kwargs)
    return received_return(order, [1, 1], fee="5.00")


def test_the_refund_request_carries_its_idempotency_key_and_exact_minor_units(
    stripe_server, manager
):
    # given
    ret = worked_example_paid_by_stripe()
    # when
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    # then
    [request] = stripe_server.requests
    assert (request.method, request.path) == ("POST", "/v1/refunds")
    assert request.headers["Idempotency-Key"] == provider_idempotency_key(refund)
    assert request.headers["Idempotency-Key"] == f"refund-{refund.pk}-form-1"
    assert request.params == {
        "payment_intent": PAYMENT_INTENT,
        "amount": "3373",
        "metadata[refund_id]": str(refund.pk),
    }
    assert request.caller_outside_transactions is True


def test_a_zero_decimal_currency_is_sent_in_whole_units(stripe_server, manager):
    # given: 2,500 yen for the item, 500 yen shipping, no fee
    order = stripe_order([(1, "2500")], shipping="500", currency="JPY")
    ret = received_return(order, [1])
    # when
    refund_through_provider(actor=manager, ret=ret, idempotency_key="form-jpy")
    # then
    assert stripe_server.requests[0].params["amount"] == "3000"


def test_a_partial_refund_sends_its_own_amount(stripe_server, manager):
    # given
    ret = worked_example_paid_by_stripe()
    # when
    refund = refund_through_provider(
        actor=manager, ret=ret, idempotency_key="form-1", amount="10.05", reason="worn"
    )
    # then
    assert stripe_server.requests[0].params["amount"] == "1005"
    assert refund.is_partial is True
    assert money_for_return(ret).left_to_refund == Decimal("23.68")


def test_confirmed_at_once_the_refund_is_refunded_and_the_return_completed(stripe_server, manager):
    # given
    ret = worked_example_paid_by_stripe()
    # when
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    # then
    refund.refresh_from_db()
    ret.refresh_from_db()
    assert refund.status == Refund.Status.REFUNDED
    assert refund.reference == "re_local0001"
    assert ret.status == ReturnStatus.COMPLETED
    assert money_for_return(ret).refunded == Decimal("33.73")


def test_pending_at_stripe_the_refund_stays_pending(stripe_server, manager):
    # given
    stripe_server.refund_status = "pending"
    ret = worked_example_paid_by_stripe()
    # when
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    # then: pending, Stripe's id kept for its webhook, nothing refunded
    refund.refresh_from_db()
    ret.refresh_from_db()
    assert refund.status == Refund.Status.PENDING
    assert refund.provider_state == ProviderState.SENT
    assert refund.reference == "re_local0001"
    assert ret.status == ReturnStatus.RECEIVED
    assert money_for_return(ret).refunded == Decimal("0")
    assert money_for_return(ret).pending == Decimal("33.73")


def test_a_timeout_then_sending_again_makes_one_refund_at_stripe(stripe_server, manager):
    # given: Stripe makes the refund but answers after the client's timeout (0.5 s)
    stripe_server.delay_seconds = 1.5
    ret = worked_example_paid_by_stripe()
    # when
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    # then: no answer, nothing refunded, a send again offered
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING
    assert refund.provider_state == ProviderState.NO_ANSWER
    assert "Stripe did not answer" in refund.provider_message
    assert refund.reference == ""
    # when: Stripe finished the first request; staff send it again
    assert stripe_server.idle.wait(5)
    stripe_server.delay_seconds = 0
    refund = refund_send(actor=manager, refund=refund)
    # then: the same key twice, one refund at Stripe, and it is ours
    assert len(stripe_server.requests) == 2
    keys = {request.headers["Idempotency-Key"] for request in stripe_server.requests}
    assert keys == {provider_idempotency_key(refund)}
    assert list(stripe_server.refunds) == ["re_local0001"]
    refund.refresh_from_db()
    assert (refund.status, refund.reference) == (Refund.Status.REFUNDED, "re_local0001")
    assert Refund.objects.filter(ret=ret).count() == 1


def test_a_refusal_fails_the_refund_with_stripe_s_words_and_refunds_nothing(stripe_server, manager):
    # given
    stripe_server.refusal = refused(
        "charge_already_refunded", "Charge ch_local0001 has already been refunded."
    )
    ret = worked_example_paid_by_stripe()
    # when
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    # then
    refund.refresh_from_db()
    ret.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert refund.provider_message == "Stripe: Charge ch_local0001 has already been refunded."
    assert ret.status == ReturnStatus.RECEIVED
    assert money_for_return(ret).refunded == Decimal("0")
    assert money_for_return(ret).left_to_refund == Decimal("33.73")
    failed = ReturnEvent.objects.get(ret=ret, code="refund.failed")
    assert failed.note == refund.provider_message
    assert failed.visible_to_customer is False


def test_a_failed_refund_is_retried_as_a_new_refund_of_what_is_owed(stripe_server, manager):
    # given
    stripe_server.refusal = refused("insufficient_funds", "Insufficient funds in Stripe balance.")
    ret = worked_example_paid_by_stripe()
    failed = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    failed.refresh_from_db()
    stripe_server.refusal = None
    # when
    retried = refund_retry(actor=manager, refund=failed, idempotency_key="form-2")
    # then: a second row, a second key, one refund made at Stripe
    assert retried.pk != failed.pk
    keys = [request.headers["Idempotency-Key"] for request in stripe_server.requests]
    assert keys == [provider_idempotency_key(failed), provider_idempotency_key(retried)]
    assert stripe_server.requests[1].params["amount"] == "3373"
    assert list(stripe_server.refunds) == ["re_local0001"]
    retried.refresh_from_db()
    assert retried.status == Refund.Status.REFUNDED
    assert money_for_return(ret).refunded == Decimal("33.73")


def test_a_refund_through_stripe_is_never_marked_refunded_by_hand(stripe_server, manager):
    # given
    stripe_server.refund_status = "pending"
    ret = worked_example_paid_by_stripe()
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    # when / then
    with pytest.raises(RefundError, match="confirms it, never by hand"):
        refund_mark_refunded(actor=manager, refund=refund, reference="typed")
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING
    assert refund.reference == "re_local0001"


def test_an_order_paid_by_hand_sends_nothing(stripe_server, manager):
    # given
    ret = received_return(make_order([(1, "19.99")]), [1])
    # when
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    # then
    assert stripe_server.requests == []
    assert (refund.provider, refund.status) == ("manual", Refund.Status.PENDING)
    with pytest.raises(RefundError, match="paid out by hand"):
        refund_send(actor=manager, refund=refund)


def test_store_credit_on_an_order_paid_by_stripe_is_given_here(stripe_server, manager):
    # given
    order = stripe_order([(1, "19.99")], shipping="0.00")
    ret = received_return(order, [1], mode="store_credit")
    # when
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    # then
    assert stripe_server.requests == []
    assert refund.provider == "manual"
    assert not StoreCreditMovement.objects.exists()  # until staff mark it refunded


def test_a_refund_is_checked_at_stripe_when_its_webhook_is_late(stripe_server, manager):
    # given: pending at Stripe, then succeeded there; no webhook came
    stripe_server.refund_status = "pending"
    ret = worked_example_paid_by_stripe()
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    refund.refresh_from_db()
    stripe_server.refunds[refund.reference]["status"] = "succeeded"
    # when
    checked = refund_check(actor=manager, refund=refund)
    # then
    assert (stripe_server.requests[-1].method, stripe_server.requests[-1].path) == (
        "GET",
        f"/v1/refunds/{refund.reference}",
    )
    assert checked.status == Refund.Status.REFUNDED
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.COMPLETED


def test_a_refund_stripe_does_not_know_is_refused_and_unchanged(stripe_server, manager):
    # given
    stripe_server.refund_status = "pending"
    ret = worked_example_paid_by_stripe()
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    refund.refresh_from_db()
    stripe_server.refunds.clear()
    # when / then
    with pytest.raises(RefundError, match="The provider could not tell: Stripe: No such refund"):
        refund_check(actor=manager, refund=refund)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING


def test_a_refund_paid_by_hand_is_not_checked_anywhere(stripe_server, manager):
    ret = received_return(make_order([(1, "19.99")]), [1])
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    with pytest.raises(RefundError, match="Only a pending refund sent to a provider"):
        refund_check(actor=manager, refund=refund)
    assert stripe_server.requests == []
