"""The back-office names products and options in the staff member's language: an order's page
and a return's page."""

import pytest

from shop.models import Product
from tests.factories import bare_return
from tests.fixtures.web import logged_in

pytestmark = pytest.mark.django_db

NAMES = {"fr": ("Robe d'été lin", "Bleu marine"), "en": ("Linen summer dress", "Navy")}


@pytest.fixture
def ret():
    ret = bare_return(items=(("x", "x", 1),))
    variant = ret.lines.get().order_line.variant
    Product.objects.filter(pk=variant.product_id).update(
        name_fr=NAMES["fr"][0], name_en=NAMES["en"][0]
    )
    variant.option_fr, variant.option_en = NAMES["fr"][1], NAMES["en"][1]
    variant.save()
    return ret


@pytest.mark.parametrize(("language", "other"), [("fr", "en"), ("en", "fr")])
def test_the_order_and_return_pages_name_the_item_in_the_readers_language(
    agent, ret, language, other
):
    client = logged_in(agent)
    for url in (
        f"/admin/shop/order/{ret.order_id}/change/",
        f"/admin/returns/return/{ret.pk}/change/",
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        page = response.content.decode().replace("&#x27;", "'")
        for text in NAMES[language]:
            assert text in page, (url, text)
        for text in NAMES[other]:
            assert text not in page, (url, text)
