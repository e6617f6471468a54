"""Stripe's tests: a local server answering as Stripe's API (stripe_server.py), the stripe
provider pointed at it (its base address), orders paid through Stripe, signed webhooks."""

import json

import pytest
import stripe
from django.db import connections

from tests.factories import make_order
from tests.refunds.stripe.stripe_server import SECRET_KEY, WEBHOOK_SECRET, StripeServer

PAYMENT_INTENT = "pi_local0001"
WEBHOOK_URL = "/payments/stripe/webhook/"


@pytest.fixture
def stripe_server(settings):
    server = StripeServer().start()
    server.fake.caller_connection = connections["default"]
    settings.REFUND_PROVIDERS = {
        **settings.REFUND_PROVIDERS,
        "stripe": {
            "BACKEND": "refunds.providers.stripe.StripeProvider",
            "OPTIONS": {
                "secret_key": SECRET_KEY,
                "webhook_secret": WEBHOOK_SECRET,
                "api_base": server.url,
                "timeout_seconds": 0.5,
                "max_network_retries": 0,
            },
        },
    }
    yield server.fake
    server.stop()


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
