"""Fixtures of the notifications tests: returns with lines, staff, and Celery run in-process."""

import pytest
from django.contrib.auth.models import Permission

from config.celery import app as celery_app
from shop.models import User
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ReturnFactory,
    ReturnLineFactory,
    StaffFactory,
    VariantFactory,
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The staff fixtures hash a password; the production hasher takes most of a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _broker_not_paused(monkeypatch):
    # A test that made the broker fail must not pause publishing for the next one.
    monkeypatch.setattr("notifications.services._broker_down_until", 0.0)


@pytest.fixture
def eager_celery():
    """Tasks run in the calling process when published (what the worker would do)."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


def make_return(*, language="fr", email=None, items=(("Linen shirt", "L", 2),), **fields):
    """A requested return of a delivered order, one line per (product, option, quantity)."""
    customer = CustomerFactory(language=language, **({"email": email} if email else {}))
    order = OrderFactory(customer=customer)
    ret = ReturnFactory(order=order, **fields)
    for product_name, option, quantity in items:
        variant = VariantFactory(product=ProductFactory(name=product_name), option=option)
        line = OrderLineFactory(order=order, variant=variant, quantity=quantity)
        ReturnLineFactory(ret=ret, order_line=line, quantity=quantity)
    return ret


@pytest.fixture
def manager(db):
    """Staff who may move returns and send notifications again (not a superuser)."""
    user = StaffFactory()
    perms = Permission.objects.filter(content_type__app_label__in=["returns", "notifications"])
    user.user_permissions.add(*perms)
    return User.objects.get(pk=user.pk)
