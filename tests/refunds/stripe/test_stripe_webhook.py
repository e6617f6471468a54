"""Stripe's refund webhooks (refunds/webhooks.py): verified by the library's own check, applied
once; a failed refund leaves the return unrefunded, tells staff, and can be retried."""

import time
from decimal import Decimal

import pytest
import stripe

from refunds.models import Refund
from refunds.money import money_for_return
from refunds.services import refund_retry, refund_through_provider
from returns.models import ReturnEvent, ReturnStatus
from tests.refunds.factories import refunds_manager
from tests.refunds.stripe.helpers import signed_post
from tests.refunds.stripe.stripe_server import event
from tests.refunds.stripe.test_stripe_refunds import worked_example_paid_by_stripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_refund(stripe_server, manager):
    """A refund Stripe took as pending: its outcome comes by webhook."""
    stripe_server.refund_status = "pending"
    ret = worked_example_paid_by_stripe()
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    refund.refresh_from_db()
    return refund


def stripe_refund(stripe_server, refund, **changes):
    return {**stripe_server.refunds[refund.reference], **changes}


def refund_events(ret):
    return list(ReturnEvent.objects.filter(ret=ret, kind=ReturnEvent.Kind.REFUND).order_by("id"))


def test_a_valid_succeeded_webhook_refunds_and_settles_the_return(
    client, stripe_server, pending_refund
):
    # when
    body = event("refund.updated", stripe_refund(stripe_server, pending_refund, status="succeeded"))
    response = signed_post(client, body)
    # then
    assert response.status_code == 200
    assert response.json() == {"refunds": [pending_refund.pk]}
    pending_refund.refresh_from_db()
    ret = pending_refund.ret
    ret.refresh_from_db()
    assert pending_refund.status == Refund.Status.REFUNDED
    assert pending_refund.marked_by is None  # the system, on Stripe's word
    assert ret.status == ReturnStatus.COMPLETED
    state = money_for_return(ret)
    assert (state.refunded, state.pending, state.left_to_refund) == (
        Decimal("33.73"),
        Decimal("0"),
        Decimal("0"),
    )


def test_a_duplicate_delivery_changes_nothing(client, stripe_server, pending_refund):
    # given
    body = event("refund.updated", stripe_refund(stripe_server, pending_refund, status="succeeded"))
    signed_post(client, body)
    events_before = refund_events(pending_refund.ret)
    # when
    response = signed_post(client, body)
    # then
    assert response.status_code == 200
    assert refund_events(pending_refund.ret) == events_before
    assert Refund.objects.filter(status=Refund.Status.REFUNDED).count() == 1


@pytest.mark.parametrize(
    "header",
    [
        stripe.WebhookSignature.generate_signature_header("{}", "whsec_wrong"),
        "",
        "t=notanumber,v1=abc",
    ],
    ids=["other secret", "no signature", "garbled"],
)
def test_an_invalid_signature_is_400_and_records_nothing(
    client, stripe_server, pending_refund, header
):
    # given
    body = event("refund.updated", stripe_refund(stripe_server, pending_refund, status="succeeded"))
    events_before = refund_events(pending_refund.ret)
    # when
    response = signed_post(client, body, header=header)
    # then
    assert response.status_code == 400
    pending_refund.refresh_from_db()
    assert pending_refund.status == Refund.Status.PENDING
    assert refund_events(pending_refund.ret) == events_before


def test_a_signature_of_another_body_is_400(client, stripe_server, pending_refund):
    # given: a genuine header for a pending event, replayed on a succeeded body
    genuine = stripe.WebhookSignature.generate_signature_header(
        '{"type": "refund.updated"}', "whsec_test_local"
    )
    body = event("refund.updated", stripe_refund(stripe_server, pending_refund, status="succeeded"))
    # when
    response = signed_post(client, body, header=genuine)
    # then
    assert response.status_code == 400
    pending_refund.refresh_from_db()
    assert pending_refund.status == Refund.Status.PENDING


def test_an_old_signature_is_refused_as_a_replay(client, stripe_server, pending_refund):
    # given
    import json

    body = event("refund.updated", stripe_refund(stripe_server, pending_refund, status="succeeded"))
    old = stripe.WebhookSignature.generate_signature_header(
        json.dumps(body), "whsec_test_local", timestamp=int(time.time()) - 3600
    )
    # when
    response = signed_post(client, body, header=old)
    # then
    assert response.status_code == 400
    pending_refund.refresh_from_db()
    assert pending_refund.status == Refund.Status.PENDING


def test_a_failed_refund_leaves_the_return_unrefunded_and_tells_staff(
    client, stripe_server, pending_refund, manager
):
    # when
    failed = stripe_refund(
        stripe_server, pending_refund, status="failed", failure_reason="expired_or_canceled_card"
    )
    response = signed_post(client, event("refund.failed", failed))
    # then
    assert response.status_code == 200
    pending_refund.refresh_from_db()
    ret = pending_refund.ret
    ret.refresh_from_db()
    assert pending_refund.status == Refund.Status.FAILED
    message = "Stripe: refund failed (expired_or_canceled_card)"
    assert pending_refund.provider_message == message
    assert ret.status == ReturnStatus.RECEIVED
    assert money_for_return(ret).refunded == Decimal("0")
    assert money_for_return(ret).left_to_refund == Decimal("33.73")
    assert ReturnEvent.objects.get(ret=ret, code="refund.failed").note == message
    # and staff see it on the refund's page, with the retry
    client.force_login(refunds_manager(extra=("view_refund",)))
    page = client.get(f"/admin/refunds/refund/{pending_refund.pk}/change/")
    assert message in page.content.decode()
    assert f"/admin/refunds/refund/{pending_refund.pk}/retry/" in page.content.decode()
    # and the retry is a new refund of what is owed
    stripe_server.refund_status = "succeeded"
    retried = refund_retry(actor=manager, refund=pending_refund, idempotency_key="form-2")
    retried.refresh_from_db()
    assert retried.status == Refund.Status.REFUNDED
    assert money_for_return(ret).refunded == Decimal("33.73")


def test_charge_refund_updated_is_read_too(client, stripe_server, pending_refund):
    # when
    body = event(
        "charge.refund.updated", stripe_refund(stripe_server, pending_refund, status="succeeded")
    )
    response = signed_post(client, body)
    # then
    assert response.status_code == 200
    pending_refund.refresh_from_db()
    assert pending_refund.status == Refund.Status.REFUNDED


def test_a_webhook_before_the_send_recorded_stripe_s_id_finds_the_refund_by_its_metadata(
    client, stripe_server, pending_refund
):
    # given: as if the send's answer were not recorded yet
    reference = pending_refund.reference
    Refund.objects.filter(pk=pending_refund.pk).update(reference="")
    # when
    body = event("refund.updated", {**stripe_server.refunds[reference], "status": "succeeded"})
    signed_post(client, body)
    # then
    pending_refund.refresh_from_db()
    assert (pending_refund.status, pending_refund.reference) == (Refund.Status.REFUNDED, reference)


def test_a_refund_that_is_not_ours_and_other_events_are_answered_and_ignored(
    client, stripe_server, pending_refund
):
    # given
    stranger = {**stripe_server.refunds[pending_refund.reference], "id": "re_dashboard"}
    stranger["metadata"] = {}
    # when
    unknown = signed_post(client, event("refund.updated", stranger))
    other = signed_post(client, event("charge.succeeded", {"id": "ch_1", "object": "charge"}))
    # then
    assert (unknown.status_code, unknown.json()) == (200, {"refunds": []})
    assert (other.status_code, other.json()) == (200, {"refunds": []})
    pending_refund.refresh_from_db()
    assert pending_refund.status == Refund.Status.PENDING


def test_a_provider_we_do_not_have_is_404(client, stripe_server):
    assert client.post("/payments/paypal/webhook/", data="{}", content_type="x").status_code == 404
    assert client.post("/payments/manual/webhook/", data="{}", content_type="x").status_code == 404


def test_without_stripe_configured_the_webhook_is_404(client):
    body = event("refund.updated", {"id": "re_1", "object": "refund", "status": "succeeded"})
    assert signed_post(client, body).status_code == 404
