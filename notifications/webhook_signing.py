"""The signature of an outbound webhook, as the Standard Webhooks specification writes it
(https://www.standardwebhooks.com/): the secret is "whsec_" and base64 of its key bytes; the
signed content is "<webhook-id>.<webhook-timestamp>.<body>"; the signature header is "v1," and
base64 of its HMAC-SHA256. The tests check it with the specification's reference library."""

import base64
import hashlib
import hmac

SECRET_PREFIX = "whsec_"


def secret_key(secret: str) -> bytes:
    """The key bytes of a "whsec_..." secret."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(*, secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The value of the webhook-signature header for this id, timestamp and exact body."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(*, secret: str, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of one attempt (the timestamp is the attempt's, so that receivers may
    refuse old ones; the id stays the same on every attempt)."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(
            secret=secret, webhook_id=webhook_id, timestamp=timestamp, body=body
        ),
    }
