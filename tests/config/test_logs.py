"""Structured logs: a service's change is one JSON line naming the return, the order, the actor
and the request; the request's id is reused from a well-formed X-Request-ID."""

import io
import json
import logging
import re

import pytest
import structlog

from config.logs import formatter
from returns.errors import ReturnError
from returns.services import return_approve
from tests.factories import bare_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """The JSON lines (as production writes them) of the loggers named, parsed."""
    handlers = []

    def capture(*names):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter(as_json=True))
        for name in names:
            logging.getLogger(name).addHandler(handler)
            handlers.append((name, handler))
        return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]

    yield capture
    for name, handler in handlers:
        logging.getLogger(name).removeHandler(handler)


def test_a_service_change_logs_one_json_line_with_rma_order_actor_and_request_id(
    staff, json_lines, django_capture_on_commit_callbacks
):
    # given
    ret = bare_return()
    lines = json_lines("returns.changes")
    # when: approved during a request whose id is bound
    with (
        structlog.contextvars.bound_contextvars(request_id="req-42"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        return_approve(actor=staff, ret=ret, notify=False)
    # then: one line per change (the approval, and the label it made)
    status_line, label_line = lines()
    status_event, label_event = ret.events.order_by("pk")
    assert status_line.pop("timestamp").endswith("Z")
    assert status_line == {
        "event": "status.approved",
        "level": "info",
        "logger": "returns.changes",
        "request_id": "req-42",
        "rma": ret.rma_number,
        "order": ret.order_id,
        "actor": staff.pk,
        "kind": "status",
        "from_status": "requested",
        "to_status": "approved",
        "return_event": status_event.pk,
    }
    assert (label_line["event"], label_line["rma"], label_line["request_id"]) == (
        "label.created",
        ret.rma_number,
        "req-42",
    )
    assert label_line["return_event"] == label_event.pk


def test_a_refused_change_logs_nothing(staff, json_lines, django_capture_on_commit_callbacks):
    # given: an approved return, which cannot be approved again
    ret = bare_return()
    return_approve(actor=staff, ret=ret, notify=False)
    lines = json_lines("returns.changes")
    # when
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ReturnError):
        return_approve(actor=staff, ret=ret, notify=False)
    # then
    assert lines() == []
    assert ret.events.count() == 2


def test_a_well_formed_request_id_is_reused_in_the_answer_and_the_logs(client, json_lines):
    # given
    lines = json_lines("django.request")
    # when: a request that logs (a 404 is a warning of django.request)
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="lb-7f3a:01")
    # then
    assert response.status_code == 404
    assert response["X-Request-ID"] == "lb-7f3a:01"
    assert [(line["request_id"], line["level"]) for line in lines()] == [("lb-7f3a:01", "warning")]


@pytest.mark.parametrize(
    "given", ["", "has space", "new\nline", "x" * 129, "-starts-with-dash", "é"]
)
def test_a_malformed_request_id_is_replaced_by_a_new_one(client, given):
    response = client.get("/healthz?checks=database", HTTP_X_REQUEST_ID=given)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert response["X-Request-ID"] != given


def test_a_task_logs_its_id_as_request_id(json_lines, eager_celery):
    from celery import shared_task

    lines = json_lines("tests.task")

    @shared_task(name="tests.config.log_something")
    def log_something():
        structlog.get_logger("tests.task").info("in the task")

    log_something.apply_async(task_id="task-1")

    assert [(line["event"], line["request_id"]) for line in lines()] == [("in the task", "task-1")]
