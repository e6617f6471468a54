"""Exchanges through the API: the sizes offered per line with price and stock, a return asked
as an exchange by SKU with its difference in the quote, an item out of stock refused with
nothing made, and the replacement order read back once the parcel is received."""

from decimal import Decimal

import pytest

from returns.models import ExchangeReservation, Return
from returns.services import return_approve, return_receive
from shop.models import StockMovement
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
        "exchange_sku": sku,
        "lines": [{"order_line_id": line.pk, "quantity": 1, "reason": "wrong-size"}],
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
    assert (body["refund_mode"], body["exchange_sku"], body["replacement_order"]) == (
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
