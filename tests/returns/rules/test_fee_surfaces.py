"""The same fee lines everywhere a quote is shown: postage 5.00 and 10 % restocking on a 59.90
pair of shoes are 5.00 + 5.99, two named lines, in the portal's summary before confirming, on
the customer's return page, on the back-office return page and in the API's return."""

from decimal import Decimal

import pytest

from returns.models import Return
from tests.factories import make_order
from tests.portal.helpers import form_data
from tests.returns.admin.helpers import page_url
from tests.returns.rules.helpers import fee, percent_fee

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture
def shoes_order(customer, reasons, shop_settings):
    order = make_order([(1, "59.90"), (1, "20.00")], customer=customer)
    shoes = order.lines.order_by("id").first().variant.product
    shoes.category = "Shoes"
    shoes.save()
    fee("5.00", name="France", label_fr="Frais de retour", label_en="Return postage")
    percent_fee(
        "10",
        category="shoes",
        name="Shoes restocking",
        label_fr="Frais de remise en stock",
        label_en="Restocking fee",
    )
    return order


def portal_request(client, order) -> tuple[str, Return]:
    """The customer asks to return the shoes: the summary page's HTML, then the return."""
    client.post(f"/orders/{order.number}/return/", form_data(order, (1, "wrong-size")))
    summary = client.get(f"/orders/{order.number}/return/confirm/")
    assert summary.status_code == 200
    client.post(f"/orders/{order.number}/return/confirm/")
    return summary.content.decode(), Return.objects.get(order=order)


def test_the_portal_shows_both_fee_lines_before_and_after_confirming(customer_client, shoes_order):
    # given: an English reader
    shoes_order.customer.language = "en"
    shoes_order.customer.save()
    # when
    summary, ret = portal_request(customer_client, shoes_order)
    page = customer_client.get(f"/returns/{ret.rma_number}/").content.decode()
    # then
    for html in (summary, page):
        assert '<tr class="quote-fee">\n      <td>Return postage' in html
        assert '<tr class="quote-fee">\n      <td>Restocking fee' in html
        assert "−€5.00" in html
        assert "−€5.99" in html
        assert "€48.91" in html
    assert ret.return_fee == Decimal("10.99")


def test_the_portal_in_french(client, customer, shoes_order):
    # given: a French reader
    client.force_login(customer.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    # when
    summary, ret = portal_request(client, shoes_order)
    page = client.get(f"/returns/{ret.rma_number}/").content.decode()
    # then
    for html in (summary, page):
        assert "<td>Frais de retour" in html
        assert "<td>Frais de remise en stock" in html
        assert f"−5,00{NBSP}€" in html
        assert f"−5,99{NBSP}€" in html
        assert f"48,91{NBSP}€" in html


def test_the_back_office_return_page_shows_both_fee_lines(as_agent, customer_client, shoes_order):
    # given
    _summary, ret = portal_request(customer_client, shoes_order)
    # when
    response = as_agent.get(page_url(ret))
    # then
    page = response.content.decode()
    quote = response.context["quote"]
    assert [(line.label, line.amount) for line in quote.lines if line.kind == "fee"] == [
        ("Return postage", Decimal("-5.00")),
        ("Restocking fee", Decimal("-5.99")),
    ]
    assert "<td>Return postage</td>" in page
    assert "<td>Restocking fee</td>" in page
    assert "−€5.00" in page
    assert "−€5.99" in page
    assert 'id="quote-total">€48.91<' in page


def test_the_apis_return_has_both_fee_lines(staff_api, customer_client, shoes_order):
    # given
    _summary, ret = portal_request(customer_client, shoes_order)
    # when
    body = staff_api.get(f"/api/v1/returns/{ret.rma_number}").json()
    french = staff_api.get(f"/api/v1/returns/{ret.rma_number}", **{"Accept-Language": "fr"})
    # then
    fee_lines = [line for line in body["quote"]["lines"] if line["kind"] == "fee"]
    assert [(line["label"], line["amount"]) for line in fee_lines] == [
        ("Return postage", "-5.00"),
        ("Restocking fee", "-5.99"),
    ]
    assert (body["return_fee"], body["quote"]["fee"], body["quote"]["total"]) == (
        "10.99",
        "10.99",
        "48.91",
    )
    assert [line["label"] for line in french.json()["quote"]["lines"] if line["kind"] == "fee"] == [
        "Frais de retour",
        "Frais de remise en stock",
    ]


def test_the_api_preview_agrees(staff_api, shoes_order):
    # given
    shoes_line = shoes_order.lines.order_by("id").first()
    body = {
        "order": shoes_order.number,
        "lines": [{"order_line_id": shoes_line.pk, "quantity": 1, "reason": "wrong-size"}],
        "refund_mode": "money_back",
    }
    # when
    by_post = staff_api.post("/api/v1/returns/preview", body).json()
    in_store = staff_api.post(
        "/api/v1/returns/preview", {**body, "delivery_option": "in_store"}
    ).json()
    # then: in store, no postage
    assert [
        (line["label"], line["amount"]) for line in by_post["lines"] if line["kind"] == "fee"
    ] == [
        ("Return postage", "-5.00"),
        ("Restocking fee", "-5.99"),
    ]
    assert [
        (line["label"], line["amount"]) for line in in_store["lines"] if line["kind"] == "fee"
    ] == [
        ("Restocking fee", "-5.99"),
    ]
    assert (by_post["total"], in_store["total"]) == ("48.91", "53.91")
