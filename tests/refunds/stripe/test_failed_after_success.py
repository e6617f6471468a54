"""A refund Stripe confirmed, then reports failed (`refund.updated` or `refund.failed` with
status failed: the card refused the money on its way back). The money state says so: the
refund is failed with Stripe's words, the return it completed is reopened (received) with money
left to refund, staff read it on the return's page and its timeline in French and English, and
a retry refunds it again. Webhooks signed with the library's own helper, sent to our webhook;
refunds made against the local Stripe server."""

from decimal import Decimal

import pytest
import stripe
from django.test import Client
from django.utils import translation

from refunds.models import Refund
from refunds.money import money_for_return
from refunds.services import refund_retry, refund_through_provider
from returns.events import render_event
from returns.models import ReturnEvent, ReturnStatus
from tests.refunds.factories import received_return, refunds_manager
from tests.refunds.stripe.helpers import signed_post, stripe_order
from tests.refunds.stripe.stripe_server import event
from tests.refunds.stripe.test_stripe_refunds import worked_example_paid_by_stripe

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
APOSTROPHE = "\u2019"  # French typography
MESSAGE = "Stripe: refund failed (expired_or_canceled_card)"


@pytest.fixture
def completed(stripe_server, manager):
    """Refunded through Stripe, confirmed at once: the return is completed."""
    ret = worked_example_paid_by_stripe()
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    refund.refresh_from_db()
    ret.refresh_from_db()
    assert (refund.status, ret.status) == (Refund.Status.REFUNDED, ReturnStatus.COMPLETED)
    return refund


def failed_body(stripe_server, refund, kind="refund.updated", number=2):
    data = {
        **stripe_server.refunds[refund.reference],
        "status": "failed",
        "failure_reason": "expired_or_canceled_card",
    }
    return event(kind, data, number)


def events_of(ret):
    return list(ReturnEvent.objects.filter(ret=ret).order_by("id"))


@pytest.mark.parametrize("kind", ["refund.updated", "refund.failed"])
def test_a_refund_failed_after_it_succeeded_fails_and_reopens_the_return(
    client, stripe_server, completed, kind
):
    # given
    ret = completed.ret
    before = len(events_of(ret))
    # when
    response = signed_post(client, failed_body(stripe_server, completed, kind))
    # then: the refund is failed with Stripe's words, the system's doing
    assert (response.status_code, response.json()) == (200, {"refunds": [completed.pk]})
    completed.refresh_from_db()
    assert completed.status == Refund.Status.FAILED
    assert completed.provider_message == MESSAGE
    assert completed.note == MESSAGE
    assert completed.reference == "re_local0001"
    assert completed.marked_by is None
    # and the return is no longer refunded: received again, everything left to refund
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RECEIVED
    state = money_for_return(ret)
    assert (state.refunded, state.pending, state.left_to_refund) == (
        Decimal("0"),
        Decimal("0"),
        Decimal("33.73"),
    )
    assert state.settled is False
    # and the timeline says it: the refund's event for staff, the status event (no raw words)
    refund_event, status_event = events_of(ret)[before:]
    assert (refund_event.kind, refund_event.code) == (
        ReturnEvent.Kind.REFUND,
        "refund.failed_after_payout",
    )
    assert (refund_event.note, refund_event.visible_to_customer, refund_event.actor) == (
        MESSAGE,
        False,
        None,
    )
    assert (status_event.from_status, status_event.to_status, status_event.code) == (
        ReturnStatus.COMPLETED,
        ReturnStatus.RECEIVED,
        "return.reopened",
    )
    assert status_event.note == ""
    with translation.override("en"):
        assert render_event(refund_event) == (
            "Stripe reports the refund of €33.73 failed after it had succeeded: nothing was "
            f"refunded. Retry it.\n{MESSAGE}"
        )
        assert render_event(status_event) == (
            "Reopened: the refund of €33.73 failed at Stripe after it had succeeded. It will be "
            "refunded again."
        )
    with translation.override("fr"):
        assert render_event(refund_event) == (
            f"Stripe signale que le remboursement de 33,73{NBSP}€ a échoué après avoir réussi : "
            f"rien n{APOSTROPHE}a été remboursé. Relancez-le.\n{MESSAGE}"
        )
        assert render_event(status_event) == (
            f"Rouvert : le remboursement de 33,73{NBSP}€ a échoué chez Stripe après avoir "
            "réussi. Il sera remboursé de nouveau."
        )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Stripe reports the refund of €33.73 failed after it had succeeded"),
        ("fr", "Stripe signale que le remboursement de 33,73"),
    ],
)
def test_the_return_s_page_shows_stripe_s_message_and_offers_the_refund_again(
    client, stripe_server, completed, language, words
):
    # given
    signed_post(client, failed_body(stripe_server, completed))
    staff = Client(HTTP_ACCEPT_LANGUAGE=language)
    staff.force_login(refunds_manager(extra=("view_refund", "view_return", "change_return")))
    # when
    page = staff.get(f"/admin/returns/return/{completed.ret_id}/change/").content.decode()
    # then
    assert f'<span class="bo-warning-text provider-message">{MESSAGE}</span>' in page
    assert words in page
    assert 'id="refund-through-provider"' in page


def test_a_retry_refunds_it_again_and_completes_the_return(
    client, stripe_server, completed, manager
):
    # given
    signed_post(client, failed_body(stripe_server, completed))
    completed.refresh_from_db()
    # when
    retried = refund_retry(actor=manager, refund=completed, idempotency_key="form-2")
    # then: a second refund at Stripe, under its own key, confirmed
    retried.refresh_from_db()
    assert retried.pk != completed.pk
    assert (retried.status, retried.amount) == (Refund.Status.REFUNDED, Decimal("33.73"))
    assert list(stripe_server.refunds) == ["re_local0001", "re_local0002"]
    assert stripe_server.requests[-1].params["amount"] == "3373"
    ret = retried.ret
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.COMPLETED
    state = money_for_return(ret)
    assert (state.refunded, state.left_to_refund) == (Decimal("33.73"), Decimal("0"))


def test_the_same_failure_delivered_twice_is_applied_once(client, stripe_server, completed):
    # given
    body = failed_body(stripe_server, completed)
    signed_post(client, body)
    before = events_of(completed.ret)
    # when
    response = signed_post(client, body)
    # then
    assert response.status_code == 200
    assert events_of(completed.ret) == before
    completed.ret.refresh_from_db()
    assert completed.ret.status == ReturnStatus.RECEIVED


def test_a_failure_with_an_invalid_signature_changes_nothing(client, stripe_server, completed):
    # given
    before = events_of(completed.ret)
    header = stripe.WebhookSignature.generate_signature_header("{}", "whsec_wrong")
    # when
    response = signed_post(client, failed_body(stripe_server, completed), header=header)
    # then: 400, still refunded and completed
    assert response.status_code == 400
    completed.refresh_from_db()
    completed.ret.refresh_from_db()
    assert (completed.status, completed.ret.status) == (
        Refund.Status.REFUNDED,
        ReturnStatus.COMPLETED,
    )
    assert events_of(completed.ret) == before
    assert money_for_return(completed.ret).refunded == Decimal("33.73")


def test_a_partial_refund_failed_after_success_leaves_the_received_return_received(
    client, stripe_server, manager
):
    # given: 10.00 of 19.99 refunded, confirmed: the return waits for the rest
    ret = received_return(stripe_order([(1, "19.99")], shipping="0.00"), [1])
    refund = refund_through_provider(
        actor=manager, ret=ret, idempotency_key="form-1", amount="10.00", reason="worn"
    )
    refund.refresh_from_db()
    assert money_for_return(ret).left_to_refund == Decimal("9.99")
    # when
    signed_post(client, failed_body(stripe_server, refund))
    # then
    refund.refresh_from_db()
    ret.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert ret.status == ReturnStatus.RECEIVED
    assert money_for_return(ret).left_to_refund == Decimal("19.99")
    assert not ReturnEvent.objects.filter(
        ret=ret, kind=ReturnEvent.Kind.STATUS, code="return.reopened"
    ).exists()
    assert ReturnEvent.objects.filter(ret=ret, code="refund.failed_after_payout").count() == 1
