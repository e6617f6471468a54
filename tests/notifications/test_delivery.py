"""The worker's side: claim, send, and the outcome of each kind of provider answer."""

import smtplib
from datetime import timedelta

import pytest
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core import mail
from django.utils import timezone

from notifications import delivery
from notifications.delivery import backoff_seconds, deliver_notification
from notifications.models import Notification
from notifications.services import notification_enqueue
from notifications.tasks import send_notification
from tests.factories import bare_return
from tests.notifications.backends import ScriptedBackend, sent_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def scripted(settings):
    settings.EMAIL_BACKEND = "tests.notifications.backends.ScriptedBackend"
    ScriptedBackend.errors = []
    yield ScriptedBackend
    ScriptedBackend.errors = []


@pytest.fixture
def notification(settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 4
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 600
    # In a test transaction the on-commit publish never runs: the tests deliver by hand.
    return notification_enqueue(ret=bare_return(language="en"), event="received")


def reload(notification):
    return Notification.objects.get(pk=notification.pk)


def backoff_passes(notification):
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())


def test_a_queued_notification_is_sent_once(notification, scripted):
    # when
    first = deliver_notification(notification_id=notification.pk)
    second = deliver_notification(notification_id=notification.pk)
    # then
    assert (first.status, second.status) == ("sent", "skipped")
    assert len(mail.outbox) == 1
    sent = reload(notification)
    assert sent.status == Notification.Status.SENT
    assert sent.attempts == 1
    assert sent.sent_at is not None
    assert sent.last_error == ""


def test_a_row_another_worker_claimed_is_not_sent(notification, scripted):
    # given
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENDING, claimed_at=timezone.now(), attempts=1
    )
    # when
    outcome = deliver_notification(notification_id=notification.pk)
    # then
    assert outcome.status == "skipped"
    assert mail.outbox == []
    assert reload(notification).attempts == 1


def test_a_row_waiting_for_its_retry_time_is_not_sent_early(notification, scripted):
    # given
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    # when
    outcome = deliver_notification(notification_id=notification.pk)
    # then
    assert outcome.status == "skipped"
    assert mail.outbox == []
    assert reload(notification).attempts == 0


def test_provider_500_then_200_is_sent_after_a_retry(notification, settings, tmp_path, monkeypatch):
    # given: a provider that answers 500 to the first try
    settings.EMAIL_BACKEND = "tests.notifications.backends.FailsOnceWith500Backend"
    monkeypatch.setenv("TEST_MAIL_DIR", str(tmp_path))
    # when
    first = deliver_notification(notification_id=notification.pk)
    # then: back in the queue, after a backoff
    assert first.status == "retry"
    assert 15 <= first.retry_in <= 30
    waiting = reload(notification)
    assert waiting.status == Notification.Status.QUEUED
    assert waiting.attempts == 1
    assert "HTTP 500" in waiting.last_error
    assert waiting.next_attempt_at > timezone.now() + timedelta(seconds=14)
    assert sent_files(tmp_path, notification.pk) == []
    # when the backoff has passed
    backoff_passes(notification)
    second = deliver_notification(notification_id=notification.pk)
    # then
    assert second.status == "sent"
    sent = reload(notification)
    assert sent.status == Notification.Status.SENT
    assert sent.attempts == 2
    assert sent.last_error == ""
    assert len(sent_files(tmp_path, notification.pk)) == 1


def test_a_refused_recipient_fails_at_once_without_retry(
    notification, settings, tmp_path, monkeypatch
):
    # given
    settings.EMAIL_BACKEND = "tests.notifications.backends.RefusingBackend"
    monkeypatch.setenv("TEST_MAIL_DIR", str(tmp_path))
    # when
    outcome = deliver_notification(notification_id=notification.pk)
    again = deliver_notification(notification_id=notification.pk)
    # then
    assert (outcome.status, outcome.retry_in) == ("failed", None)
    assert again.status == "skipped"
    failed = reload(notification)
    assert failed.status == Notification.Status.FAILED
    assert failed.attempts == 1
    assert failed.last_error.startswith("AnymailRecipientsRefused")
    assert len(list(tmp_path.glob("*.refused"))) == 1  # the provider was asked once only


@pytest.mark.parametrize(
    "error",
    [
        AnymailAPIError("too many requests", status_code=429),
        AnymailAPIError("bad gateway", status_code=502),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        smtplib.SMTPResponseException(421, b"Service not available, try later"),
    ],
    ids=["429", "502", "refused-connection", "timeout", "smtp-disconnected", "smtp-421"],
)
def test_transient_errors_are_retried(notification, scripted, error):
    # given
    scripted.errors = [error]
    # when
    outcome = deliver_notification(notification_id=notification.pk)
    # then
    assert outcome.status == "retry"
    assert reload(notification).status == Notification.Status.QUEUED
    assert mail.outbox == []


@pytest.mark.parametrize(
    "error",
    [
        AnymailRecipientsRefused(),
        AnymailAPIError("bad request", status_code=400),
        smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"No such user")}),
        smtplib.SMTPResponseException(554, b"Transaction failed"),
    ],
    ids=["anymail-refused", "400", "smtp-refused", "smtp-554"],
)
def test_permanent_errors_fail_at_once(notification, scripted, error):
    # given
    scripted.errors = [error]
    # when
    outcome = deliver_notification(notification_id=notification.pk)
    # then
    assert (outcome.status, outcome.retry_in) == ("failed", None)
    failed = reload(notification)
    assert failed.status == Notification.Status.FAILED
    assert failed.attempts == 1


def test_an_invalid_address_fails_at_once(settings):
    # given: Anymail's backend, and an address it cannot parse
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    notification = notification_enqueue(ret=bare_return(), event="received")
    Notification.objects.filter(pk=notification.pk).update(recipient="not an address@@")
    # when
    outcome = deliver_notification(notification_id=notification.pk)
    # then
    assert outcome.status == "failed"
    assert reload(notification).last_error.startswith("AnymailInvalidAddress")


def test_an_unexpected_exception_fails_without_retry(notification, scripted):
    # given: a bug, not a provider error
    scripted.errors = [RuntimeError("something nobody expected")]
    # when
    outcome = deliver_notification(notification_id=notification.pk)
    # then
    assert (outcome.status, outcome.retry_in) == ("failed", None)
    failed = reload(notification)
    assert failed.status == Notification.Status.FAILED
    assert failed.last_error == "RuntimeError: something nobody expected"


def test_transient_errors_give_up_at_the_attempt_limit(notification, scripted):
    # given: a provider down for longer than the attempts last (limit 4)
    scripted.errors = [AnymailAPIError("unavailable", status_code=503) for _ in range(10)]
    # when
    outcomes = []
    for _ in range(5):
        outcomes.append(deliver_notification(notification_id=notification.pk).status)
        backoff_passes(notification)
    # then
    assert outcomes == ["retry", "retry", "retry", "failed", "skipped"]
    failed = reload(notification)
    assert failed.status == Notification.Status.FAILED
    assert failed.attempts == 4
    assert failed.last_error.startswith("gave up after 4 attempts: AnymailAPIError (HTTP 503)")
    assert mail.outbox == []


def test_backoff_doubles_within_its_jitter_and_is_capped(settings):
    # given
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 60
    # when
    delays = {
        attempts: [backoff_seconds(attempts) for _ in range(200)] for attempts in (1, 2, 3, 4, 8)
    }
    # then: [ceiling/2, ceiling] with ceiling 10, 20, 40, then 60
    for attempts, ceiling in ((1, 10), (2, 20), (3, 40), (4, 60), (8, 60)):
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays[attempts])
    assert len(set(delays[1])) > 1  # jittered


def test_the_task_schedules_the_retry_with_its_countdown(notification, scripted, monkeypatch):
    # given
    scripted.errors = [AnymailAPIError("unavailable", status_code=503)]
    published = []
    monkeypatch.setattr(
        "notifications.tasks.publish_send",
        lambda notification_id, countdown=None, **options: (
            published.append((notification_id, countdown)) or True
        ),
    )
    # when
    result = send_notification.apply(args=(notification.pk,)).get()
    # then
    assert result == "retry"
    assert len(published) == 1
    assert published[0][0] == notification.pk
    assert 15 <= published[0][1] <= 30


def test_the_task_does_not_retry_a_failure(notification, scripted, monkeypatch):
    # given
    scripted.errors = [RuntimeError("boom")]
    published = []
    monkeypatch.setattr(
        "notifications.tasks.publish_send",
        lambda *args, **kwargs: published.append(args) or True,
    )
    # when
    result = send_notification.apply(args=(notification.pk,)).get()
    # then
    assert result == "failed"
    assert published == []


def test_the_provider_message_id_is_recorded(settings):
    # given: Anymail's test backend, which answers with a message id
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    notification = notification_enqueue(ret=bare_return(), event="received")
    # when
    deliver_notification(notification_id=notification.pk)
    # then
    assert len(mail.outbox) == 1
    assert reload(notification).provider_message_id == "0"
    assert mail.outbox[0].anymail_test_params["metadata"] == {
        "notification_id": str(notification.pk)
    }
    assert mail.outbox[0].anymail_test_params["tags"] == ["received"]


def test_an_outcome_is_not_recorded_over_a_row_the_sweep_took_back(
    notification, scripted, monkeypatch
):
    # given: once this worker handed the email over, the sweep judges it dead and requeues it
    real_hand_over = delivery._hand_over

    def hand_over_then_get_swept(row):
        handed = real_hand_over(row)
        Notification.objects.filter(pk=row.pk).update(status=Notification.Status.QUEUED)
        return handed

    monkeypatch.setattr(delivery, "_hand_over", hand_over_then_get_swept)
    # when
    deliver_notification(notification_id=notification.pk)
    # then: the row stays the sweep's (queued), for the next claim
    assert reload(notification).status == Notification.Status.QUEUED
    assert len(mail.outbox) == 1


def test_a_row_the_sweep_took_back_before_it_was_handed_over_is_not_sent_by_this_worker(
    notification, scripted, monkeypatch
):
    # given: while this worker renders the email, the sweep judges it dead and requeues the row
    real_build = delivery.build_message

    def build_then_get_swept(row):
        Notification.objects.filter(pk=row.pk).update(status=Notification.Status.QUEUED)
        return real_build(row)

    monkeypatch.setattr(delivery, "build_message", build_then_get_swept)
    # when
    outcome = deliver_notification(notification_id=notification.pk)
    # then: this worker sends nothing; the row is the next claim's, and was never handed over
    assert outcome.status == "skipped"
    assert mail.outbox == []
    row = reload(notification)
    assert (row.status, row.handed_over_at) == (Notification.Status.QUEUED, None)
