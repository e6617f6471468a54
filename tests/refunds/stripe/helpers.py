"""Stripe's tests' helpers: orders paid through Stripe, webhooks signed with the library's own
helper (stripe.WebhookSignature)."""

import json

import stripe

from tests.factories import make_order
from tests.refunds.stripe.stripe_server import WEBHOOK_SECRET

PAYMENT_INTENT = "pi_local0001"
WEBHOOK_URL = "/payments/stripe/webhook/"


def stripe_order(lines, **kwargs):
    order = make_order(lines, **kwargs)
    order.payment_provider, order.payment_reference = "stripe", PAYMENT_INTENT
    order.save(update_fields=["payment_provider", "payment_reference"])
    return order


def signed_post(client, body: dict, *, secret: str = WEBHOOK_SECRET, header: str | None = None):
    """POST the event to our webhook, signed with the library's own helper."""
    payload = json.dumps(body)
    if header is None:
        header = stripe.WebhookSignature.generate_signature_header(payload, secret)
    return client.post(
        WEBHOOK_URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
