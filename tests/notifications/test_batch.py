"""Batched sending (delivery.deliver_batch): many due emails on one SMTP connection to a real
server (aiosmtpd), each row's outcome recorded as a single send records it; and the sweep
handing a backlog to batch tasks."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from notifications import delivery
from notifications.delivery import deliver_batch, notifications_sweep
from notifications.models import Notification
from notifications.services import notification_enqueue
from tests.factories import bare_return

pytestmark = pytest.mark.django_db

Status = Notification.Status


@pytest.fixture(autouse=True)
def _backoff(short_backoff):
    """Four attempts, 30 s doubling to 600 s (tests/notifications/conftest.py)."""


def queued_emails(count: int) -> list[Notification]:
    """`count` queued emails about returns, each to its own customer (never published: the
    tests deliver them)."""
    return [
        notification_enqueue(
            ret=bare_return(language="fr" if n % 2 else "en", email=f"c{n}@example.com"),
            event="received",
        )
        for n in range(count)
    ]


def statuses() -> dict[int, str]:
    return dict(Notification.objects.values_list("pk", "status"))


def test_a_batch_of_50_goes_on_one_smtp_connection_and_every_row_is_recorded_sent(smtp):
    # given
    rows = queued_emails(50)
    smtp.start()
    # when
    outcome = deliver_batch(limit=50)
    # then: one connection for 50 messages, each with its row's Message-ID
    assert smtp.connections == 1
    assert len(smtp.received) == 50
    assert sorted(message["Message-ID"] for message in smtp.received) == sorted(
        row.message_id for row in rows
    )
    assert (outcome.claimed, outcome.sent, outcome.failed, outcome.retries) == (50, 50, 0, ())
    sent = Notification.objects.all()
    assert {row.status for row in sent} == {Status.SENT}
    assert {row.attempts for row in sent} == {1}
    assert {row.last_error for row in sent} == {""}
    assert all(row.sent_at is not None and row.handed_over_at is not None for row in sent)
    assert {row.provider_message_id for row in sent} == {row.message_id for row in rows}


def test_a_batch_takes_at_most_its_size_and_leaves_the_rest_queued(smtp):
    # given
    queued_emails(7)
    smtp.start()
    # when
    outcome = deliver_batch(limit=5)
    # then
    assert (outcome.claimed, outcome.sent) == (5, 5)
    assert len(smtp.received) == 5
    assert sorted(statuses().values()) == [Status.QUEUED] * 2 + [Status.SENT] * 5


def test_a_refused_and_a_deferred_recipient_in_the_middle_are_recorded_and_the_rest_sent(smtp):
    # given: 6 emails; the server refuses the 2nd recipient and defers the 4th (451)
    rows = queued_emails(6)
    refused, deferred = rows[1], rows[3]
    smtp.refuse_at_rcpt[refused.recipient] = "550 5.1.1 No such user"
    smtp.answer_at_data[deferred.recipient] = "451 4.3.0 Try again later"
    smtp.start()
    # when
    outcome = deliver_batch(limit=10)
    # then: the refused one failed for good, the deferred one is back with its backoff
    assert (outcome.claimed, outcome.sent, outcome.failed) == (6, 4, 1)
    [(retried_id, delay)] = outcome.retries
    assert retried_id == deferred.pk
    assert 15 <= delay <= 30
    failed = Notification.objects.get(pk=refused.pk)
    assert (failed.status, failed.attempts) == (Status.FAILED, 1)
    assert failed.last_error.startswith("SMTPRecipientsRefused")
    waiting = Notification.objects.get(pk=deferred.pk)
    assert (waiting.status, waiting.attempts) == (Status.QUEUED, 1)
    assert "451" in waiting.last_error
    assert waiting.next_attempt_at > timezone.now() + timedelta(seconds=14)
    assert waiting.sent_at is None
    # and the four others went, on the same connection
    others = {row.pk for row in rows} - {refused.pk, deferred.pk}
    assert {statuses()[pk] for pk in others} == {Status.SENT}
    assert sorted(m["Message-ID"] for m in smtp.received) == sorted(
        row.message_id for row in rows if row.pk in others
    )
    assert smtp.connections == 1


def test_a_provider_down_puts_the_whole_batch_back_with_its_backoff(smtp):
    # given: nothing listens (the sink is not started)
    rows = queued_emails(3)
    # when
    outcome = deliver_batch(limit=10)
    # then: nothing sent, each row back in the queue after one attempt
    assert (outcome.claimed, outcome.sent, outcome.failed) == (3, 0, 0)
    assert sorted(pk for pk, _delay in outcome.retries) == [row.pk for row in rows]
    assert set(statuses().values()) == {Status.QUEUED}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    assert smtp.received == []


def test_an_empty_outbox_makes_an_empty_batch(smtp):
    smtp.start()
    assert deliver_batch(limit=10).claimed == 0
    assert smtp.connections == 0


def test_the_sweep_hands_a_backlog_to_batch_tasks_and_a_trickle_to_single_ones(settings):
    # given: a backlog of 6 due rows (the threshold being 5), batches of 4, two at once
    settings.NOTIFICATIONS_BATCH_FROM, settings.NOTIFICATIONS_BATCH_SIZE = 5, 4
    settings.NOTIFICATIONS_BATCH_PARALLEL = 2
    queued_emails(6)
    singles, batches = [], []

    def publish(pk, **kwargs):
        singles.append(pk)
        return True

    def publish_batch(**kwargs):
        batches.append(kwargs)
        return True

    # when
    result = notifications_sweep(publish=publish, publish_batch=publish_batch, grace=0)
    # then: two batch tasks (6 rows, 4 a batch), no single one
    assert (len(batches), singles, result.published) == (2, [], 6)
    # given: below the threshold
    Notification.objects.filter(pk__in=list(statuses())[:2]).delete()
    batches.clear()
    # when
    result = notifications_sweep(publish=publish, publish_batch=publish_batch, grace=0)
    # then: one task per row, as without batches
    assert (batches, len(singles), result.published) == ([], 4, 4)


def test_each_sent_row_records_its_own_time_and_id_except_one_the_sweep_took_back(
    smtp, monkeypatch
):
    # given: 4 emails; the sweep takes the 2nd back while the batch sends
    from notifications import delivery

    rows = queued_emails(4)
    taken_back = rows[1]
    smtp.start()
    record_sent = delivery._record_sent
    recorded = []

    def sweep_meanwhile(sent, outcomes):
        Notification.objects.filter(pk=taken_back.pk).update(status=Status.QUEUED)
        recorded.extend(sent)
        record_sent(sent, outcomes)

    monkeypatch.setattr(delivery, "_record_sent", sweep_meanwhile)
    # when
    deliver_batch(limit=4)
    # then: the three others hold the time each went and the provider's id; not the 2nd
    assert len(recorded) == 4
    for notification, provider_message_id, sent_at in recorded:
        row = Notification.objects.get(pk=notification.pk)
        if row.pk == taken_back.pk:
            assert (row.status, row.sent_at, row.provider_message_id) == (Status.QUEUED, None, "")
        else:
            assert (row.status, row.sent_at, row.provider_message_id, row.last_error) == (
                Status.SENT,
                sent_at,
                provider_message_id,
                "",
            )
            assert provider_message_id == row.message_id


def test_out_of_time_a_batch_gives_back_the_rows_it_never_tried_with_their_attempt(
    smtp, monkeypatch
):
    # given 5 due emails, and the task's soft time limit reached while the third is built
    # (Celery raises it in whatever code runs then)
    rows = queued_emails(5)
    smtp.start()
    real_build = delivery.build_message
    built = []

    def out_of_time_on_the_third(*args, **kwargs):
        built.append(1)
        if len(built) == 3:
            raise SoftTimeLimitExceeded()
        return real_build(*args, **kwargs)

    monkeypatch.setattr(delivery, "build_message", out_of_time_on_the_third)
    before = timezone.now()
    # when
    outcome = deliver_batch(limit=10)
    # then two sent; the third, tried, back with its backoff; the last two back as they were
    after = {row.pk: row for row in Notification.objects.all()}
    ordered = [after[row.pk] for row in rows]
    assert [row.status for row in ordered] == [Status.SENT] * 2 + [Status.QUEUED] * 3
    assert [row.attempts for row in ordered] == [1, 1, 1, 0, 0]
    assert len(smtp.received) == 2
    assert ordered[2].next_attempt_at > timezone.now()  # its backoff: about 30 s
    assert all(before <= row.next_attempt_at <= timezone.now() for row in ordered[3:])
    assert [row.last_error for row in ordered[3:]] == ["", ""]
    retries = dict(outcome.retries)
    assert sorted(retries) == [row.pk for row in rows[2:]]
    assert retries[rows[2].pk] > 0
    assert retries[rows[3].pk] == retries[rows[4].pk] == 0.0
    assert (outcome.claimed, outcome.sent, outcome.failed) == (5, 2, 0)
