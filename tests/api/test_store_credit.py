"""The storefront checks and spends store credit codes through the API (refunds.credit)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from api.scopes import RETURNS_READ, STORE_CREDIT_REDEEM
from refunds import credit
from refunds.models import StoreCreditCode, StoreCreditMovement
from tests.factories import CustomerFactory
from tests.fixtures.api import ApiClient, make_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def code():
    return credit.issue_code(
        customer=CustomerFactory(),
        amount=Decimal("30.00"),
        currency="EUR",
        actor=None,
        note="Return R-1",
    ).code


@pytest.fixture
def storefront(db):
    return ApiClient(make_key([STORE_CREDIT_REDEEM])[1])


def test_check_a_code_as_typed(storefront, code):
    # when: lower case, no dashes
    answer = storefront.get(f"/api/v1/store-credit/{code.code.replace('-', '').lower()}")
    # then
    assert answer.status_code == 200
    assert answer.json() == {
        "code": code.code,
        "currency": "EUR",
        "balance": "30.00",
        "expires_at": None,
        "expired": False,
    }


def test_redeem_part_then_the_same_request_again(storefront, code):
    # when
    body = {"amount": "12.50", "currency": "EUR", "reference": "W-1001"}
    first = storefront.post(f"/api/v1/store-credit/{code.code}/redeem", body, key="k-1")
    again = storefront.post(f"/api/v1/store-credit/{code.code}/redeem", body, key="k-1")
    retried = storefront.post(f"/api/v1/store-credit/{code.code}/redeem", body, key="k-2")
    # then: one spend of 12.50, answered three times
    assert first.status_code == again.status_code == retried.status_code == 201
    assert first.json()["amount"] == "12.50"
    assert first.json()["reference"] == "W-1001"
    assert first.json()["credit"]["balance"] == "17.50"
    assert again.json() == first.json()
    assert retried.json()["credit"]["balance"] == "17.50"
    assert StoreCreditMovement.objects.filter(amount__lt=0).count() == 1
    code.refresh_from_db()
    assert code.balance == Decimal("17.50")


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        ({"amount": "30.01", "currency": "EUR", "reference": "W-1"}, 422, "insufficient_balance"),
        ({"amount": "1.00", "currency": "USD", "reference": "W-1"}, 422, "wrong_currency"),
        ({"amount": "-1.00", "currency": "EUR", "reference": "W-1"}, 400, None),
        ({"amount": "1.00", "currency": "EUR"}, 400, None),
    ],
)
def test_bad_redemptions_change_nothing(storefront, code, body, status, problem):
    # when
    answer = storefront.post(f"/api/v1/store-credit/{code.code}/redeem", body)
    # then
    assert answer.status_code == status, answer.content
    if problem:
        assert answer.json()["code"] == problem
    code.refresh_from_db()
    assert code.balance == Decimal("30.00")
    assert StoreCreditMovement.objects.count() == 1


def test_an_expired_code_is_refused(storefront, code):
    StoreCreditCode.objects.filter(pk=code.pk).update(expires_at=timezone.now() - timedelta(1))
    shown = storefront.get(f"/api/v1/store-credit/{code.code}")
    answer = storefront.post(
        f"/api/v1/store-credit/{code.code}/redeem",
        {"amount": "1.00", "currency": "EUR", "reference": "W-1"},
    )
    assert shown.json()["expired"] is True
    assert (answer.status_code, answer.json()["code"]) == (422, "code_expired")
    assert StoreCreditMovement.objects.count() == 1


def test_an_unknown_code_is_a_404_and_a_key_without_the_scope_a_403(storefront, code):
    assert storefront.get("/api/v1/store-credit/AAAA-BBBB-CCCC-DDDD").status_code == 404
    assert storefront.get("/api/v1/store-credit/" + "A" * 200).status_code == 404
    reader = ApiClient(make_key([RETURNS_READ])[1])
    assert reader.get(f"/api/v1/store-credit/{code.code}").status_code == 403
    refused = reader.post(
        f"/api/v1/store-credit/{code.code}/redeem",
        {"amount": "1.00", "currency": "EUR", "reference": "W-1"},
    )
    assert refused.status_code == 403
    code.refresh_from_db()
    assert code.balance == Decimal("30.00")
