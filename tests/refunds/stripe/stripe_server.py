"""A local HTTP server answering as Stripe's API reference documents `POST /v1/refunds` and
`GET /v1/refunds/{id}` (docs.stripe.com/api/refunds), recording every request it gets.

It honours idempotency keys as Stripe does: a request with a key already answered gets the
same answer again (and no second refund); a key still being processed is answered 409
(idempotency_error). Tests script how refunds come out (`refund_status`), a refusal
(`refusal`), and a slow answer (`delay_seconds`: the refund is made, its answer comes late).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

WEBHOOK_SECRET = "whsec_test_local"
SECRET_KEY = "sk_test_local"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]
    # Was the caller's database connection free of its own transactions while it waited?
    caller_outside_transactions: bool | None = None


@dataclass
class FakeStripe:
    refund_status: str = "succeeded"
    failure_reason: str | None = None
    refusal: tuple[int, dict[str, Any]] | None = None
    delay_seconds: float = 0.0
    requests: list[Request] = field(default_factory=list)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers_by_key: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    keys_in_progress: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    idle: threading.Event = field(default_factory=threading.Event)
    caller_connection: Any = None

    def refund_object(self, params: dict[str, str]) -> dict[str, Any]:
        number = len(self.refunds) + 1
        refund = {
            "id": f"re_local{number:04d}",
            "object": "refund",
            "amount": int(params["amount"]),
            "balance_transaction": f"txn_local{number:04d}",
            "charge": "ch_local0001",
            "created": 1767225600 + number,
            "currency": "eur",
            "destination_details": {"type": "card", "card": {"type": "refund"}},
            "metadata": {
                key[len("metadata[") : -1]: value
                for key, value in params.items()
                if key.startswith("metadata[")
            },
            "payment_intent": params.get("payment_intent"),
            "reason": None,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": self.refund_status,
            "transfer_reversal": None,
        }
        if self.refund_status == "failed":
            refund["failure_reason"] = self.failure_reason or "unknown"
        self.refunds[refund["id"]] = refund
        return refund

    def create(self, key: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if key in self.answers_by_key:
                return self.answers_by_key[key]
            if key in self.keys_in_progress:
                return 409, _error(
                    "idempotency_error",
                    "There is currently another in-progress request using this Idempotent Key "
                    "(that probably means you submitted twice, and the other request is still "
                    "going through).",
                )
            self.keys_in_progress.add(key)
        if self.refusal is not None:
            answer = self.refusal
        else:
            with self.lock:
                answer = (200, self.refund_object(params))
        time.sleep(self.delay_seconds)
        with self.lock:
            self.answers_by_key[key] = answer
            self.keys_in_progress.discard(key)
        return answer


def _error(kind: str, message: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"type": kind, "code": code, "message": message}}


def refused(code: str, message: str) -> tuple[int, dict[str, Any]]:
    """Stripe's answer to a refund it refuses (400 invalid_request_error)."""
    return 400, _error("invalid_request_error", message, code)


class _FakeStripeHTTPServer(ThreadingHTTPServer):
    fake: FakeStripe


class Handler(BaseHTTPRequestHandler):
    server: _FakeStripeHTTPServer

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", "req_local")
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up
            pass

    def _record(self, params: dict[str, str]) -> None:
        connection = self.server.fake.caller_connection
        outside = None
        if connection is not None:
            blocks = connection.atomic_blocks
            outside = all(getattr(block, "_from_testcase", False) for block in blocks)
        request = Request(self.command, self.path, dict(self.headers), params, outside)
        self.server.fake.requests.append(request)

    def do_POST(self) -> None:
        fake = self.server.fake
        fake.idle.clear()
        length = int(self.headers.get("Content-Length") or 0)
        params = dict(parse_qsl(self.rfile.read(length).decode()))
        self._record(params)
        if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            self._answer(401, _error("invalid_request_error", "Invalid API Key"))
        elif self.path != "/v1/refunds":
            self._answer(404, _error("invalid_request_error", "Unrecognized URL"))
        else:
            self._answer(*fake.create(self.headers.get("Idempotency-Key") or "", params))
        fake.idle.set()

    def do_GET(self) -> None:
        self._record({})
        refund = self.server.fake.refunds.get(self.path.removeprefix("/v1/refunds/"))
        if refund is None:
            self._answer(404, _error("invalid_request_error", "No such refund"))
        else:
            self._answer(200, refund)


class StripeServer:
    def __init__(self) -> None:
        self.fake = FakeStripe()
        self.server = _FakeStripeHTTPServer(("127.0.0.1", 0), Handler)
        self.server.fake = self.fake
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StripeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def event(kind: str, refund: dict[str, Any], number: int = 1) -> dict[str, Any]:
    """A webhook event as Stripe sends it (docs.stripe.com/api/events/object)."""
    return {
        "id": f"evt_local{number:04d}",
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": 1767225700 + number,
        "data": {"object": refund},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }
