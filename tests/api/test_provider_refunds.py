"""POST /api/v1/returns/{rma}/refund: the refund through the order's payment provider that
staff's "Refund through Stripe" makes (refunds.services.refund_through_provider), against the
local Stripe server: idempotent by Idempotency-Key (one refund, sent once), the services'
refusals as problems (the captured amount, a partial refund without its reason), its scope."""

from decimal import Decimal

import pytest

from api.scopes import RETURNS_PROCESS, RETURNS_READ
from refunds.models import Refund
from refunds.money import money_for_return
from returns.models import ReturnStatus
from tests.fixtures.api import ApiClient, make_key
from tests.refunds.stripe.test_stripe_refunds import worked_example_paid_by_stripe

pytestmark = pytest.mark.django_db


def url(ret) -> str:
    return f"/api/v1/returns/{ret.rma_number}/refund"


@pytest.fixture
def api():
    return ApiClient(make_key(scopes=[RETURNS_PROCESS, RETURNS_READ])[1])


def test_a_refund_through_stripe_is_sent_and_answered_with_its_state(stripe_server, api):
    # given: 33.73 to refund, Stripe confirms at once
    ret = worked_example_paid_by_stripe()
    # when
    response = api.post(url(ret), {}, key="refund-1")
    # then
    assert response.status_code == 201
    refund = Refund.objects.get()
    assert response.json() == {
        "id": refund.pk,
        "amount": "33.73",
        "currency": "EUR",
        "mode": "original_payment",
        "status": "refunded",
        "is_partial": False,
        "reference": "re_local0001",
        "created_at": response.json()["created_at"],
        "provider": "stripe",
        "provider_state": "sent",
        "provider_message": "",
    }
    [sent] = stripe_server.requests
    assert sent.params["amount"] == "3373"
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.COMPLETED


def test_the_same_idempotency_key_twice_makes_one_refund_sent_once(stripe_server, api):
    # given
    ret = worked_example_paid_by_stripe()
    first = api.post(url(ret), {}, key="refund-1")
    # when
    again = api.post(url(ret), {}, key="refund-1")
    # then
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1
    assert len(stripe_server.requests) == 1


def test_pending_at_stripe_it_answers_pending(stripe_server, api):
    # given
    stripe_server.refund_status = "pending"
    ret = worked_example_paid_by_stripe()
    # when
    response = api.post(url(ret), {}, key="refund-1")
    # then: nothing refunded until Stripe confirms
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["provider_state"]) == ("pending", "sent")
    assert money_for_return(ret).refunded == Decimal("0")


def test_a_partial_refund_sends_its_amount(stripe_server, api):
    # given
    ret = worked_example_paid_by_stripe()
    # when
    response = api.post(url(ret), {"amount": "10.05", "reason": "worn"}, key="refund-1")
    # then
    assert response.status_code == 201
    assert (response.json()["amount"], response.json()["is_partial"]) == ("10.05", True)
    assert stripe_server.requests[0].params["amount"] == "1005"
    assert money_for_return(ret).left_to_refund == Decimal("23.68")


def test_a_partial_refund_without_its_reason_is_a_422_and_sends_nothing(stripe_server, api):
    # given
    ret = worked_example_paid_by_stripe()
    # when
    response = api.post(url(ret), {"amount": "10.05"}, key="refund-1")
    # then
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "refund_refused"
    assert "give the reason for this partial refund" in response.json()["detail"]
    assert Refund.objects.count() == 0
    assert stripe_server.requests == []


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("en", "Stripe captured €30.00 for order"),
        ("fr", "Stripe a encaissé 30,00\u00a0€ pour la commande"),
    ],
)
def test_beyond_the_captured_amount_is_a_422_in_the_caller_s_language(
    stripe_server, language, detail
):
    # given: 33.73 to refund, 30.00 of the 38.73 paid captured at Stripe
    ret = worked_example_paid_by_stripe()
    ret.order.amount_captured = Decimal("30.00")
    ret.order.save(update_fields=["amount_captured"])
    api = ApiClient(make_key(scopes=[RETURNS_PROCESS])[1], language=language)
    # when
    response = api.post(url(ret), {"amount": "30.01", "reason": "more"}, key="refund-1")
    # then: refused, nothing recorded, nothing sent
    assert response.status_code == 422
    assert response.json()["code"] == "refund_exceeds_captured"
    assert detail in response.json()["detail"]
    assert Refund.objects.count() == 0
    assert stripe_server.requests == []


def test_without_the_process_scope_it_is_a_403(stripe_server):
    # given
    ret = worked_example_paid_by_stripe()
    api = ApiClient(make_key(scopes=[RETURNS_READ])[1])
    # when
    response = api.post(url(ret), {}, key="refund-1")
    # then
    assert response.status_code == 403
    assert Refund.objects.count() == 0
    assert stripe_server.requests == []


def test_an_unknown_return_is_a_404(api, stripe_server):
    response = api.post("/api/v1/returns/R-NOTHERE/refund", {}, key="refund-1")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
