"""One Message-ID per notification, the same on every attempt and resend, so a message sent twice
is recognisable as one; and a worker that dies is followed by a resend only of what it may have
handed to the provider."""

import pytest
from django.core import mail

from notifications import delivery
from notifications.delivery import deliver_notification, notifications_sweep
from notifications.models import Notification
from notifications.services import (
    notification_enqueue,
    notification_record_tracking,
    notification_resend,
)
from returns.services import return_approve
from tests.factories import bare_return
from tests.notifications.backends import ScriptedBackend

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

Status = Notification.Status


@pytest.fixture
def scripted(settings):
    settings.EMAIL_BACKEND = "tests.notifications.backends.ScriptedBackend"
    ScriptedBackend.errors = []
    yield ScriptedBackend
    ScriptedBackend.errors = []


def published_nowhere(notification_id, **options):
    return True


def test_the_message_id_is_the_rows_own(manager, django_capture_on_commit_callbacks):
    # given
    ret = bare_return(language="en")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        return_approve(actor=manager, ret=ret, notify=True)
    # then
    row = Notification.objects.get()
    [email] = mail.outbox
    assert row.message_id == f"<notification-{row.pk}-{row.message_uuid.hex}@shop.example>"
    assert email.extra_headers["Message-ID"] == row.message_id
    assert email.message()["Message-ID"] == row.message_id
    assert row.provider_message_id == row.message_id


def test_a_resend_carries_the_same_message_id(manager, django_capture_on_commit_callbacks):
    # given: an approval email sent, then reported bounced
    ret = bare_return(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        return_approve(actor=manager, ret=ret, notify=True)
    row = Notification.objects.get()
    notification_record_tracking(event_type="bounced", message_id=row.provider_message_id)
    # when: staff send it again
    with django_capture_on_commit_callbacks(execute=True):
        notification_resend(actor=manager, notification=row)
    # then: two emails, one Message-ID
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert second.extra_headers["Message-ID"] == row.message_id
    assert Notification.objects.get().status == Status.SENT


def test_a_retry_after_a_transient_error_carries_the_same_message_id(scripted, settings):
    # given: the provider fails the first attempt
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0
    row = notification_enqueue(ret=bare_return(language="en"), event="received")
    scripted.errors = [ConnectionResetError("reset by peer")]
    sent_ids = []
    real_build = delivery.build_message

    def build_and_note(notification):
        message = real_build(notification)
        sent_ids.append(message.extra_headers["Message-ID"])
        return message

    # when
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(delivery, "build_message", build_and_note)
        assert deliver_notification(notification_id=row.pk).status == "retry"
        assert deliver_notification(notification_id=row.pk).status == "sent"
    # then
    assert sent_ids == [row.message_id, row.message_id]
    assert [email.extra_headers["Message-ID"] for email in mail.outbox] == [row.message_id]


def test_two_notifications_never_share_a_message_id(db):
    # given
    first = notification_enqueue(ret=bare_return(), event="received")
    second = notification_enqueue(ret=bare_return(), event="received")
    # then
    assert first.message_id != second.message_id
    assert first.message_uuid != second.message_uuid


def test_a_worker_dead_before_the_hand_over_never_sent_it_and_its_row_is_sent_once(scripted):
    # given: a worker claimed the row and died while rendering (never handed over)
    row = notification_enqueue(ret=bare_return(language="en"), event="received")
    assert delivery._claim(row.pk) is not None
    # when: the sweep takes it back, and the next worker sends it
    swept = notifications_sweep(publish=published_nowhere, stuck_after=0, grace=0)
    deliver_notification(notification_id=row.pk)
    # then
    assert (swept.requeued_stuck, swept.requeued_uncertain) == (1, 0)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert len(mail.outbox) == 1


def test_a_worker_dead_after_the_hand_over_is_resent_with_the_same_message_id(scripted):
    # given: a worker handed the email to the provider, which took it, then died unrecorded
    row = notification_enqueue(ret=bare_return(language="en"), event="received")
    claimed = delivery._claim(row.pk)
    assert delivery._hand_over(claimed)
    delivery.build_message(claimed).send()
    # when: the sweep takes it back, and the next worker sends it
    swept = notifications_sweep(publish=published_nowhere, stuck_after=0, grace=0)
    requeued = Notification.objects.get(pk=row.pk)
    deliver_notification(notification_id=row.pk)
    # then: counted as uncertain, said so on the row, and both copies are one message
    assert (swept.requeued_stuck, swept.requeued_uncertain) == (1, 1)
    assert requeued.last_error == (
        "the worker stopped after handing the email to the provider: it may have been sent; "
        "it is sent again with the same Message-ID"
    )
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert first.extra_headers["Message-ID"] == row.message_id
    assert Notification.objects.get(pk=row.pk).status == Status.SENT
