"""The carriers' tracking webhook: POST /carriers/<code>/tracking/.

The carrier signs a timestamp and the raw body (returns/carriers/signing.py): the header
X-Carrier-Signature is "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>'>" under the shared
secret. A carrier we do not have is 404; a carrier without a secret, a missing or bad
signature, or a timestamp outside the tolerance (a replay) is 403 and changes nothing; a body
that cannot be read (not JSON, nested too deep, more than MAX_EVENTS_PER_PAYLOAD events, an id
too long, no such date) is 400 and records nothing. Otherwise every event is recorded once
(replays are ignored) and the answer is 200 with what was done, including for tracking numbers
we do not know (logged and ignored, so the carrier does not retry forever). An event whose date
cannot be true (more than a day ahead, before its label: returns/services/tracking.py) is
rejected: the answer is then 400, with what was done of the others and, under "rejected", each
rejected event's id and why.
"""

import logging

from django.http import Http404, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from returns.carriers import (
    Carrier,
    CarrierConfigurationError,
    SignatureError,
    TrackingPayloadError,
    UnknownCarrierError,
    get_carrier,
)
from returns.carriers.base import MAX_EVENTS_PER_PAYLOAD
from returns.services.tracking import tracking_events_record

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def carrier_tracking_webhook(request, carrier_code: str):
    return _receive(request, _carrier(carrier_code))


# The code Sendcloud is named by in settings.RETURN_CARRIERS (config/settings.py).
SENDCLOUD_CARRIER_CODE = "sendcloud"


@csrf_exempt
@require_POST
def sendcloud_webhook(request):
    """POST /carriers/sendcloud/webhook/: the webhook URL set in Sendcloud's integration. Its
    body is Sendcloud's own (parcel_status_changed; other actions record nothing), signed by
    the Sendcloud-Signature header (returns/carriers/sendcloud.py); then as above."""
    return _receive(request, _carrier(SENDCLOUD_CARRIER_CODE))


def _carrier(carrier_code: str) -> Carrier:
    try:
        return get_carrier(carrier_code)
    except UnknownCarrierError as exc:
        # Not ours, or named in the settings but broken (returns.E002 says so at start).
        if isinstance(exc, CarrierConfigurationError):
            logger.error("tracking webhook refused: %s", exc)
        raise Http404("no such carrier") from None


def _receive(request, carrier: Carrier):
    if not carrier.webhook_secret():
        logger.error(
            "tracking webhook of carrier %s refused: no CARRIER_WEBHOOK_SECRET is set", carrier.code
        )
        return HttpResponseForbidden("webhook not configured")
    try:
        carrier.verify_webhook(request.body, request.headers)
    except SignatureError as exc:
        logger.warning(
            "tracking webhook of carrier %s from %s refused: %s",
            carrier.code,
            request.META.get("REMOTE_ADDR", "?"),
            exc,
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
