from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command

from shop.models import Order

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in ("shop", "returns", "refunds", "notifications")
    }


def test_seed_demo_twice_changes_nothing_the_second_time():
    # given
    call_command("seed_demo", verbosity=0)
    first = _counts()
    # when
    call_command("seed_demo", verbosity=0)
    # then
    assert _counts() == first
    assert first["shop.Order"] >= 8


def test_seed_demo_has_the_worked_example_order():
    call_command("seed_demo", verbosity=0)
    order = Order.objects.get(number="DEMO-1001")
    items = sum(line.unit_price_paid * line.quantity for line in order.lines.all())
    assert items == Decimal("32.73")
    assert order.shipping_cost == Decimal("6.00")
    assert order.currency == "EUR"
