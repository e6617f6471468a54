"""The payment providers' webhooks: POST /payments/<provider>/webhook/ (Stripe's:
/payments/stripe/webhook/).

The provider verifies its own request (Stripe: `stripe.Webhook.construct_event` on the raw body
and the Stripe-Signature header, under STRIPE_WEBHOOK_SECRET). A provider we do not have is
404; a request that is not genuine (bad or missing signature, too old, no secret set) is 400
and records nothing. Otherwise each refund it reports is applied once
(refunds.services.refund_provider_update: a delivery twice changes nothing) and the answer is
200, also for refunds that are not ours and events of other kinds, so the provider does not
send them again and again.
"""

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from refunds.models import MANUAL_PROVIDER
from refunds.providers import UnknownProviderError, WebhookSignatureError, get_provider
from refunds.services import refund_provider_update

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def payment_provider_webhook(request: HttpRequest, provider_code: str) -> HttpResponse:
    if provider_code == MANUAL_PROVIDER:
        raise Http404("no such payment provider")
    try:
        provider = get_provider(provider_code)
    except UnknownProviderError:
        raise Http404("no such payment provider") from None
    try:
        answers = provider.parse_webhook(request.body, request.headers)
    except WebhookSignatureError as exc:
        logger.warning(
            "payment webhook of %s from %s refused: %s",
            provider_code,
            request.META.get("REMOTE_ADDR", "?"),
            exc,
        )
        return HttpResponse("bad signature", status=400, content_type="text/plain")
    applied = [refund_provider_update(provider_code, answer) for answer in answers]
    return JsonResponse({"refunds": [refund.pk for refund in applied if refund is not None]})
