"""Returns through the API: idempotency, the quote preview, problems, the list."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from api.models import IdempotentResponse
from notifications.models import Notification
from returns.models import Return, ReturnEvent
from tests.api.test_access_and_scopes import request_body
from tests.fixtures.api import ApiClient, make_key
from tests.portal.helpers import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _paid(order):
    # The order fixture's lines and shipping, paid (3 x 20.00 + 2 x 35.00 + 6.00).
    order.amount_paid = Decimal("136.00")
    order.save(update_fields=["amount_paid"])


def test_an_idempotency_key_sent_twice_makes_one_return_and_the_same_answer(order):
    # given
    api = ApiClient(make_key()[1], customer=order.customer.email)
    body = request_body(order, quantity=2)
    # when
    first = api.post("/api/v1/returns", body, key="order-1-return")
    again = api.post("/api/v1/returns", body, key="order-1-return")
    # then
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Return.objects.count() == 1
    assert ReturnEvent.objects.filter(kind=ReturnEvent.Kind.STATUS).count() == 1
    assert Notification.objects.filter(event="requested").count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_422_and_makes_nothing(order):
    # given
    api = ApiClient(make_key()[1])
    api.post("/api/v1/returns", request_body(order, quantity=1), key="k-1")
    # when
    response = api.post("/api/v1/returns", request_body(order, quantity=2), key="k-1")
    # then
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Return.objects.get().lines.get().quantity == 1


def test_a_post_without_idempotency_key_is_refused(order):
    api = ApiClient(make_key()[1])
    response = api.post("/api/v1/returns", request_body(order), key=" ")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert Return.objects.count() == 0
    assert IdempotentResponse.objects.count() == 0


def test_a_refusal_is_remembered_too(order):
    # given: more than was ordered (3)
    api = ApiClient(make_key()[1])
    # when
    first = api.post("/api/v1/returns", request_body(order, quantity=4), key="too-many")
    again = api.post("/api/v1/returns", request_body(order, quantity=4), key="too-many")
    # then
    assert first.status_code == again.status_code == 422
    assert first.json() == again.json()
    assert Return.objects.count() == 0


def test_the_api_preview_equals_the_portals_quote_to_the_cent(
    order, customer_client, shop_settings
):
    # given: a discount shared between the items, the shop's return fee (reasons not of
    # ours: a defective item would waive it)
    order.discount = Decimal("7.00")
    order.amount_paid = Decimal("129.00")
    order.save(update_fields=["discount", "amount_paid"])
    shop_settings.default_return_fee = Decimal("4.50")
    shop_settings.save()
    api = ApiClient(make_key()[1], customer=order.customer.email)
    lines = list(order.lines.order_by("id"))
    body = {
        "order": order.number,
        "refund_mode": "money_back",
        "lines": [
            {"order_line_id": lines[0].pk, "quantity": 3, "reason": "wrong-size"},
            {"order_line_id": lines[1].pk, "quantity": 1, "reason": "changed-mind"},
        ],
    }
    # when
    preview = api.post("/api/v1/returns/preview", body)
    customer_client.post(
        f"/orders/{order.number}/return/",
        form_data(order, (3, "wrong-size"), (1, "changed-mind")),
    )
    portal = customer_client.get(f"/orders/{order.number}/return/confirm/").context["quote"]
    # then
    assert preview.status_code == 200
    assert preview.json()["fee"] == "4.50"
    assert Decimal(preview.json()["total"]) == portal.total
    assert preview.json()["total"] == str(portal.total)
    assert [line["amount"] for line in preview.json()["lines"]] == [
        str(line.amount) for line in portal.lines
    ]
    assert Return.objects.count() == 0


def test_a_refusal_is_a_problem_in_the_callers_language(order):
    # given: the window closed long ago
    order.delivered_at = timezone.now() - timedelta(days=400)
    order.save(update_fields=["delivered_at"])
    api = ApiClient(make_key()[1], customer=order.customer.email, language="fr")
    # when
    response = api.post("/api/v1/returns", request_body(order))
    # then
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:returns:problem:window_closed"
    assert problem["code"] == "window_closed"
    assert problem["status"] == 422
    assert problem["title"] == "Demande refusée"
    assert problem["detail"].startswith("Le délai de retour")
    assert Return.objects.count() == 0


def test_an_invalid_body_is_a_problem_naming_the_fields(order):
    api = ApiClient(make_key()[1], language="fr")
    response = api.post("/api/v1/returns", {"order": order.number})
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid"
    assert problem["title"] == "Requête invalide"
    assert sorted(problem["errors"]) == ["lines", "refund_mode"]


def _returns(order, count):
    api = ApiClient(make_key()[1])
    for _ in range(count):
        api.post("/api/v1/returns", request_body(order, quantity=1))
    return api


def test_the_list_pages_with_a_cursor_and_a_fixed_number_of_queries(
    order, django_assert_num_queries
):
    # given: three returns, two per page
    api = _returns(order, 3)
    # when
    # the key and its throttle (one statement), the returns with their lines (one)
    with django_assert_num_queries(2):
        first = api.get("/api/v1/returns", {"page_size": 2})
    second = api.client.get(first.json()["next"], headers=api.headers)
    # then
    newest_first = list(Return.objects.order_by("-created_at", "-id").values_list("rma_number"))
    assert [r["rma_number"] for r in first.json()["results"]] == [r[0] for r in newest_first[:2]]
    assert [r["rma_number"] for r in second.json()["results"]] == [newest_first[2][0]]
    assert second.json()["next"] is None


def test_the_list_filters_by_status_order_customer_and_update(order, other_order):
    # given
    api = _returns(order, 2)
    api.post("/api/v1/returns", request_body(other_order))
    approved = Return.objects.filter(order=order).first()
    api.post(f"/api/v1/returns/{approved.rma_number}/approve")
    later = timezone.now()

    def rmas(**params):
        return sorted(r["rma_number"] for r in api.get("/api/v1/returns", params).json()["results"])

    # then
    assert rmas(status="approved") == [approved.rma_number]
    assert rmas(order=other_order.number) == [other_order.returns.get().rma_number]
    assert rmas(customer=order.customer.email) == sorted(
        order.returns.values_list("rma_number", flat=True)
    )
    assert rmas(updated_since=later.isoformat()) == []
    assert api.get("/api/v1/returns", {"status": "nope"}).status_code == 400


def test_staff_receive_with_quantities_then_mark_refunded(order):
    # given: an approved return of 3 units
    api = ApiClient(make_key()[1])
    rma = api.post("/api/v1/returns", request_body(order, quantity=3)).json()["rma_number"]
    api.post(f"/api/v1/returns/{rma}/approve")
    line_id = Return.objects.get().lines.get().pk
    # when: 2 came back
    received = api.post(
        f"/api/v1/returns/{rma}/receive", {"lines": [{"line_id": line_id, "quantity": 2}]}
    )
    refunded = api.post(f"/api/v1/returns/{rma}/mark-refunded", {"reference": "PSP-1"})
    refunds = api.get(f"/api/v1/returns/{rma}/refunds")
    # then
    assert received.status_code == 200
    assert received.json()["lines"][0]["received_quantity"] == 2
    assert refunded.status_code == 200, refunded.json()
    assert refunded.json()["status"] == "completed"
    assert [(r["amount"], r["status"], r["reference"]) for r in refunds.json()] == [
        ("40.00", "refunded", "PSP-1")
    ]


def test_reject_needs_a_reason_and_tells_it(order):
    api = ApiClient(make_key()[1])
    rma = api.post("/api/v1/returns", request_body(order)).json()["rma_number"]
    assert api.post(f"/api/v1/returns/{rma}/reject", {"reason": " "}).status_code == 400
    rejected = api.post(f"/api/v1/returns/{rma}/reject", {"reason": "Worn"})
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Worn"
