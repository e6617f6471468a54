"""The outbox depends on nothing in returns or refunds: it imports neither (not even inside a
function), and it sends what the registered provider says an email contains."""

import ast
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from notifications import registry
from notifications.delivery import deliver_notification
from notifications.models import Notification
from notifications.registry import Attachment, Recipient
from notifications.services import notification_enqueue, notification_resend
from returns.notify import ReturnEmails
from tests.factories import bare_return

NOTIFICATIONS = Path(__file__).resolve().parents[2] / "notifications"
FORBIDDEN = {"returns", "refunds"}


def _imported_modules(source: str) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.append(node.module)
    return modules


def test_the_scan_sees_imports_inside_functions():
    # given
    source = "def f():\n    from returns.selectors import labels\n    import refunds.models\n"
    # when
    modules = _imported_modules(source)
    # then
    assert modules == ["returns.selectors", "refunds.models"]


def test_no_module_of_notifications_imports_returns_or_refunds():
    # given
    paths = sorted(NOTIFICATIONS.rglob("*.py"))
    assert NOTIFICATIONS / "models.py" in paths
    # when
    offending = [
        f"{path.relative_to(NOTIFICATIONS.parent)}: {module}"
        for path in paths
        for module in _imported_modules(path.read_text())
        if module.split(".")[0] in FORBIDDEN
    ]
    # then
    assert offending == []


class StubProvider:
    """A provider that is not the returns app: the outbox sends whatever it is given."""

    notification_related = ("ret",)

    def __init__(self):
        self.resends = []

    def recipient(self, ret):
        return Recipient(email="stub@example.com", language="en-GB")

    def context(self, ret, return_event=None):
        return {"rma_number": "STUB-1", "shop_name": "Stub shop", "items": []}

    def attachments(self, ret, event):
        return [Attachment("stub.bin", b"stub", "application/octet-stream")]

    def batch(self, notifications):
        return self  # nothing to load: its context and attachments are the batch's

    def preview_return(self, reference):
        return None

    def record_resend(self, notification, *, actor, previous_status):
        self.resends.append((notification.pk, actor, previous_status))


@pytest.fixture
def stub_provider(monkeypatch):
    provider = StubProvider()
    monkeypatch.setattr(registry, "_provider", provider)
    return provider


@pytest.mark.django_db
def test_the_worker_sends_the_providers_recipient_context_and_attachments(stub_provider):
    # given
    notification = notification_enqueue(ret=bare_return(language="fr"), event="approved")
    # when
    outcome = deliver_notification(notification_id=notification.pk)
    # then
    assert outcome.status == "sent"
    assert (notification.recipient, notification.language) == ("stub@example.com", "en")
    [email] = mail.outbox
    assert email.to == ["stub@example.com"]
    assert "STUB-1" in email.subject
    assert "Stub shop" in email.body
    assert email.attachments == [("stub.bin", b"stub", "application/octet-stream")]


@pytest.mark.django_db
def test_send_again_asks_the_provider_to_record_it(stub_provider, manager):
    # given
    notification = notification_enqueue(ret=bare_return(), event="approved")
    Notification.objects.filter(pk=notification.pk).update(status="failed", attempts=1)
    # when
    notification_resend(actor=manager, notification=notification)
    # then
    assert stub_provider.resends == [(notification.pk, manager, "failed")]
    assert Notification.objects.get(pk=notification.pk).status == "queued"


def test_without_a_provider_the_outbox_says_what_is_missing(monkeypatch):
    # given
    monkeypatch.setattr(registry, "_provider", None)
    # when / then
    with pytest.raises(ImproperlyConfigured, match="No email provider is registered"):
        registry.provider()


def test_the_returns_app_registers_its_emails():
    assert isinstance(registry.provider(), ReturnEmails)


@pytest.mark.django_db
@pytest.mark.parametrize("event", ["approved", "requested", "refunded"])
def test_only_the_label_emails_carry_an_attachment(event):
    # given: a return that has no label (the label emails: tests/returns/labels/test_label_email.py)
    ret = bare_return()
    # when
    attachments = registry.provider().attachments(ret, event)
    # then
    assert attachments == []
