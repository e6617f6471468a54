"""Fixtures of the back-office tests: one staff user per role (shop/roles.py) and a plain staff
member without any permission, clients logged in as each, the default reasons and actions, and
a customer's delivered order. The pages are read in English."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from returns.models import ReturnAction, ReturnReason
from shop.models import ShopSettings, User
from shop.roles import ensure_staff_roles, role_group
from tests.factories import CustomerFactory, StaffFactory, UserFactory, make_order

REASONS = [
    # code, English, French, restock by default, asks for details
    ("defective", "Defective product", "Produit défectueux", False, False),
    ("wrong-size", "Wrong size", "Mauvaise taille", True, False),
    ("changed-mind", "Changed my mind", "J'ai changé d'avis", True, False),
    ("other", "Other", "Autre", True, True),
]
ACTIONS = [
    ("refund", "Refund", "Remboursement"),
    ("replacement", "Send a replacement", "Envoyer un remplacement"),
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the overview's country list is cached
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    # The outbox rows are written (the page lists them); no broker is under test here.
    monkeypatch.setattr("notifications.services.publish_send", lambda *args, **kwargs: True)


@pytest.fixture
def reasons(db):
    found = {}
    for position, (code, name_en, name_fr, restock, detail) in enumerate(REASONS, 1):
        found[code], _ = ReturnReason.objects.update_or_create(
            code=code,
            defaults={
                "name_en": name_en,
                "name_fr": name_fr,
                "position": position * 10,
                "restock_by_default": restock,
                "needs_detail": detail,
                "active": True,
            },
        )
    # The data migration seeds more: only these four are in use in these tests.
    ReturnReason.objects.exclude(code__in=found).update(active=False)
    return found


@pytest.fixture
def actions(db):
    return {
        code: ReturnAction.objects.update_or_create(
            code=code, defaults={"name_en": name_en, "name_fr": name_fr, "active": True}
        )[0]
        for code, name_en, name_fr in ACTIONS
    }


@pytest.fixture
def shop_settings(db):
    return ShopSettings.load()


def with_role(role: str | None, **extra) -> User:
    ensure_staff_roles()
    user = StaffFactory(**extra)
    if role is not None:
        user.groups.add(role_group(role))
    return User.objects.get(pk=user.pk)  # a fresh instance: no stale permission cache


@pytest.fixture
def agent(db):
    return with_role("returns_agent", full_name="Inès Agent")


@pytest.fixture
def manager(db):
    return with_role("refunds_manager", full_name="Hugo Manager")


@pytest.fixture
def shop_admin(db):
    return with_role("shop_admin", full_name="Chloé Admin")


@pytest.fixture
def plain_staff(db):
    """Staff without any permission."""
    return with_role(None, full_name="Paul Plain")


def logged_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def as_agent(agent):
    return logged_in(agent)


@pytest.fixture
def as_manager(manager):
    return logged_in(manager)


@pytest.fixture
def as_shop_admin(shop_admin):
    return logged_in(shop_admin)


@pytest.fixture
def as_plain_staff(plain_staff):
    return logged_in(plain_staff)


@pytest.fixture
def anonymous():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def customer(db):
    user = UserFactory()
    return CustomerFactory(user=user, email=user.email, first_name="Camille", last_name="Durand")


@pytest.fixture
def order(customer, reasons, actions, shop_settings):
    """Delivered a week ago: 2 × 20.00 and 1 × 35.00, shipping 6.00, paid 81.00."""
    return make_order(
        [(2, "20.00"), (1, "35.00")],
        shipping=Decimal("6.00"),
        customer=customer,
        email=customer.email,
    )
