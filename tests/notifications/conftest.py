"""The notifications tests' manager: staff who may resend notifications."""

import pytest
from django.contrib.auth.models import Permission

from shop.models import User
from tests.factories import StaffFactory


@pytest.fixture
def manager(db):
    """Staff who may move returns and send notifications again (not a superuser)."""
    user = StaffFactory()
    perms = Permission.objects.filter(content_type__app_label__in=["returns", "notifications"])
    user.user_permissions.add(*perms)
    return User.objects.get(pk=user.pk)
