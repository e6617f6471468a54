"""Fixtures of the back-office tests: one staff user per role (shop/roles.py) and a plain staff
member without any permission, clients logged in as each, four of the default reasons and two
actions, and a customer's delivered order. No broker is under test here."""

from decimal import Decimal

import pytest

from returns.models import ReturnAction, ReturnReason
from tests.backoffice.helpers import with_role
from tests.factories import CustomerFactory, UserFactory, make_order
from tests.fixtures.returns import seed_reasons
from tests.fixtures.web import logged_in

REASONS_IN_USE = ["defective", "wrong-size", "changed-mind", "other"]
ACTIONS = [
    ("refund", "Refund", "Remboursement"),
    ("replacement", "Send a replacement", "Envoyer un remplacement"),
]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    # The outbox rows are written (the page lists them); no broker is under test here.
    monkeypatch.setattr("notifications.services.publish_send", lambda *args, **kwargs: True)


@pytest.fixture
def reasons(db):
    """Four of the default reasons: the others are deactivated."""
    found = {code: reason for code, reason in seed_reasons().items() if code in REASONS_IN_USE}
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
