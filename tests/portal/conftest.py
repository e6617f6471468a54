"""Fixtures of the portal tests: a customer with an account and a delivered order, another
customer with theirs, the default reasons, and fresh throttle counters for every test."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from returns.models import ReturnAction, ReturnReason
from shop.models import ShopSettings
from tests.factories import CustomerFactory, OrderLineFactory, UserFactory, make_order

PASSWORD = "secret-pass-123"  # UserFactory's

DEFAULT_REASONS = [
    # code, English, French, restock by default, asks for details
    ("defective", "Defective product", "Produit défectueux", False, False),
    ("wrong-size", "Wrong size", "Mauvaise taille", True, False),
    ("not-as-described", "Not as described", "Non conforme à la description", True, False),
    ("changed-mind", "Changed my mind", "J'ai changé d'avis", True, False),
    ("arrived-late", "Arrived too late", "Arrivé trop tard", True, False),
    ("other", "Other", "Autre", True, True),
]


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    """A browser reading English: the assertions read the English source strings, whatever the
    French catalog says (pages in French are tested where French matters, e.g. money)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def reasons(db):
    """The reasons of the data migration (transactional tests flush them: made sure here)."""
    found = {}
    for position, (code, name_en, name_fr, restock, needs_detail) in enumerate(DEFAULT_REASONS, 1):
        found[code], _ = ReturnReason.objects.get_or_create(
            code=code,
            defaults={
                "name_en": name_en,
                "name_fr": name_fr,
                "position": position * 10,
                "restock_by_default": restock,
                "needs_detail": needs_detail,
            },
        )
    return found


@pytest.fixture
def refund_action(db):
    return ReturnAction.objects.get_or_create(
        code="refund", defaults={"name_en": "Refund", "name_fr": "Remboursement"}
    )[0]


@pytest.fixture
def shop_settings(db):
    return ShopSettings.load()


@pytest.fixture
def customer_user(db):
    return UserFactory(email="camille@example.com", full_name="Camille Durand", language="fr")


@pytest.fixture
def customer(customer_user):
    return CustomerFactory(
        user=customer_user, email=customer_user.email, first_name="Camille", last_name="Durand"
    )


@pytest.fixture
def order(customer, reasons, shop_settings):
    """Delivered 7 days ago: 1 × T-shirt 12.99 and 2 × socks 19.74, shipping 6.00."""
    order = make_order(
        [(1, "12.99"), (2, "19.74")],
        customer=customer,
        number="DEMO-1001",
        email=customer.email,
        shipping_postcode="75011",
    )
    tshirt, socks = order.lines.order_by("id")
    _name(tshirt, "Organic cotton T-shirt", "M")
    _name(socks, "Striped socks", "39-42")
    return order


def _name(line, product, option):
    line.variant.product.name = product
    line.variant.product.save()
    line.variant.option = option
    line.variant.save()


@pytest.fixture
def other_customer(db):
    user = UserFactory(email="alex@example.com", language="en")
    return CustomerFactory(user=user, email=user.email, first_name="Alex", last_name="Walker")


@pytest.fixture
def other_order(other_customer, reasons, shop_settings):
    line = OrderLineFactory(
        order__customer=other_customer,
        order__number="DEMO-2001",
        quantity=2,
        unit_price_paid=Decimal("30.00"),
    )
    return line.order


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer.user)
    return client
