"""The emails name the items in the customer's language, and come from the shop's or the
brand's name at its address, the name encoded as RFC 2047 asks when it has accents."""

from email import message_from_bytes
from email import policy as email_policy

import pytest
from django.core import mail

from notifications.accounts import queue_password_reset
from returns.services import return_approve
from shop.models import Product, ShopSettings
from tests.factories import StaffFactory, bare_return
from tests.fixtures.brands import make_brand
from tests.fixtures.notifications import deliver_outbox

pytestmark = pytest.mark.django_db

NAMES = {
    "fr": ("T-shirt coton bio", "Bleu marine"),
    "en": ("Organic cotton T-shirt", "Navy"),
}


@pytest.fixture
def notifications():
    """The real outbox here, not the returns tests' recorder."""


@pytest.fixture
def manager(db):
    return StaffFactory(is_superuser=True)


def translated_return(language):
    ret = bare_return(language=language, items=(("x", "x", 1),))
    variant = ret.lines.get().order_line.variant
    Product.objects.filter(pk=variant.product_id).update(
        name_fr=NAMES["fr"][0], name_en=NAMES["en"][0]
    )
    variant.option_fr, variant.option_en = NAMES["fr"][1], NAMES["en"][1]
    variant.save()
    return ret


def sent_email(manager, ret):
    return_approve(actor=manager, ret=ret)
    assert deliver_outbox() == ["sent"]
    [email] = mail.outbox
    return email


def from_header(email):
    raw = email.message()["From"]
    parsed = message_from_bytes(email.message().as_bytes(), policy=email_policy.default)
    [address] = parsed["From"].addresses
    return raw, address.display_name, address.addr_spec


@pytest.mark.parametrize(("language", "other"), [("fr", "en"), ("en", "fr")])
def test_the_email_names_the_items_in_the_customers_language(manager, language, other):
    email = sent_email(manager, translated_return(language))
    html = email.alternatives[0][0]
    product, option = NAMES[language]
    assert f"1 × {product} ({option})" in email.body
    assert product in html
    for text in NAMES[other]:
        assert text not in email.body
        assert text not in html


def test_without_a_brand_the_email_comes_from_the_shops_name(manager, settings):
    # given: no brand, a shop name with an accent
    settings.DEFAULT_FROM_EMAIL = "retours@shop.example"
    ShopSettings.objects.update_or_create(pk=1, defaults={"shop_name": "Maison Lumière"})
    # when
    email = sent_email(manager, translated_return("fr"))
    # then: the accented name encoded, and read back whole
    assert email.from_email == "Maison Lumière <retours@shop.example>"
    assert from_header(email) == (
        "=?utf-8?q?Maison_Lumi=C3=A8re?= <retours@shop.example>",
        "Maison Lumière",
        "retours@shop.example",
    )


def test_a_brands_email_comes_from_its_sender_name_quoted_where_needed(manager, settings):
    # given: a brand whose sender name holds a comma and an accent
    brand = make_brand(
        "nord",
        "Atelier Nord",
        logo=False,
        sender_name="Atelier Nord, Bruxelles — Service client",
        sender_email="bonjour@nord.example",
    )
    # when
    ret = translated_return("en")
    ret.order.brand = brand
    ret.order.save(update_fields=["brand"])
    email = sent_email(manager, ret)
    # then
    raw, name, address = from_header(email)
    assert raw.startswith("=?utf-8?")
    assert (name, address) == ("Atelier Nord, Bruxelles — Service client", "bonjour@nord.example")


def test_an_account_email_comes_from_the_shops_name(customer, settings):
    # given
    settings.DEFAULT_FROM_EMAIL = "retours@shop.example"
    ShopSettings.objects.update_or_create(pk=1, defaults={"shop_name": "Boutique Démo"})
    queue_password_reset(user=customer.user)
    # when
    assert deliver_outbox() == ["sent"]
    # then
    [email] = mail.outbox
    assert from_header(email)[1:] == ("Boutique Démo", "retours@shop.example")
