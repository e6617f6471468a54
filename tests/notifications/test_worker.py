"""The outbox against a real Celery worker process, Redis and PostgreSQL: every email is sent,
and none is lost when the broker is unreachable or the worker is killed.

The worker runs `celery -A config worker` on the test database, with a provider stand-in from
tests/notifications/backends.py that writes one file per email accepted, named after its
notification, so emails sent twice can be counted.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from email import message_from_bytes
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from config.celery import app as celery_app
from notifications import tasks
from notifications.delivery import notifications_sweep
from notifications.models import Notification
from returns.services import return_approve
from tests.factories import bare_return
from tests.fixtures.redis import require_flushable
from tests.notifications.backends import sent_counts, sent_files

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE_BROKER = "redis://127.0.0.1:6390/3"
Status = Notification.Status


@pytest.fixture(autouse=True)
def empty_broker():
    """This suite's Redis database starts and ends empty (no message left from another test):
    only when it is the tests' own (TEST_REDIS_URL, never database 0)."""
    require_flushable(settings.CELERY_BROKER_URL)
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield
    client.flushdb()


def worker_database_url() -> str:
    db = connection.settings_dict  # inside a test: the test database
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


class Worker:
    """A `celery -A config worker` process (prefork, 4 children) in its own process group."""

    count = 0

    def __init__(
        self, mail_dir: Path, log_dir: Path, *, backend="RecordingBackend", mail_delay=0.0, **env
    ):
        Worker.count += 1
        self.log = log_dir / f"worker-{Worker.count}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "EMAIL_BACKEND": f"tests.notifications.backends.{backend}",
            "TEST_MAIL_DIR": str(mail_dir),
            "TEST_MAIL_DELAY": str(mail_delay),
            "VAR_DIR": str(settings.VAR_DIR),
            **{key: str(value) for key, value in env.items()},
        }
        self.process = None

    def start(self, timeout=30):
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "4",
                    "--loglevel",
                    "info",
                    "--without-gossip",
                    "--without-mingle",
                    "--hostname",
                    f"notif-{os.getpid()}-{Worker.count}@%h",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log.read_text(errors="replace"):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"the worker did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self):
        """SIGKILL to the whole group: the main process and its pool children die at once."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def workers(tmp_path):
    """Start workers with workers(**options); every one is killed at the end, whatever happens."""
    started = []
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()

    def start(**options):
        worker = Worker(mail_dir, tmp_path, **options).start()
        started.append(worker)
        return worker

    start.mail_dir = mail_dir
    yield start
    for worker in started:
        worker.kill()


def wait_until(condition, *, timeout=60, message=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s: {message}")


def count(status) -> int:
    return Notification.objects.filter(status=status).count()


@contextmanager
def broker_at(url):
    """The web side publishes to `url` meanwhile (the worker keeps its own broker)."""
    conf = celery_app.conf
    # broker_write_url: broker_url itself yields to the CELERY_BROKER_URL variable.
    saved = conf.get("broker_write_url")

    def forget_connections():
        tasks._forget_publisher()
        celery_app._pool = None
        amqp = celery_app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None

    conf.broker_write_url = url
    forget_connections()
    try:
        yield
    finally:
        conf.broker_write_url = saved
        forget_connections()


def approve_all(returns, manager):
    for ret in returns:
        return_approve(actor=manager, ret=ret, notify=True)


def test_a_real_worker_sends_exactly_one_email_per_change(workers, manager):
    # given: a worker on Redis and PostgreSQL, and 100 requested returns
    workers()
    returns = [bare_return(language="fr" if n % 2 else "en") for n in range(100)]
    # when: 100 status changes, each told to its customer
    approve_all(returns, manager)
    # then
    wait_until(lambda: count(Status.SENT) == 100, message=f"{count(Status.SENT)} sent of 100")
    assert Notification.objects.count() == 100
    counts = sent_counts(workers.mail_dir)
    assert len(counts) == 100
    assert set(counts.values()) == {1}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_changes_made_while_the_broker_is_unreachable_are_sent_once_by_the_sweep(workers, manager):
    # given: a worker up, but the web side cannot reach Redis
    workers()
    returns = [bare_return() for _ in range(50)]
    # when: 50 status changes while the broker is unreachable
    started = time.monotonic()
    with broker_at(UNREACHABLE_BROKER):
        approve_all(returns, manager)
    elapsed = time.monotonic() - started
    # then: every change is made, its email queued and not lost
    assert Notification.objects.filter(ret__status="approved").count() == 50
    assert count(Status.QUEUED) == 50
    assert elapsed < 30, "a broker that is down must not hold up each change"
    # when: the broker is back, the operator's sweep runs (twice, to show it is harmless)
    call_command("notifications_sweep", "--apply", "--grace", "0")
    call_command("notifications_sweep", "--apply", "--grace", "0")
    # then: all 50 sent, none twice
    wait_until(lambda: count(Status.SENT) == 50, message=f"{count(Status.SENT)} sent of 50")
    counts = sent_counts(workers.mail_dir)
    assert len(counts) == 50
    assert set(counts.values()) == {1}


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_only_what_was_in_flight(
    workers, manager, capsys
):
    # given: a provider that takes 0.3 s to answer after accepting each email
    worker = workers(mail_delay=0.3)
    returns = [bare_return() for _ in range(40)]
    approve_all(returns, manager)

    # when: the worker is killed (SIGKILL) in the middle of the batch
    # (counted at the provider: the rows of a batch are recorded sent together at its end)
    def provider_has() -> int:
        return sum(sent_counts(workers.mail_dir).values())

    wait_until(lambda: provider_has() >= 8, timeout=30, message="the batch never started")
    worker.kill()
    assert provider_has() < 40, "the batch ended before the kill"
    in_flight = count(Status.SENDING)
    handed_over = Notification.objects.filter(
        status=Status.SENDING, handed_over_at__isnull=False
    ).count()
    sent_before_restart = count(Status.SENT)
    assert sent_before_restart < 40, "the batch ended before the kill"
    # and the operator sweeps (stuck threshold 0: the worker is known dead), then restarts it
    call_command("notifications_sweep", "--apply", "--stuck-after", "0", "--grace", "0")
    workers(mail_delay=0.3)
    # then: every notification is sent
    wait_until(lambda: count(Status.SENT) == 40, message=f"{count(Status.SENT)} sent of 40")
    counts = sent_counts(workers.mail_dir)
    assert set(counts) == set(Notification.objects.values_list("pk", flat=True))
    duplicates = [pk for pk, sent in counts.items() if sent > 1]
    assert max(counts.values()) <= 2
    # only what the dead worker had handed to the provider may be sent twice, and both copies
    # carry the row's one Message-ID (mail clients show them as one message)
    assert len(duplicates) <= handed_over <= in_flight
    for pk in duplicates:
        row = Notification.objects.get(pk=pk)
        assert sent_message_ids(workers.mail_dir, pk) == [row.message_id, row.message_id]
    with capsys.disabled():
        print(
            f"\n[SIGKILL test] sent before the kill: {sent_before_restart}, "
            f"in flight at the kill: {in_flight}, of which handed to the provider: "
            f"{handed_over}, sent twice: {len(duplicates)} (each with one Message-ID)"
        )


def sent_message_ids(mail_dir: Path, notification_id: int) -> list[str]:
    return [
        message_from_bytes(path.read_bytes())["Message-ID"]
        for path in sent_files(mail_dir, notification_id)
    ]


def test_a_provider_answering_500_then_200_is_sent_after_a_retry(workers, manager):
    # given: a provider failing each email's first try, and a short backoff
    workers(backend="FailsOnceWith500Backend", NOTIFICATIONS_RETRY_BASE_SECONDS=0.5)
    returns = [bare_return() for _ in range(5)]
    # when
    approve_all(returns, manager)
    # then
    wait_until(
        lambda: count(Status.SENT) == 5, timeout=30, message=f"{count(Status.SENT)} sent of 5"
    )
    assert set(Notification.objects.values_list("attempts", flat=True)) == {2}
    assert set(sent_counts(workers.mail_dir).values()) == {1}
    assert len(list(workers.mail_dir.glob("*.failed-once"))) == 5


def test_a_refused_recipient_fails_at_once_and_is_not_retried(workers, manager):
    # given
    workers(backend="RefusingBackend", NOTIFICATIONS_RETRY_BASE_SECONDS=0.5)
    returns = [bare_return() for _ in range(3)]
    # when
    approve_all(returns, manager)
    # then
    wait_until(
        lambda: count(Status.FAILED) == 3, timeout=30, message=f"{count(Status.FAILED)} failed of 3"
    )
    time.sleep(1.5)  # longer than a retry would wait
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    assert len(list(workers.mail_dir.glob("*.refused"))) == 3
    assert sent_counts(workers.mail_dir) == {}


def _sessions_opened() -> int:
    """Sessions ever opened on the test database (PostgreSQL's own counter), read fresh."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_the_worker_reuses_its_database_sessions_across_tasks(workers, manager):
    # given: a worker up (4 pool children) and 200 returns to approve
    worker = workers()
    returns = [bare_return() for _ in range(200)]
    before = _sessions_opened()
    # when: 200 emails are sent, one task each
    approve_all(returns, manager)
    wait_until(lambda: count(Status.SENT) == 200, message=f"{count(Status.SENT)} sent of 200")
    # then: at most a session per pool child (and one for the main process), not one per task
    opened = _sessions_opened() - before
    assert opened <= 5, f"{opened} database sessions for 200 tasks"
    assert "worker.database_connection" in worker.log.read_text()


def test_a_backlog_made_while_the_broker_was_down_is_emptied_by_batch_tasks(
    workers, manager, settings
):
    # given: a worker sending batches of 25, and 120 emails queued while the broker was down
    settings.NOTIFICATIONS_BATCH_FROM, settings.NOTIFICATIONS_BATCH_SIZE = 10, 25
    settings.NOTIFICATIONS_BATCH_PARALLEL = 1
    worker = workers(NOTIFICATIONS_BATCH_SIZE=25)
    returns = [bare_return() for _ in range(120)]
    with broker_at(UNREACHABLE_BROKER):
        approve_all(returns, manager)
    assert count(Status.QUEUED) == 120
    # when: the sweep finds the backlog
    result = notifications_sweep(
        publish=tasks.publish_send, publish_batch=tasks.publish_batch, grace=0
    )
    # then: one batch task published, which chains until the outbox is empty
    assert result.published == 120
    wait_until(lambda: count(Status.SENT) == 120, message=f"{count(Status.SENT)} sent of 120")
    counts = sent_counts(workers.mail_dir)
    assert len(counts) == 120
    assert set(counts.values()) == {1}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    log = worker.log.read_text()
    # 25, 25, 25, 25 (each full: the next is published), then 20: five batch tasks, no single
    assert log.count("notifications.tasks.send_notifications_batch[") == 2 * 5  # received, done
    assert "notifications.tasks.send_notification[" not in log
