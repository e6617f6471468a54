"""Email backends standing in for the provider in the worker tests (imported by the worker
process through EMAIL_BACKEND). Each accepted email is a file named after its notification, so
a test counts what was sent, and what was sent twice.

TEST_MAIL_DIR: where the files go. TEST_MAIL_DELAY: seconds the provider takes to answer.
"""

import os
import time
import uuid
from pathlib import Path

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core.mail.backends.base import BaseEmailBackend


def _mail_dir() -> Path:
    path = Path(os.environ["TEST_MAIL_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def sent_files(mail_dir: Path, notification_id: int) -> list[Path]:
    return sorted(mail_dir.glob(f"{notification_id}.*.eml"))


def sent_counts(mail_dir: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    for path in mail_dir.glob("*.eml"):
        notification_id = int(path.name.split(".")[0])
        counts[notification_id] = counts.get(notification_id, 0) + 1
    return counts


class RecordingBackend(BaseEmailBackend):
    """Accepts every email, and answers TEST_MAIL_DELAY seconds later: a worker killed
    meanwhile has had the email sent without recording it (the worst case for duplicates)."""

    def send_messages(self, email_messages):
        delay = float(os.environ.get("TEST_MAIL_DELAY", "0"))
        for message in email_messages:
            self._record(message)
            time.sleep(delay)
        return len(email_messages)

    def _record(self, message):
        notification_id = message.extra_headers["X-Notification-ID"]
        path = _mail_dir() / f"{notification_id}.{uuid.uuid4().hex}.eml"
        path.write_bytes(message.message().as_bytes())


class FailsOnceWith500Backend(RecordingBackend):
    """The provider answers 500 to the first try of each email, then accepts it."""

    def send_messages(self, email_messages):
        for message in email_messages:
            marker = _mail_dir() / f"{message.extra_headers['X-Notification-ID']}.failed-once"
            if not marker.exists():
                marker.touch()
                raise AnymailAPIError("provider error", status_code=500)
        return super().send_messages(email_messages)


class RefusingBackend(RecordingBackend):
    """The provider refuses every recipient."""

    def send_messages(self, email_messages):
        for message in email_messages:
            (_mail_dir() / f"{message.extra_headers['X-Notification-ID']}.refused").touch()
        raise AnymailRecipientsRefused()


class ScriptedBackend(BaseEmailBackend):
    """For in-process tests: raises the next of `ScriptedBackend.errors` while any remain, then
    accepts into django.core.mail.outbox."""

    errors: list[Exception] = []

    def send_messages(self, email_messages):
        if ScriptedBackend.errors:
            raise ScriptedBackend.errors.pop(0)
        from django.core import mail

        mail.outbox.extend(email_messages)
        return len(email_messages)
