"""Signed carrier webhooks: an HMAC-SHA256 over a timestamp and the raw body, as Stripe signs.

The carrier sends, in the X-Carrier-Signature header:

    t=<Unix seconds of sending>,v1=<hex HMAC-SHA256, under the shared secret, of "<t>.<raw body>">

The README ("Webhooks") has a worked example, checked by tests/returns/tracking/test_signing.py.

Several `v1=` may be sent (a secret being rotated): one matching is enough. We refuse a header
without a timestamp, a timestamp further than the tolerance from our clock, either way (a
captured request cannot be replayed once the tolerance has passed; within it, the events' ids
make a replay a no-op), and a signature that does not match.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Carrier-Signature"
SCHEME = "v1"
# What Stripe and Standard Webhooks recommend: enough for clock skew and a slow network.
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """Why a signed request is refused (the message is for our logs, not for the caller)."""


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    signed = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The X-Carrier-Signature value a carrier sends for `body` now (or at `timestamp`): what
    the tests, the carriers' documentation and a carrier's client use."""
    at = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={at},{SCHEME}={signature(body, secret, at)}"


def parse_header(header: str) -> tuple[int, list[str]]:
    """The timestamp and the v1 signatures of a header; SignatureError when malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            value = value.strip()
            if not value.isascii() or not value.isdigit() or len(value) > 12:
                raise SignatureError("the timestamp is not a number of seconds")
            timestamp = int(value)
        elif key == SCHEME:
            signatures.append(value.strip().lower())
    if timestamp is None:
        raise SignatureError("no timestamp (t=) in the signature header")
    if not signatures:
        raise SignatureError(f"no {SCHEME}= signature in the signature header")
    return timestamp, signatures


def verify(
    body: bytes,
    secret: str,
    header: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """The signed timestamp when `header` signs `body` under `secret` within `tolerance`
    seconds of `now`; SignatureError (saying why) otherwise."""
    if not secret:
        raise SignatureError("no secret is configured")
    if not header:
        raise SignatureError("no signature header")
    timestamp, signatures = parse_header(header)
    current = time.time() if now is None else now
    age = int(current - timestamp)
    if abs(current - timestamp) > tolerance:
        when = f"{age} s old" if age >= 0 else f"{-age} s in the future"
        raise SignatureError(f"timestamp {timestamp} is {when} (tolerance {tolerance} s)")
    expected = signature(body, secret, timestamp)
    if not any(
        received.isascii() and hmac.compare_digest(expected, received) for received in signatures
    ):
        raise SignatureError("the signature does not match")
    return timestamp
