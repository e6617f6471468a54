"""Orders through the API: the upsert goes through the import (its checks, the immutability of
an order with returns), and a storefront's whole flow up to staff approval."""

from decimal import Decimal

import pytest
from django.utils import timezone

from returns.models import Return
from shop.models import Brand, Order, Variant
from tests.fixtures.api import ApiClient, make_key
from tests.fixtures.returns import seed_reasons

pytestmark = pytest.mark.django_db


DELIVERED = timezone.now() - timezone.timedelta(days=3)


def order_body(**changes):
    delivered = DELIVERED
    body = {
        "placed_at": (delivered - timezone.timedelta(days=2)).isoformat(),
        "delivered_at": delivered.isoformat(),
        "currency": "EUR",
        "customer": {"email": "lea@example.com", "first_name": "Léa", "language": "fr"},
        "shipping_country": "FR",
        "shipping_postcode": "69001",
        "shipping_cost": "5.00",
        "amount_paid": "65.00",
        "lines": [
            {"sku": "TEE-M", "product_name": "Tee", "quantity": 2, "unit_price_paid": "20.00"},
            {"sku": "CAP", "product_name": "Cap", "quantity": 1, "unit_price_paid": "20.00"},
        ],
    }
    return {**body, **changes}


def test_put_creates_then_leaves_an_unchanged_order_alone(db):
    # given
    api = ApiClient(make_key()[1])
    # when
    created = api.put("/api/v1/orders/W-1", order_body())
    again = api.put("/api/v1/orders/W-1", order_body())
    # then
    assert created.status_code == 201
    assert again.status_code == 200
    assert created.json() == again.json()
    order = Order.objects.get(number="W-1")
    assert order.amount_paid == Decimal("65.00")
    assert order.status == "delivered"
    assert [(line.variant.sku, line.quantity) for line in order.lines.order_by("id")] == [
        ("TEE-M", 2),
        ("CAP", 1),
    ]


def test_a_new_option_or_name_for_a_known_sku_is_written_in_both_languages(db):
    """A translated text given once (the import's single name) changes both languages; found
    by schemathesis on PostgreSQL, where it was a 500 (update_fields named the property)."""
    # given
    api = ApiClient(make_key()[1])
    api.put("/api/v1/orders/W-1", order_body())
    renamed = order_body()
    renamed["lines"][0] = {**renamed["lines"][0], "product_name": "T-shirt", "option": "M"}
    # when
    answer = api.put("/api/v1/orders/W-2", renamed)
    # then
    assert answer.status_code == 201, answer.content
    variant = Variant.objects.get(sku="TEE-M")
    assert (variant.option_fr, variant.option_en) == ("M", "M")
    assert (variant.product.name_fr, variant.product.name_en) == ("T-shirt", "T-shirt")


def test_an_order_with_a_return_keeps_its_money_and_says_why(db):
    # given: an order with a return
    seed_reasons()
    api = ApiClient(make_key()[1])
    api.put("/api/v1/orders/W-2", order_body())
    line = Order.objects.get(number="W-2").lines.order_by("id").first()
    api.post(
        "/api/v1/returns",
        {
            "order": "W-2",
            "refund_mode": "money_back",
            "lines": [{"order_line_id": line.pk, "quantity": 1, "reason": "wrong-size"}],
        },
    )
    # when
    response = api.put("/api/v1/orders/W-2", order_body(amount_paid="99.00"))
    # then
    assert response.status_code == 422
    assert response.json()["code"] == "order_refused"
    assert "amount paid" in response.json()["detail"].lower()
    assert Order.objects.get(number="W-2").amount_paid == Decimal("65.00")


def test_an_order_put_needs_orders_write(db):
    api = ApiClient(make_key(["returns:read"])[1])
    response = api.put("/api/v1/orders/W-3", order_body())
    assert response.status_code == 403
    assert not Order.objects.exists()


def test_a_storefronts_flow_from_the_order_to_the_approved_return(db):
    # given: the storefront upserts the order, then acts for its customer
    seed_reasons()
    _key, secret = make_key()
    backend = ApiClient(secret)
    storefront = ApiClient(secret, customer="lea@example.com")
    assert backend.put("/api/v1/orders/W-4", order_body()).status_code == 201
    # when: what may be returned, the quote, the return (sent twice)
    returnable = storefront.get("/api/v1/orders/W-4/returnable").json()
    tee = returnable["lines"][0]
    request = {
        "order": "W-4",
        "refund_mode": "money_back",
        "lines": [{"order_line_id": tee["order_line_id"], "quantity": 2, "reason": "wrong-size"}],
    }
    quote = storefront.post("/api/v1/returns/preview", request).json()
    first = storefront.post("/api/v1/returns", request, key="W-4-return")
    second = storefront.post("/api/v1/returns", request, key="W-4-return")
    rma = first.json()["rma_number"]
    approved = backend.post(f"/api/v1/returns/{rma}/approve")
    seen = storefront.get(f"/api/v1/returns/{rma}").json()
    label = storefront.get(f"/api/v1/returns/{rma}/label")
    # then
    assert returnable["returnable"] is True
    assert tee["returnable"] == 2
    assert first.json() == second.json()
    assert Return.objects.count() == 1
    assert first.json()["quote"]["total"] == quote["total"] == "40.00"
    assert approved.status_code == 200
    assert seen["status"] == "approved"
    assert label.status_code == 200
    assert label["Content-Type"] == "application/pdf"
    assert label.content.startswith(b"%PDF")


def test_put_sets_the_orders_brand_by_its_code_and_refuses_an_unknown_one(db):
    # given
    Brand.objects.create(code="maison", name="Maison", is_default=True)
    Brand.objects.create(code="nord", name="Atelier Nord")
    backend = ApiClient(make_key()[1])
    # when
    made = backend.put("/api/v1/orders/W-9", order_body(brand="nord"))
    unknown = backend.put("/api/v1/orders/W-10", order_body(brand="nowhere"))
    # then
    assert made.status_code == 201
    assert made.json()["brand"] == "nord"
    assert Order.objects.get(number="W-9").brand.code == "nord"
    assert unknown.status_code == 422
    assert unknown["Content-Type"] == "application/problem+json"
    assert not Order.objects.filter(number="W-10").exists()
