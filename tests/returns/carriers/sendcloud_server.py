"""A small local HTTP server answering as Sendcloud's API documents it (sendcloud.dev, the
v3 Returns and Parcel documents APIs), recording every request it gets.

Each route answers from a queue of scripted answers (status, JSON body or bytes); the last
answer of a queue repeats. Tests script the answers they need (a 503 first, a 409 on cancel).
"""

from __future__ import annotations

import base64
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RETURN_ID = 12345
PARCEL_ID = 67880
TRACKING_NUMBER = "3SSEND12345678"
TRACKING_URL = (
    "https://tracking.eu-central-1-0.sendcloud.sc/forward?carrier=sendcloud&code=3SSEND12345678"
    "&destination=NL&lang=en-gb&source=NL&type=letter&verification=1001+VV"
)
# A real, tiny PDF: what Sendcloud's label endpoint returns (application/pdf).
LABEL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 298 420]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def return_object(tracking_number: str | None = TRACKING_NUMBER, **extra: Any) -> dict[str, Any]:
    """A Return object as GET /api/v3/returns/{id} documents it (the fields we read and the
    required ones)."""
    label_url = f"https://panel.sendcloud.sc/api/v3/parcels/{PARCEL_ID}/documents/label"
    return {
        "from_address": {"name": "Camille Martin", "address_line_1": "12 rue Oberkampf"},
        "to_address": {"name": "Boutique Demo", "address_line_1": "Stadhuisplein"},
        "shipping_product": {"code": "postnl:standard/return"},
        "shipping_option": {"code": "postnl:standard/return"},
        "weight": {"value": 1, "unit": "kg"},
        "send_tracking_emails": False,
        "is_cancellable": True,
        "tracking_number": tracking_number,
        "tracking_url": TRACKING_URL if tracking_number else None,
        "label": {"label_printer": label_url, "normal_printer": [f"{label_url}?paper_size=a4"] * 4},
        "status_history": [
            {
                "carrier_update_timestamp": "2026-01-05T10:00:00+01:00",
                "parcel_status_history_id": "1",
                "parent_status": "announced",
                "carrier_code": "announced",
                "carrier_message": "Label created",
            }
        ],
        "created_at": "2026-01-05T09:59:00+01:00",
        **extra,
    }


@dataclass
class Answer:
    status: int
    body: Any = None
    content_type: str = "application/json"

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return b"" if self.body is None else json.dumps(self.body).encode()


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def basic_auth(self) -> tuple[str, str]:
        kind, _, value = self.headers.get("Authorization", "").partition(" ")
        assert kind == "Basic"
        user, _, password = base64.b64decode(value).decode().partition(":")
        return user, password


@dataclass
class FakeSendcloud:
    answers: dict[tuple[str, str], list[Answer]] = field(default_factory=lambda: defaultdict(list))
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def script(self, method: str, path: str, *answers: Answer) -> None:
        self.answers[(method, path)] = list(answers)

    def documented(self) -> None:
        """The happy path: create, read (announced), label, cancel accepted."""
        self.script(
            "POST",
            "/api/v3/returns",
            Answer(201, {"return_id": RETURN_ID, "parcel_id": PARCEL_ID, "multi_collo_ids": []}),
        )
        self.script("GET", f"/api/v3/returns/{RETURN_ID}", Answer(200, return_object()))
        self.script(
            "GET",
            f"/api/v3/parcels/{PARCEL_ID}/documents/label",
            Answer(200, LABEL_PDF, "application/pdf"),
        )
        self.script(
            "PATCH",
            f"/api/v3/returns/{RETURN_ID}/cancel",
            Answer(202, {"message": "Cancellation requested successfully"}),
        )

    def made(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if (r.method, r.path.split("?")[0]) == (method, path)]

    def answer(self, method: str, path: str) -> Answer:
        queue = self.answers.get((method, path.split("?")[0]))
        if not queue:
            return Answer(404, {"errors": [{"code": "not_found", "detail": "Not found."}]})
        return queue.pop(0) if len(queue) > 1 else queue[0]


def serve(fake: FakeSendcloud) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fake.requests.append(Request(self.command, self.path, dict(self.headers), body))
            answer = fake.answer(self.command, self.path)
            payload = answer.payload()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server
