"""The notifications tests' manager (staff who may resend notifications) and SMTP server."""

import pytest
from django.contrib.auth.models import Permission

from notifications.delivery import forget_finished
from shop.models import User
from tests.factories import StaffFactory
from tests.notifications.smtp import SmtpSink


@pytest.fixture
def manager(db):
    """Staff who may move returns and send notifications again (not a superuser)."""
    user = StaffFactory()
    perms = Permission.objects.filter(content_type__app_label__in=["returns", "notifications"])
    user.user_permissions.add(*perms)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def smtp(settings):
    """The provider as a real SMTP server on 127.0.0.1, down until `smtp.start()`; Django's
    SMTP backend sends to it."""
    sink = SmtpSink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.stop()


@pytest.fixture
def short_backoff(settings):
    """Four attempts, retried 30 s later, doubling up to 600 s: what the batch tests count on."""
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 4
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 600


@pytest.fixture(autouse=True)
def _forget_finished_rows():
    """Each test starts with a process that remembers no row taken along (delivery.py): ids
    come again from one test to the next."""
    forget_finished()
    yield
    forget_finished()
