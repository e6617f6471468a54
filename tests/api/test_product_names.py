"""The API names products in the request's language (Accept-Language) and gives both names; an
order put with one name fills both languages."""

import pytest

from shop.models import Product, Variant
from tests.api.test_orders import order_body
from tests.fixtures.api import ApiClient, make_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(reasons):
    secret = make_key()[1]
    assert ApiClient(secret).put("/api/v1/orders/W-1", order_body()).status_code == 201
    return secret


def test_a_put_name_fills_both_languages(secret):
    assert sorted(Product.objects.values_list("name_fr", "name_en")) == [
        ("Cap", "Cap"),
        ("Tee", "Tee"),
    ]


@pytest.mark.parametrize(("language", "name"), [("fr", "T-shirt"), ("en", "Tee")])
def test_an_order_and_its_returnable_lines_in_the_requests_language(secret, language, name):
    # given: the merchant translated the tee
    Product.objects.filter(name_fr="Tee").update(name_fr="T-shirt")
    Variant.objects.filter(sku="TEE-M").update(option_fr="M", option_en="M")
    api = ApiClient(secret, language=language)
    # when
    put_again = api.put("/api/v1/orders/W-1", order_body())
    order = put_again.json()
    returnable = api.get("/api/v1/orders/W-1/returnable").json()
    # then: the same order (its one name matches the English one), named in the language
    assert put_again.status_code == 200
    tee = order["lines"][0]
    assert (tee["sku"], tee["product_name"], tee["option"]) == ("TEE-M", name, "M")
    assert (tee["product_name_fr"], tee["product_name_en"]) == ("T-shirt", "Tee")
    assert returnable["lines"][0]["product_name"] == name
