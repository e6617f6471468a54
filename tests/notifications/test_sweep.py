"""The sweep: what the broker lost, or a dead worker left in 'sending', is handed over again."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications import tasks
from notifications.delivery import notifications_sweep
from notifications.models import Notification
from notifications.services import notification_enqueue
from tests.factories import bare_return

pytestmark = pytest.mark.django_db

Status = Notification.Status


@pytest.fixture
def published(monkeypatch):
    """The ids the sweep hands to the broker (a broker that takes everything)."""
    sent = []
    monkeypatch.setattr(
        "notifications.tasks.publish_send",
        lambda notification_id, **options: sent.append(notification_id) or True,
    )
    return sent


def outbox_row(
    *, status=Status.QUEUED, age=timedelta(0), claimed_ago=None, attempts=0, max_attempts=5
):
    notification = notification_enqueue(ret=bare_return(), event="received")
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(
        status=status,
        next_attempt_at=now - age,
        attempts=attempts,
        max_attempts=max_attempts,
        claimed_at=None if claimed_ago is None else now - claimed_ago,
    )
    return notification


def test_queued_rows_past_the_grace_are_published_again(published):
    # given
    lost = outbox_row(age=timedelta(minutes=5))
    recent = outbox_row(age=timedelta(seconds=10))
    later = outbox_row(age=-timedelta(minutes=5))  # a retry not due yet
    # when
    result = notifications_sweep(publish=tasks.publish_send, grace=120)
    # then
    assert published == [lost.pk]
    assert (result.published, result.requeued_stuck, result.unpublished) == (1, 0, 0)
    assert {n.pk: n.status for n in Notification.objects.all()} == {
        lost.pk: Status.QUEUED,
        recent.pk: Status.QUEUED,
        later.pk: Status.QUEUED,
    }


def test_a_row_just_published_waits_the_grace_before_the_next_sweep_repeats_it(published):
    # given
    lost = outbox_row(age=timedelta(minutes=5))
    # when: two sweeps a moment apart
    notifications_sweep(publish=tasks.publish_send, grace=120)
    notifications_sweep(publish=tasks.publish_send, grace=120)
    # then
    assert published == [lost.pk]


def test_rows_stuck_in_sending_are_requeued_and_published(published):
    # given: a worker died 10 minutes into sending; another is sending right now
    stuck = outbox_row(status=Status.SENDING, claimed_ago=timedelta(minutes=10), attempts=1)
    busy = outbox_row(status=Status.SENDING, claimed_ago=timedelta(seconds=5), attempts=1)
    # when
    result = notifications_sweep(publish=tasks.publish_send, stuck_after=300, grace=120)
    # then
    assert published == [stuck.pk]
    assert result.requeued_stuck == 1
    assert Notification.objects.get(pk=stuck.pk).status == Status.QUEUED
    assert Notification.objects.get(pk=stuck.pk).attempts == 1
    assert Notification.objects.get(pk=busy.pk).status == Status.SENDING


def test_a_stuck_row_out_of_attempts_is_failed_not_requeued(published):
    # given
    stuck = outbox_row(
        status=Status.SENDING, claimed_ago=timedelta(minutes=10), attempts=5, max_attempts=5
    )
    # when
    result = notifications_sweep(publish=tasks.publish_send, stuck_after=300)
    # then
    assert published == []
    assert result.failed_stuck == 1
    failed = Notification.objects.get(pk=stuck.pk)
    assert failed.status == Status.FAILED
    assert "worker stopped" in failed.last_error


def test_sent_and_failed_rows_are_left_alone(published):
    # given
    outbox_row(status=Status.SENT, age=timedelta(hours=1))
    outbox_row(status=Status.FAILED, age=timedelta(hours=1))
    # when
    result = notifications_sweep(publish=tasks.publish_send, stuck_after=0, grace=0)
    # then
    assert published == []
    assert result.published == 0


def test_a_broker_still_down_leaves_the_rest_for_the_next_sweep(monkeypatch):
    # given
    rows = [outbox_row(age=timedelta(minutes=5)) for _ in range(3)]
    attempts = []
    monkeypatch.setattr(
        "notifications.tasks.publish_send",
        lambda notification_id, **options: attempts.append(notification_id) and False,
    )
    # when
    result = notifications_sweep(publish=tasks.publish_send, grace=120)
    # then: it stops at the first refusal instead of waiting on the broker for each row
    assert attempts == [rows[0].pk]
    assert (result.published, result.unpublished) == (0, 3)
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.QUEUED}


def test_the_sweep_works_in_batches(published):
    # given
    rows = [outbox_row(age=timedelta(minutes=5)) for _ in range(5)]
    # when
    result = notifications_sweep(publish=tasks.publish_send, grace=120, batch_size=2)
    # then
    assert published == [row.pk for row in rows]
    assert result.published == 5


def test_the_command_prints_what_it_did(published, capsys):
    # given
    outbox_row(status=Status.SENDING, claimed_ago=timedelta(seconds=30), attempts=1)
    outbox_row(age=timedelta(minutes=5))
    # when
    call_command("notifications_sweep", "--apply", "--stuck-after", "0")
    # then
    out = capsys.readouterr().out
    assert "stuck in sending, requeued: 1" in out
    assert "published to the broker: 2" in out
    assert "not published (broker unavailable): 0" in out
    assert len(published) == 2


def test_the_sweep_runs_every_minute_on_beat(settings):
    # then
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-sweep"]
    assert entry == {"task": "notifications.tasks.sweep_notifications", "schedule": 60.0}


def test_the_command_without_apply_counts_and_changes_nothing(published, capsys):
    # given: one stuck row with attempts left, one out of attempts, one queued past the grace
    outbox_row(status=Status.SENDING, claimed_ago=timedelta(seconds=30), attempts=1)
    outbox_row(status=Status.SENDING, claimed_ago=timedelta(seconds=30), attempts=5)
    outbox_row(age=timedelta(minutes=5))
    before = list(
        Notification.objects.order_by("pk").values_list("status", "next_attempt_at", "attempts")
    )
    # when
    call_command("notifications_sweep", "--stuck-after", "0")
    # then
    assert capsys.readouterr().out.splitlines() == [
        "stuck in sending, would be requeued: 1",
        "stuck in sending, out of attempts, would fail: 1",
        "queued past the grace, would be published: 1",
        "(dry run: nothing changed; --apply to sweep, webhook deliveries included)",
    ]
    after = list(
        Notification.objects.order_by("pk").values_list("status", "next_attempt_at", "attempts")
    )
    assert after == before
    assert published == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grace", "-1"], "--grace is a number of seconds: 0 or more"),
        (["--stuck-after", "-5"], "--stuck-after is a number of seconds: 0 or more"),
        (["--grace", "soon"], "argument --grace: invalid float value: 'soon'"),
    ],
)
def test_the_command_refuses_bad_arguments_and_changes_nothing(published, args, message):
    outbox_row(age=timedelta(minutes=5))

    with pytest.raises(CommandError) as raised:
        call_command("notifications_sweep", "--apply", *args)

    assert message in str(raised.value)
    assert published == []
