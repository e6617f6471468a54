"""The health check against the real services: a Celery worker process on Redis, PostgreSQL.
It passes when both are up, and fails when Redis cannot be reached or no worker answers."""

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.core.management import CommandError, call_command

from ops.models import Heartbeat
from ops.tasks import BEAT, beat_heartbeat
from tests.fixtures.redis import require_flushable
from tests.notifications.test_worker import worker_database_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
# Nothing listens there: Redis as seen when it is stopped.
CLOSED_PORT_BROKER = "redis://127.0.0.1:6390/6"


@pytest.fixture(autouse=True)
def empty_broker():
    require_flushable(settings.CELERY_BROKER_URL)
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield
    client.flushdb()


@pytest.fixture
def worker(tmp_path):
    """A `celery -A config worker` on the test database and the tests' Redis, killed at the end."""
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"),
                *("--loglevel", "info", "--without-gossip", "--without-mingle"),
                *("--hostname", f"health-{os.getpid()}@%h"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker did not start in 60 s"
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.fixture
def broker_at():
    conf = current_app.conf
    saved = conf.get("broker_write_url")

    def point(url):
        conf.broker_write_url = url

    yield point
    conf.broker_write_url = saved


def run_healthcheck():
    out = StringIO()
    try:
        call_command("healthcheck", stdout=out, no_color=True)
    except CommandError as error:
        return error.returncode, out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


def wait_for_heartbeat(timeout=30):
    deadline = time.monotonic() + timeout
    while not Heartbeat.objects.filter(name=BEAT).exists():
        assert time.monotonic() < deadline, "the worker did not run beat's heartbeat"
        time.sleep(0.2)


def test_passes_when_redis_and_a_worker_are_up(worker):
    # given: beat's task published to Redis and run by the worker
    beat_heartbeat.delay()
    wait_for_heartbeat()
    # when
    code, lines = run_healthcheck()
    # then
    assert code == 0, lines
    assert lines[:4] == [
        "ok   database: reachable (postgresql)",
        "ok   migrations: all applied",
        "ok   broker: reachable (redis)",
        "ok   worker: 1 worker(s) answered",
    ]
    assert lines[4].startswith("ok   beat: last heartbeat ")


def test_fails_when_redis_cannot_be_reached(worker, broker_at):
    # given: the worker is up, but Redis is unreachable from here (as when it is stopped)
    beat_heartbeat()
    broker_at(CLOSED_PORT_BROKER)
    # when
    code, lines = run_healthcheck()
    # then: the broker and the worker fail (the ping cannot be sent), within the timeouts
    assert code == 1
    assert lines[2] == "FAIL broker: unreachable (OperationalError)"
    assert lines[3] == "FAIL worker: ping not sent (OperationalError)"
    assert lines[4].startswith("ok   beat: last heartbeat ")


def test_fails_when_no_worker_answers(settings):
    # given: Redis is up, no worker runs
    settings.HEALTH_WORKER_TIMEOUT_SECONDS = 1.0
    beat_heartbeat()
    # when
    code, lines = run_healthcheck()
    # then
    assert code == 1
    assert lines[2].startswith("ok   broker: reachable")
    assert lines[3] == "FAIL worker: no worker answered within 1 s"


def test_fails_once_the_worker_is_killed(worker, settings):
    # given: a worker that answered
    settings.HEALTH_WORKER_TIMEOUT_SECONDS = 1.0
    beat_heartbeat()
    assert run_healthcheck()[0] == 0
    # when: it dies
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    # then
    code, lines = run_healthcheck()
    assert code == 1
    assert lines[3] == "FAIL worker: no worker answered within 1 s"
