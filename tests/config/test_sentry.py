"""Errors reach Sentry when SENTRY_DSN is set, and sentry-sdk is not started when it is not: the
site is started in a process of its own, reporting to a local HTTP server that answers as
Sentry's envelope endpoint does (POST /api/<project>/envelope/)."""

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging, sentry_sdk
import django
django.setup()
print("initialized" if sentry_sdk.is_initialized() else "not initialized")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("returns.tests").exception("the division failed")
sentry_sdk.flush(timeout=10)
"""


@pytest.fixture
def sentry_server():
    """A local stand-in for Sentry's ingestion: keeps every envelope posted."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.received = received
    yield server
    server.shutdown()
    server.server_close()


def run_site(**env):
    variables = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    variables.pop("SENTRY_DSN", None)
    variables.update(VAR_DIR=str(settings.VAR_DIR), **env)
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=variables,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def events(received):
    """The event items of the envelopes (an envelope: a header line, then item header and payload
    lines in pairs)."""
    found = []
    for _path, body in received:
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def test_without_a_dsn_sentry_is_not_started(sentry_server):
    result = run_site()

    assert result.stdout.splitlines()[0] == "not initialized"
    assert sentry_server.received == []


def test_with_a_dsn_an_error_is_reported_to_it(sentry_server):
    # given: a DSN naming the local server, project 42
    port = sentry_server.server_address[1]
    # when
    result = run_site(SENTRY_DSN=f"http://public-key@127.0.0.1:{port}/42")
    # then
    assert result.stdout.splitlines()[0] == "initialized"
    assert {path for path, _ in sentry_server.received} == {"/api/42/envelope/"}
    [event] = events(sentry_server.received)
    assert event["logentry"]["message"] == "the division failed"
    assert event["exception"]["values"][0]["type"] == "ZeroDivisionError"
    assert event["environment"] == "development"
    assert "request_id" not in event.get("tags", {})
