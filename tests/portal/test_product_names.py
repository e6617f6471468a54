"""The portal names products and options in the reader's language: an order's page, the return
form and a return's page, in French and in English."""

import uuid

import pytest

from returns.services import ReturnLineInput, return_request

pytestmark = pytest.mark.django_db

NAMES = {"fr": ("T-shirt coton bio", "Bleu marine"), "en": ("Organic cotton T-shirt", "Navy")}


@pytest.fixture
def translated(order):
    variant = order.lines.order_by("id").first().variant
    variant.product.name_fr, variant.product.name_en = NAMES["fr"][0], NAMES["en"][0]
    variant.product.save()
    variant.option_fr, variant.option_en = NAMES["fr"][1], NAMES["en"][1]
    variant.save()
    return order


def _request(order):
    line = order.lines.order_by("id").first()
    return return_request(
        idempotency_key=uuid.uuid4().hex,
        actor=order.customer.user,
        order=order,
        refund_mode="money_back",
        delivery_option="label",
        lines=[ReturnLineInput(order_line_id=line.pk, quantity=1, reason_code="wrong-size")],
    )


FORM_PAGES = ("/orders/DEMO-1001/", "/orders/DEMO-1001/return/")


def _page(client, url, language):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.mark.parametrize(("language", "other"), [("fr", "en"), ("en", "fr")])
def test_every_portal_page_names_the_item_in_the_readers_language(
    customer_client, translated, language, other
):
    pages = {url: _page(customer_client, url, language) for url in FORM_PAGES}
    ret = _request(translated)
    pages[ret.rma_number] = _page(customer_client, f"/returns/{ret.rma_number}/", language)
    for url, page in pages.items():
        assert f'lang="{language}"' in page, url
        for text in NAMES[language]:
            assert text in page, (url, text)
        for text in NAMES[other]:
            assert text not in page, (url, text)
