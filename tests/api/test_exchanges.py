"""Exchanges through the API: the sizes offered per line with price and stock, a return asked
as an exchange by SKU with its difference in the quote, an item out of stock refused with
nothing made, and the replacement order read back once the parcel is received."""

from decimal import Decimal

import pytest

from returns.models import ExchangeReservation, Return
from returns.services import return_approve, return_receive
from shop.models import Order, StockMovement
from tests.factories import VariantFactory
from tests.fixtures.api import ApiClient, make_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def sizes(order):
    """Other sizes of the order's first product (3 × 20.00 paid): L dearer, XL out of stock."""
    product = order.lines.order_by("id").first().variant.product
    return {
        "L": VariantFactory(
            product=product, sku="A-L", option="L", price=Decimal("24.50"), stock_on_hand=2
        ),
        "XL": VariantFactory(
            product=product, sku="A-XL", option="XL", price=Decimal("20.00"), stock_on_hand=0
        ),
    }


@pytest.fixture
def api(order):
    return ApiClient(make_key()[1], customer=order.customer.email)


def exchange_body(order, sku):
    line = order.lines.order_by("id").first()
    return {
        "order": order.number,
        "refund_mode": "exchange",
        "lines": [
            {"order_line_id": line.pk, "quantity": 1, "reason": "wrong-size", "exchange_sku": sku}
        ],
    }


def test_each_line_lists_the_sizes_in_stock_with_their_prices(api, order, sizes):
    # when
    response = api.get(f"/api/v1/orders/{order.number}/returnable")
    # then: the first line's product's sizes in stock (its own too), none out of stock
    assert response.status_code == 200
    first = response.json()["lines"][0]
    own = order.lines.order_by("id").first().variant
    assert sorted(
        (option["sku"], option["price"], option["stock"]) for option in first["exchange_options"]
    ) == sorted([("A-L", "24.50", 2), (own.sku, f"{own.price:.2f}", own.stock_on_hand)])


def test_an_exchange_for_a_dearer_size_shows_what_is_owed(api, order, sizes, staff):
    # when
    response = api.post("/api/v1/returns", exchange_body(order, "A-L"), key="x-1")
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["refund_mode"], body["lines"][0]["exchange_sku"], body["replacement_order"]) == (
        "exchange",
        "A-L",
        None,
    )
    assert (body["quote"]["total"], body["quote"]["amount_due"]) == ("0.00", "4.50")
    assert [line["kind"] for line in body["quote"]["lines"]] == ["item", "exchange", "due"]
    # approved and received: the replacement order is read back
    ret = Return.objects.get()
    return_approve(actor=staff, ret=ret)
    return_receive(actor=staff, ret=Return.objects.get(pk=ret.pk))
    detail = api.get(f"/api/v1/returns/{ret.rma_number}").json()
    assert detail["replacement_order"] == f"{order.number}-X1"
    # the L held at approval and shipped from what was held; the M returned put back
    own = order.lines.order_by("id").first().variant.sku
    assert sorted(StockMovement.objects.values_list("variant__sku", "kind", "quantity")) == [
        ("A-L", "exchange_reserved", -1),
        (own, "return", 1),
    ]


def test_an_exchange_for_a_size_out_of_stock_is_refused_and_nothing_is_made(api, order, sizes):
    response = api.post("/api/v1/returns", exchange_body(order, "A-XL"), key="x-2")
    assert response.status_code == 422
    assert response.json()["detail"] == f"Sorry, “{sizes['XL']}” is out of stock for an exchange."
    assert response.json()["code"] == "exchange_out_of_stock"
    assert Return.objects.count() == 0
    assert ExchangeReservation.objects.count() == 0
    assert StockMovement.objects.count() == 0


def test_an_unknown_sku_is_refused(api, order, sizes):
    response = api.post("/api/v1/returns", exchange_body(order, "NO-SUCH"), key="x-3")
    assert response.status_code == 422
    assert response.json()["detail"] == "No item has the SKU NO-SUCH."
    assert Return.objects.count() == 0


def test_the_preview_gives_the_same_difference(api, order, sizes):
    response = api.post("/api/v1/returns/preview", exchange_body(order, "A-L"), key="p-1")
    assert response.status_code == 200
    assert (response.json()["total"], response.json()["amount_due"]) == ("0.00", "4.50")
    assert Return.objects.count() == 0


def test_two_lines_exchange_each_for_a_size_of_their_own_product(api, order, sizes):
    # given: the second line's product (2 × 35.00) in a 44 at 30.00; the order paid in full
    Order.objects.filter(pk=order.pk).update(amount_paid=Decimal("130.00"))  # 3 × 20 + 2 × 35
    first, second = order.lines.order_by("id")
    VariantFactory(product=second.variant.product, sku="B-44", option="44", price=Decimal("30.00"))
    body = {
        "order": order.number,
        "refund_mode": "exchange",
        "lines": [
            {
                "order_line_id": first.pk,
                "quantity": 1,
                "reason": "wrong-size",
                "exchange_sku": "A-L",
            },
            {
                "order_line_id": second.pk,
                "quantity": 1,
                "reason": "wrong-size",
                "exchange_sku": "B-44",
            },
        ],
    }
    # when
    preview = api.post("/api/v1/returns/preview", body, key="p-2").json()
    created = api.post("/api/v1/returns", body, key="x-4").json()
    # then: 20.00 + 35.00 back, 24.50 + 30.00 sent: 0.50 refunded
    exchanged = [
        (line["order_line_id"], line["amount"])
        for line in created["quote"]["lines"]
        if line["kind"] == "exchange"
    ]
    assert exchanged == [(first.pk, "-24.50"), (second.pk, "-30.00")]
    assert (created["quote"]["total"], created["quote"]["amount_due"]) == ("0.50", "0.00")
    assert (preview["total"], preview["exchange_cost"]) == ("0.50", "54.50")
    assert [line["exchange_sku"] for line in created["lines"]] == ["A-L", "B-44"]


def test_a_line_exchanged_for_another_products_size_is_refused(api, order, sizes):
    # given: the second line asked in the first line's product's L
    second = order.lines.order_by("id")[1]
    body = {
        "order": order.number,
        "refund_mode": "exchange",
        "lines": [
            {
                "order_line_id": second.pk,
                "quantity": 1,
                "reason": "wrong-size",
                "exchange_sku": "A-L",
            }
        ],
    }
    response = api.post("/api/v1/returns", body, key="x-5")
    assert response.status_code == 422
    assert (
        response.json()["detail"]
        == "An exchange is for another size or colour of the same product."
    )
    assert (Return.objects.count(), ExchangeReservation.objects.count()) == (0, 0)


def test_the_requests_exchange_sku_still_names_the_lines_item(api, order, sizes):
    # given: the former shape, one SKU for the request
    body = exchange_body(order, "")
    body["lines"][0].pop("exchange_sku")
    body["exchange_sku"] = "A-L"
    # when
    response = api.post("/api/v1/returns", body, key="x-6")
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["exchange_sku"] == "A-L"
