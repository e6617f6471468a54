"""Publishing to a broker that is hung (it accepts the connection and never answers) holds a
request for one short publish timeout, not Redis' 10 s: the change is made, its email queued
for the sweep, nothing retried in the request."""

import socket
import threading
import time
from contextlib import contextmanager

import pytest
from django.conf import settings

from config.celery import app as celery_app
from notifications import tasks
from notifications.models import Notification
from returns.models import ReturnStatus
from returns.services import return_approve
from tests.factories import bare_return

pytestmark = pytest.mark.django_db


class HungBroker:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self.server.accept()
            except OSError:  # closed
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.server.close()
        for connection in self.accepted:
            connection.close()


@contextmanager
def publishing_to(url):
    """The web side publishes to `url` meanwhile (broker_write_url: see test_worker.py)."""
    conf = celery_app.conf
    saved = conf.get("broker_write_url")
    conf.broker_write_url = url
    tasks._forget_publisher()
    try:
        yield
    finally:
        conf.broker_write_url = saved
        tasks._forget_publisher()


@pytest.fixture
def hung_broker():
    broker = HungBroker()
    with publishing_to(f"redis://127.0.0.1:{broker.port}/9"):
        yield broker
    broker.close()


def test_the_publish_has_short_timeouts_and_no_retry():
    # then: the request's publish waits at most a quarter of a second per command, never retried
    assert settings.NOTIFICATIONS_PUBLISH_TIMEOUT_SECONDS == 0.25
    assert tasks.publish_transport_options() == {
        "socket_timeout": 0.25,
        "socket_connect_timeout": 0.25,
        "retry_on_timeout": False,
        "max_retries": 0,
    }
    assert settings.CELERY_TASK_PUBLISH_RETRY is False
    assert celery_app.conf.task_publish_retry is False


def test_a_back_office_save_with_a_hung_broker_is_made_and_its_email_queued(
    hung_broker, manager, django_capture_on_commit_callbacks, monkeypatch, capsys
):
    # given: a requested return, and a broker that accepts connections and never answers
    ret = bare_return(language="en")
    used = []
    real_connection = tasks._publisher_connection

    def noting_connection():
        connection = real_connection()
        used.append(connection)
        return connection

    monkeypatch.setattr(tasks, "_publisher_connection", noting_connection)
    # when: staff approve it, the customer to be told (the publish runs after commit)
    with django_capture_on_commit_callbacks() as after_commit:
        return_approve(actor=manager, ret=ret, notify=True)
    started = time.monotonic()
    for callback in after_commit:
        callback()
    publishing = time.monotonic() - started
    # then: the change is made and its email waits, queued, for the sweep
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.APPROVED
    row = Notification.objects.get()
    assert (row.status, row.attempts, row.event) == ("queued", 0, "approved_with_label")
    # and the publish went to the hung broker, on a connection with the short timeouts
    assert len(hung_broker.accepted) == 1
    [connection] = used
    assert connection.transport_options["socket_timeout"] == 0.25
    assert connection.transport_options["retry_on_timeout"] is False
    assert connection.connect_timeout == 0.25
    # and the next publishes of this process skip the broker for a moment (no second wait)
    assert tasks.publish_send(row.pk) is False
    assert len(hung_broker.accepted) == 1
    with capsys.disabled():
        print(f"\n[hung broker] the approval's publish, after commit, took {publishing:.3f} s")
