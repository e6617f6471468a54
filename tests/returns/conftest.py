"""Fixtures of the returns tests: the default reasons, users with the permissions they need, a
customer's delivered order, and a recorder standing in for the notifications outbox."""

from decimal import Decimal

import pytest
from django.utils import translation

from returns.models import ReturnAction, ReturnReason
from shop.models import ShopSettings
from tests.factories import CustomerFactory, OrderLineFactory, StaffFactory, UserFactory
from tests.returns.helpers import ALL_RETURN_PERMS, grant

# What the data migration seeds; transactional tests flush it, so fixtures make sure it is there.
DEFAULT_REASONS = {
    "defective": {"restock_by_default": False, "needs_detail": False},
    "wrong-size": {"restock_by_default": True, "needs_detail": False},
    "not-as-described": {"restock_by_default": True, "needs_detail": False},
    "changed-mind": {"restock_by_default": True, "needs_detail": False},
    "arrived-late": {"restock_by_default": True, "needs_detail": False},
    "other": {"restock_by_default": True, "needs_detail": True},
}
DEFAULT_ACTIONS = ["refund", "store-credit", "exchange-size", "replacement", "repair"]


class NotificationRecorder:
    def __init__(self):
        self.calls = []

    def __call__(self, *, ret, event, return_event=None, actor=None):
        self.calls.append(
            {"ret": ret.pk, "event": event, "return_event": return_event, "actor": actor}
        )

    @property
    def events(self):
        return [call["event"] for call in self.calls]


@pytest.fixture(autouse=True)
def _english():
    # The tests read the messages in English, whatever the French catalog says.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def notifications(monkeypatch):
    """Every notification_enqueue call the services make, instead of the real outbox."""
    recorder = NotificationRecorder()
    monkeypatch.setattr("notifications.services.notification_enqueue", recorder)
    return recorder


@pytest.fixture
def reasons(db):
    found = {}
    for code, flags in DEFAULT_REASONS.items():
        found[code], _ = ReturnReason.objects.get_or_create(
            code=code, defaults={"name_en": code, "name_fr": code, **flags}
        )
    return found


@pytest.fixture
def actions(db):
    return {
        code: ReturnAction.objects.get_or_create(
            code=code, defaults={"name_en": code, "name_fr": code}
        )[0]
        for code in DEFAULT_ACTIONS
    }


@pytest.fixture
def shop_settings(db):
    return ShopSettings.load()


@pytest.fixture
def staff(db):
    """A staff member with every permission of the returns app (not a superuser)."""
    return grant(StaffFactory(), *ALL_RETURN_PERMS)


@pytest.fixture
def clerk(db):
    """Staff without any permission of the returns app."""
    return StaffFactory()


@pytest.fixture
def customer_user(db):
    return UserFactory()


@pytest.fixture
def customer(customer_user):
    return CustomerFactory(user=customer_user, email=customer_user.email)


@pytest.fixture
def order(customer, reasons, actions, shop_settings):
    """A delivered order of the customer, seven days ago: 3 × A (stock 10) and 2 × B (stock 10)."""
    line_a = OrderLineFactory(
        order__customer=customer,
        quantity=3,
        unit_price_paid=Decimal("20.00"),
        variant__stock_on_hand=10,
    )
    OrderLineFactory(
        order=line_a.order, quantity=2, unit_price_paid=Decimal("35.00"), variant__stock_on_hand=10
    )
    return line_a.order
