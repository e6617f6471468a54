"""Fixtures of the back-office pages' tests: four of the default reasons and two actions, and a
customer's delivered order. The staff by role are shared (tests/fixtures/backoffice.py). No
broker is under test here, and the outbox rows are written (the pages list them)."""

from decimal import Decimal

import pytest

from returns.models import ReturnAction, ReturnReason
from returns.selectors import backoffice
from shop import memo
from tests.factories import CustomerFactory, UserFactory, make_order
from tests.fixtures.clock import Clock
from tests.fixtures.returns import seed_reasons

REASONS_IN_USE = ["defective", "wrong-size", "changed-mind", "other"]
ACTIONS = [
    ("refund", "Refund", "Remboursement"),
    ("replacement", "Send a replacement", "Envoyer un remplacement"),
]


@pytest.fixture(autouse=True)
def _notifications_recorded():
    """The pages show the outbox rows: here they are written, not recorded (this replaces the
    recorder of tests/returns/conftest.py for this folder)."""


@pytest.fixture(autouse=True)
def filter_choices_clock(monkeypatch):
    """The overview's memo of its filters' choices (returns.selectors.backoffice) on a clock a
    test moves by hand: a slow machine's page counts its queries as a fast one's."""
    fake = Clock()
    monkeypatch.setattr(backoffice.FILTER_CHOICES, "clock", fake)
    return fake


@pytest.fixture(autouse=True)
def _settings_memo_clock(monkeypatch):
    """The shop settings' memo (shop.memo.SETTINGS, every admin page's header) on a clock that
    stands still: a page counted after 45 returns made on a slow machine would otherwise read
    the settings again once MEMO_SECONDS old, one query more than on a fast one."""
    monkeypatch.setattr(memo.SETTINGS, "clock", Clock())


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
