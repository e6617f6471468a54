from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from returns.models import ReturnLabel, ReturnRule, ReturnStatus
from shop.demo import demo_user_emails
from shop.models import Order, User
from tests.returns.helpers import request

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in ("shop", "returns", "refunds", "notifications")
    }


def test_seed_demo_twice_changes_nothing_the_second_time():
    # given
    call_command("seed_demo", "--apply", verbosity=0)
    first = _counts()
    # when
    call_command("seed_demo", "--apply", verbosity=0)
    # then
    assert _counts() == first
    assert first["shop.Order"] >= 8


def test_seed_demo_without_apply_changes_nothing_and_says_what_it_would_create():
    # given
    before = _counts()
    out = StringIO()
    # when
    call_command("seed_demo", stdout=out)
    # then: not a row more, and the would-be rows are listed by model
    assert _counts() == before
    said = out.getvalue()
    assert "Dry run: nothing was created" in said
    assert "shop.Order: " in said
    assert "returns.Return: " in said


def test_seed_demo_dry_run_after_apply_says_there_is_nothing_to_add():
    # given
    call_command("seed_demo", "--apply", verbosity=0)
    before = _counts()
    out = StringIO()
    # when
    call_command("seed_demo", stdout=out)
    # then
    assert _counts() == before
    assert "the demo data is there already" in out.getvalue()


def test_seed_demo_has_the_worked_example_order():
    call_command("seed_demo", "--apply", verbosity=0)
    order = Order.objects.get(number="DEMO-1001")
    items = sum(line.unit_price_paid * line.quantity for line in order.lines.all())
    assert items == Decimal("32.73")
    assert order.shipping_cost == Decimal("6.00")
    assert order.currency == "EUR"


def test_seed_demo_refuses_a_production_database(settings):
    # given: production (DEBUG=false)
    settings.PRODUCTION = True
    before = _counts()
    # when
    with pytest.raises(CommandError, match="production database"):
        call_command("seed_demo", "--apply", verbosity=0)
    # then: no demo user, no order, nothing
    assert _counts() == before
    assert not User.objects.filter(email__in=demo_user_emails()).exists()


def test_seed_demo_seeds_production_when_forced(settings):
    # given
    settings.PRODUCTION = True
    # when
    call_command("seed_demo", "--apply", "--force", verbosity=0)
    # then: seeded, and production now refuses to start (config.E003)
    assert User.objects.filter(email__in=demo_user_emails()).count() == 6
    assert Order.objects.filter(number="DEMO-1001").exists()


def test_the_demo_approves_ordinary_returns_at_once_and_leaves_defective_ones_to_staff():
    # given
    call_command("seed_demo", "--apply", verbosity=0)
    approval_rules = ReturnRule.objects.filter(
        action__in=[ReturnRule.Action.AUTO_APPROVE, ReturnRule.Action.NEEDS_APPROVAL]
    ).order_by("position")
    order = Order.objects.get(number="DEMO-1002")
    # when
    ordinary = request(order, 0, 1, reason="changed-mind")
    defective = request(order, 0, 0, 1, reason="defective")
    # then
    assert [(rule.action, rule.reason.code if rule.reason else "") for rule in approval_rules] == [
        ("needs_approval", "defective"),
        ("auto_approve", ""),
    ]
    assert ordinary.status == ReturnStatus.APPROVED
    assert ReturnLabel.objects.filter(ret=ordinary).count() == 1
    assert defective.status == ReturnStatus.REQUESTED
    assert ReturnLabel.objects.filter(ret=defective).count() == 0
