"""Sendcloud behind a local server that answers as its API documents, configured as the
environment would (config/settings.py), with a return rule shipping returns with it."""

import pytest

from returns.models import ReturnRule
from tests.returns.carriers.sendcloud_server import FakeSendcloud, serve
from tests.returns.rules.helpers import method, rule

PUBLIC_KEY = "sc-public-key"
SECRET_KEY = "sc-secret-key"
RETURN_ADDRESS = {
    "name": "Boutique Demo",
    "company_name": "Boutique Demo SAS",
    "address_line_1": "Rue du Dépôt",
    "house_number": "4",
    "postal_code": "69007",
    "city": "Lyon",
    "country_code": "FR",
    "email": "retours@boutique.example",
    "phone_number": "+33400000000",
}


def options(url: str, **extra) -> dict:
    return {
        "public_key": PUBLIC_KEY,
        "secret_key": SECRET_KEY,
        "base_url": url,
        "return_address": RETURN_ADDRESS,
        "shipping_options": {"FR": "colissimo:home/return", "*": "dpd:return/return"},
        "parcel_weight_kg": "1.5",
        "backoff": 0,
        "announce_wait": 0,
        **extra,
    }


@pytest.fixture
def fake_sendcloud():
    fake = FakeSendcloud()
    fake.documented()
    server = serve(fake)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def sendcloud(settings, fake_sendcloud):
    """Sendcloud configured against the local server; returns ship with it."""
    settings.RETURN_CARRIERS = {
        **settings.RETURN_CARRIERS,
        "sendcloud": {
            "BACKEND": "returns.carriers.sendcloud.SendcloudCarrier",
            "OPTIONS": options(fake_sendcloud.url),
        },
    }
    rule(ReturnRule.Action.SHIP_WITH, shipping_method=method("sendcloud-drop-off", "sendcloud"))
    return fake_sendcloud


@pytest.fixture
def order(order):
    """The customer's order, with the street and city Sendcloud needs."""
    order.shipping_address = "12 rue Oberkampf\nBâtiment B\nParis"
    order.save(update_fields=["shipping_address"])
    return order
