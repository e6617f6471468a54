"""The health check on the embedded default: each line's pass and fail, the command's exit and
/healthz's answers (a worker and Redis: test_health_services.py)."""

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from notifications.models import Notification, NotificationStatus
from ops import health
from ops.models import Heartbeat
from ops.tasks import BEAT, beat_heartbeat
from tests.factories import bare_return

pytestmark = pytest.mark.django_db

# The suite runs on SQLite and the filesystem broker, and again on PostgreSQL and Redis.
DATABASE_LINE = f"reachable ({connection.vendor})"
BROKER_LINE = (
    "filesystem broker: its folders are there"
    if settings.CELERY_BROKER_URL.startswith("filesystem")
    else "reachable (redis)"
)


@pytest.fixture(autouse=True)
def _quick_ping(settings):
    settings.HEALTH_WORKER_TIMEOUT_SECONDS = 0.2


def by_name(results):
    return {result.name: result for result in results}


def queued_notification(*, due_at, status=NotificationStatus.QUEUED, updated_at=None):
    ret = bare_return()
    row = Notification.objects.create(
        ret=ret,
        event="requested",
        dedup_key=f"test-{Notification.objects.count()}",
        recipient="customer@shop.example",
        language="en",
        status=status,
        next_attempt_at=due_at,
        max_attempts=6,
    )
    if updated_at is not None:
        Notification.objects.filter(pk=row.pk).update(updated_at=updated_at)
    return row


def test_database_migrations_and_broker_pass_on_the_embedded_default():
    # when
    results = by_name(health.run_checks(["database", "migrations", "broker"]))
    # then
    assert results["database"].ok
    assert results["database"].detail == DATABASE_LINE
    assert results["migrations"].ok
    assert results["migrations"].detail == "all applied"
    assert results["broker"].ok
    assert results["broker"].detail == BROKER_LINE


def test_no_worker_answering_fails_the_worker_line():
    # given: no worker runs in the tests' embedded broker
    # when
    result = by_name(health.run_checks(["worker"]))["worker"]
    # then
    assert not result.ok
    assert result.detail == "no worker answered within 0.2 s"


def test_beat_fails_without_a_heartbeat_and_passes_after_one():
    # given: no heartbeat
    assert not by_name(health.run_checks(["beat"]))["beat"].ok
    # when: beat's task runs
    beat_heartbeat()
    # then
    result = by_name(health.run_checks(["beat"]))["beat"]
    assert result.ok
    assert result.detail.startswith("last heartbeat ")


def test_a_heartbeat_older_than_the_limit_fails(settings):
    # given
    settings.HEALTH_BEAT_MAX_AGE_SECONDS = 300
    Heartbeat.objects.create(name=BEAT, beat_at=timezone.now() - timedelta(seconds=400))
    # when
    result = by_name(health.run_checks(["beat"]))["beat"]
    # then
    assert not result.ok
    assert result.detail == "last heartbeat 400 s ago (limit 300 s)"


def test_a_notification_due_longer_than_the_limit_fails_the_backlog(settings):
    # given: one due 20 minutes ago, and one due in an hour (a retry waiting: not late)
    settings.HEALTH_BACKLOG_MAX_AGE_SECONDS = 900
    queued_notification(due_at=timezone.now() - timedelta(minutes=20))
    queued_notification(due_at=timezone.now() + timedelta(hours=1))
    # when
    result = by_name(health.run_checks(["backlog"]))["backlog:notifications"]
    # then
    assert not result.ok
    # the seconds the test itself took on a busy machine are in the wait too
    assert re.fullmatch(r"oldest due row waiting 120\d s \(limit 900 s\)", result.detail)


def test_a_backlog_within_the_limit_and_a_future_retry_pass(settings):
    settings.HEALTH_BACKLOG_MAX_AGE_SECONDS = 900
    queued_notification(due_at=timezone.now() - timedelta(minutes=5))
    queued_notification(due_at=timezone.now() + timedelta(hours=1))

    result = by_name(health.run_checks(["backlog"]))["backlog:notifications"]

    assert result.ok
    assert re.fullmatch(r"oldest due row waiting 30\d s", result.detail)


def test_another_app_adds_a_backlog_source(monkeypatch):
    # given: a second outbox registered (as a webhooks outbox would in its ready())
    monkeypatch.setattr(health, "_BACKLOG_SOURCES", dict(health._BACKLOG_SOURCES))
    health.register_backlog_source(
        "webhooks", lambda: Notification.objects.none(), due_field="next_attempt_at"
    )
    # when
    names = [result.name for result in health.run_checks(["backlog"])]
    # then
    assert names == ["backlog:notifications", "backlog:webhooks"]


def test_failed_notifications_of_the_last_day_over_the_limit_fail(settings):
    # given: two failed today, one failed two days ago (not counted)
    settings.HEALTH_FAILED_NOTIFICATIONS_MAX = 1
    now = timezone.now()
    queued_notification(due_at=now, status=NotificationStatus.FAILED)
    queued_notification(due_at=now, status=NotificationStatus.FAILED)
    queued_notification(
        due_at=now, status=NotificationStatus.FAILED, updated_at=now - timedelta(days=2)
    )
    # when
    result = by_name(health.run_checks(["failed_notifications"]))["failed_notifications"]
    # then
    assert not result.ok
    assert result.detail == "2 failed in the last day (limit 1)"


def test_the_command_prints_a_line_per_check_and_exits_1_on_a_problem():
    # given: beat beat a minute ago, no worker answers
    Heartbeat.objects.create(name=BEAT, beat_at=timezone.now() - timedelta(seconds=60))
    out = StringIO()
    # when
    with pytest.raises(CommandError) as raised:
        call_command("healthcheck", stdout=out, no_color=True)
    # then
    assert raised.value.returncode == 1
    assert str(raised.value) == "1 of 7 check(s) failed"
    lines = out.getvalue().splitlines()
    assert lines[4].startswith("ok   beat: last heartbeat ")  # about 60 s ago
    assert lines[:4] + lines[5:] == [
        f"ok   database: {DATABASE_LINE}",
        "ok   migrations: all applied",
        f"ok   broker: {BROKER_LINE}",
        "FAIL worker: no worker answered within 0.2 s",
        "ok   backlog:notifications: oldest due row waiting 0 s",
        "ok   failed_notifications: 0 failed in the last day",
    ]


def test_the_command_passes_with_only_the_checks_that_pass():
    out = StringIO()

    call_command("healthcheck", "--only", "database", "migrations", stdout=out, no_color=True)

    assert out.getvalue().splitlines() == [
        f"ok   database: {DATABASE_LINE}",
        "ok   migrations: all applied",
    ]


def test_the_command_refuses_an_unknown_check():
    err = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("healthcheck", "--only", "coffee", stderr=err)
    assert "invalid choice: 'coffee'" in str(raised.value)


def test_an_unapplied_migration_fails(monkeypatch):
    # given: the executor finds one migration to apply
    monkeypatch.setattr(
        health.MigrationExecutor, "migration_plan", lambda self, targets: [("ops", False)]
    )
    # when
    result = by_name(health.run_checks(["migrations"]))["migrations"]
    # then
    assert not result.ok
    assert result.detail == "1 not applied"


def test_healthz_answers_503_with_every_check_and_no_secret(client, settings):
    # given: secrets in the settings
    settings.SECRET_KEY = "sekrit-key-1234567890-sekrit-key-1234567890-sekrit"
    settings.CELERY_BROKER_URL = "filesystem://"
    beat_heartbeat()
    # when: anonymous, no login
    response = client.get("/healthz")
    # then
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    body = json.loads(response.content)
    assert body["status"] == "fail"
    assert [(c["name"], c["ok"]) for c in body["checks"]] == [
        ("database", True),
        ("migrations", True),
        ("broker", True),
        ("worker", False),
        ("beat", True),
        ("backlog:notifications", True),
        ("failed_notifications", True),
    ]
    text = response.content.decode()
    assert settings.SECRET_KEY not in text
    assert str(settings.DATABASES["default"]["NAME"]) not in text
    assert str(settings.VAR_DIR) not in text


def test_healthz_answers_200_when_the_checks_asked_for_pass(client):
    response = client.get("/healthz?checks=database,migrations")

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": [
            {"name": "database", "ok": True, "detail": DATABASE_LINE},
            {"name": "migrations", "ok": True, "detail": "all applied"},
        ],
    }


def test_healthz_refuses_an_unknown_check(client):
    response = client.get("/healthz?checks=database,coffee")

    assert response.status_code == 400
    assert json.loads(response.content)["known_checks"] == list(health.CHECKS)


def test_a_database_down_skips_what_needs_it(monkeypatch):
    # given: the database check fails
    def down():
        return health.CheckResult("database", False, "unreachable (OperationalError)")

    monkeypatch.setitem(health.CHECKS, "database", down)
    # when
    results = by_name(health.run_checks(["database", "migrations", "beat"]))
    # then
    assert not results["migrations"].ok
    assert results["migrations"].detail == "not checked: no database"
    assert results["beat"].detail == "not checked: no database"
