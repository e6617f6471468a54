"""The back-office over Stripe refunds: the return's page offers "Refund through Stripe" (never
"Mark as refunded"), the refund form sends it, staff send again after no answer and retry a
failure, each behind a confirmation page."""

import pytest

from refunds.models import ProviderState, Refund
from refunds.services import refund_through_provider
from tests.refunds.factories import refunds_manager
from tests.refunds.stripe.stripe_server import refused
from tests.refunds.stripe.test_stripe_refunds import worked_example_paid_by_stripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = refunds_manager(extra=("view_refund", "view_return", "change_return"))
    client.force_login(user)
    return user


def test_the_return_page_offers_the_refund_through_stripe(client, stripe_server, staff):
    # given
    ret = worked_example_paid_by_stripe()
    # when
    page = client.get(f"/admin/returns/return/{ret.pk}/change/").content.decode()
    # then
    assert 'id="refund-through-provider"' in page
    assert "Refund through Stripe" in page
    assert 'id="mark-refunded"' not in page


def test_the_refund_form_sends_the_refund_to_stripe(client, stripe_server, staff):
    # given
    ret = worked_example_paid_by_stripe()
    stripe_server.refund_status = "pending"
    # when
    response = client.post(
        f"/admin/refunds/refund/return/{ret.pk}/",
        {"mode": "original_payment", "idempotency_key": "page-1", "amount": "", "reason": ""},
    )
    # then
    refund = Refund.objects.get(ret=ret)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/refunds/refund/{refund.pk}/change/"
    assert [r.params["amount"] for r in stripe_server.requests] == ["3373"]
    assert (refund.status, refund.provider_state) == (Refund.Status.PENDING, ProviderState.SENT)
    page = client.get(f"/admin/returns/return/{ret.pk}/change/").content.decode()
    assert 'id="awaiting-provider"' in page
    assert 'id="refund-through-provider"' not in page


def test_a_reference_typed_by_hand_is_refused_for_a_stripe_order(client, stripe_server, staff):
    # given
    ret = worked_example_paid_by_stripe()
    # when
    response = client.post(
        f"/admin/refunds/refund/return/{ret.pk}/",
        {"mode": "original_payment", "idempotency_key": "page-1", "reference": "typed"},
    )
    # then
    assert response.status_code == 200
    assert "never by hand" in response.content.decode()
    assert not Refund.objects.exists()
    assert stripe_server.requests == []


def test_send_again_asks_first_then_sends_the_same_refund(client, stripe_server, staff, manager):
    # given: no answer the first time
    stripe_server.delay_seconds = 1.5
    ret = worked_example_paid_by_stripe()
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    assert stripe_server.idle.wait(5)
    stripe_server.delay_seconds = 0
    # when: the page asks
    page = client.get(f"/admin/refunds/refund/{refund.pk}/send/")
    # then
    assert page.status_code == 200
    assert "Stripe did not answer" in page.content.decode()
    assert len(stripe_server.requests) == 1
    # when: confirmed
    response = client.post(f"/admin/refunds/refund/{refund.pk}/send/", {"idempotency_key": "x"})
    # then
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REFUNDED
    assert list(stripe_server.refunds) == ["re_local0001"]


def test_retry_asks_first_then_makes_a_new_refund(client, stripe_server, staff, manager):
    # given
    stripe_server.refusal = refused("amount_too_large", "Refund amount is greater than unrefunded.")
    ret = worked_example_paid_by_stripe()
    failed = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    stripe_server.refusal = None
    # when
    page = client.get(f"/admin/refunds/refund/{failed.pk}/retry/").content.decode()
    # then
    assert "Refund amount is greater than unrefunded." in page
    assert Refund.objects.count() == 1
    # when
    response = client.post(f"/admin/refunds/refund/{failed.pk}/retry/", {"idempotency_key": "k1"})
    # then
    retried = Refund.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == f"/admin/refunds/refund/{retried.pk}/change/"
    assert retried.status == Refund.Status.REFUNDED


def test_retry_of_a_refund_that_did_not_fail_is_refused_and_changes_nothing(
    client, stripe_server, staff, manager
):
    # given
    ret = worked_example_paid_by_stripe()
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    # when
    page = client.get(f"/admin/refunds/refund/{refund.pk}/retry/").content.decode()
    response = client.post(f"/admin/refunds/refund/{refund.pk}/retry/", {"idempotency_key": "k"})
    # then
    assert 'id="refusal"' in page
    assert response.status_code == 200
    assert "Only a failed refund can be retried" in response.content.decode()
    assert Refund.objects.count() == 1
    assert len(stripe_server.requests) == 1


def test_the_list_action_asks_stripe_where_refunds_stand(client, stripe_server, staff, manager):
    # given
    stripe_server.refund_status = "pending"
    ret = worked_example_paid_by_stripe()
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    refund.refresh_from_db()
    stripe_server.refunds[refund.reference]["status"] = "failed"
    stripe_server.refunds[refund.reference]["failure_reason"] = "lost_or_stolen_card"
    # when
    response = client.post(
        "/admin/refunds/refund/",
        {"action": "check_at_provider", "_selected_action": [refund.pk]},
        follow=True,
    )
    # then
    assert f"Refund {refund.pk} checked at the provider." in response.content.decode()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert refund.provider_message == "Stripe: refund failed (lost_or_stolen_card)"
