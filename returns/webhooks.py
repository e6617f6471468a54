"""The carriers' tracking webhook: POST /carriers/<code>/tracking/.

The carrier signs the raw body with HMAC-SHA256 under the shared secret and sends the hex
digest in the X-Carrier-Signature header ("sha256=<hex>" or just "<hex>"). A bad or missing
signature is 403 and changes nothing; a body that cannot be read (not JSON, nested too deep,
more than MAX_EVENTS_PER_PAYLOAD events, an id too long, no such date) is 400 and records
nothing. Otherwise every event is recorded once (replays are ignored) and the answer is 200 with
what was done, including for tracking numbers we do not know (logged and ignored, so the
carrier does not retry forever). An event whose date cannot be true (more than a day ahead,
before its label: returns/services/tracking.py) is rejected: the answer is then 400, with what
was done of the others and, under "rejected", each rejected event's id and why.
"""

import hashlib
import hmac
import logging

from django.http import Http404, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from returns.carriers import TrackingPayloadError, UnknownCarrierError, get_carrier
from returns.carriers.base import MAX_EVENTS_PER_PAYLOAD
from returns.services.tracking import tracking_events_record

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Carrier-Signature"


def sign(body: bytes, secret: str) -> str:
    """The signature a carrier sends for `body` (also what the tests and carriers' docs use)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(body: bytes, secret: str, header: str) -> bool:
    if not secret or not header:
        return False
    received = header.strip()
    if received.lower().startswith("sha256="):
        received = received[len("sha256=") :]
    return hmac.compare_digest(sign(body, secret), received.lower())


@csrf_exempt
@require_POST
def carrier_tracking_webhook(request, carrier_code: str):
    try:
        carrier = get_carrier(carrier_code)
    except UnknownCarrierError:
        raise Http404("no such carrier") from None
    secret = carrier.webhook_secret()
    if not secret:
        logger.error(
            "tracking webhook of carrier %s refused: no CARRIER_WEBHOOK_SECRET is set", carrier.code
        )
        return HttpResponseForbidden("webhook not configured")
    if not signature_is_valid(request.body, secret, request.headers.get(SIGNATURE_HEADER, "")):
        logger.warning(
            "tracking webhook of carrier %s: bad signature from %s, refused",
            carrier.code,
            request.META.get("REMOTE_ADDR", "?"),
        )
        return HttpResponseForbidden("bad signature")
    try:
        events = carrier.parse_tracking_events(request.body)
        if len(events) > MAX_EVENTS_PER_PAYLOAD:
            raise TrackingPayloadError(f"more than {MAX_EVENTS_PER_PAYLOAD} events")
    except TrackingPayloadError as exc:
        logger.warning("tracking webhook of carrier %s: unreadable body: %s", carrier.code, exc)
        return HttpResponseBadRequest(f"unreadable body: {exc}")
    summary = tracking_events_record(carrier=carrier.code, events=events)
    answer = {
        "recorded": summary.recorded,
        "duplicates": summary.duplicates,
        "unknown": summary.unknown,
        "moved": summary.moved,
    }
    if summary.rejected:
        return JsonResponse({**answer, "rejected": summary.rejected}, status=400)
    return JsonResponse(answer)
