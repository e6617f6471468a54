"""Stripe (https://docs.stripe.com/api/refunds) through its official library.

A refund is `POST /v1/refunds` on the order's PaymentIntent, its amount in the currency's minor
units, with an Idempotency-Key derived from our Refund row: a retry after a timeout (the
library's own, or staff sending it again) gets the same refund back, never a second one. Its
state then follows Stripe's webhook (`refund.created`, `refund.updated`, `refund.failed`,
`charge.refund.updated`), verified by the library (`stripe.Webhook.construct_event`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import stripe as stripe_library

from refunds.providers.base import (
    Payment,
    PaymentProvider,
    ProviderError,
    ProviderRefund,
    ProviderStatus,
    ProviderUnavailable,
    WebhookSignatureError,
)
from shop.money import MINOR_UNITS, quantize

logger = logging.getLogger(__name__)

# Stripe's refund statuses in our words (requires_action: the customer's bank details are
# asked by Stripe; still pending for us).
STATUSES = {
    "pending": ProviderStatus.PENDING,
    "requires_action": ProviderStatus.PENDING,
    "succeeded": ProviderStatus.SUCCEEDED,
    "failed": ProviderStatus.FAILED,
    "canceled": ProviderStatus.FAILED,
}
# The events that carry a refund object; the others are answered and ignored.
REFUND_EVENTS = ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")


def minor_units(amount: Decimal, currency: str) -> int:
    """The amount as Stripe counts it: cents for EUR, yen for JPY (a zero-decimal currency).
    HUF is given in hundredths like EUR, as Stripe asks (shop.money counts it so too)."""
    return int(quantize(amount, currency).scaleb(MINOR_UNITS[currency]))


class StripeProvider(PaymentProvider):
    code = "stripe"
    name = "Stripe"

    def __init__(
        self,
        *,
        secret_key: str = "",
        webhook_secret: str = "",
        api_base: str = "",
        timeout_seconds: float = 20.0,
        max_network_retries: int = 2,
        webhook_tolerance_seconds: int = 300,
    ) -> None:
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.api_base = api_base or stripe_library.DEFAULT_API_BASE
        self.timeout_seconds = timeout_seconds
        self.max_network_retries = max_network_retries
        self.webhook_tolerance_seconds = webhook_tolerance_seconds

    def client(self) -> stripe_library.StripeClient:
        return stripe_library.StripeClient(
            self.secret_key,
            base_addresses={"api": self.api_base},
            max_network_retries=self.max_network_retries,
            http_client=stripe_library.RequestsClient(timeout=self.timeout_seconds),
        )

    def refund(
        self, payment: Payment, amount: Decimal, currency: str, idempotency_key: str, refund_id: int
    ) -> ProviderRefund:
        if not payment.reference:
            raise ProviderError("the order has no Stripe payment (PaymentIntent id)")
        params: dict[str, Any] = {
            "payment_intent": payment.reference,
            "amount": minor_units(amount, currency),
            "metadata": {"refund_id": str(refund_id)},
        }
        created = self._call(
            lambda client: client.v1.refunds.create(
                params=params,
                options={"idempotency_key": idempotency_key},
            )
        )
        return refund_of(created.to_dict())

    def refund_status(self, reference: str) -> ProviderRefund:
        found = self._call(lambda client: client.v1.refunds.retrieve(reference))
        return refund_of(found.to_dict())

    def _call(self, request: Any) -> Any:
        try:
            return request(self.client())
        except stripe_library.APIConnectionError as exc:
            raise ProviderUnavailable(f"Stripe did not answer: {exc.user_message or exc}") from exc
        except stripe_library.StripeError as exc:
            words = exc.user_message or str(exc) or exc.__class__.__name__
            if exc.http_status is None or exc.http_status >= 500 or exc.http_status == 429:
                raise ProviderUnavailable(f"Stripe: {words}") from exc
            raise ProviderError(f"Stripe: {words}") from exc

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[ProviderRefund]:
        try:
            event = stripe_library.Webhook.construct_event(
                body,
                headers.get("Stripe-Signature"),
                self.webhook_secret,
                tolerance=self.webhook_tolerance_seconds,
            )
        except stripe_library.SignatureVerificationError as exc:
            raise WebhookSignatureError(str(exc)) from exc
        except ValueError as exc:  # signed, yet not JSON: not Stripe's
            raise WebhookSignatureError(f"not a Stripe event: {exc}") from exc
        if event.type not in REFUND_EVENTS:
            return []
        return [refund_of(event.data.object.to_dict())]

    def configuration_problems(self) -> list[str]:
        missing = [
            name
            for name, value in (
                ("STRIPE_SECRET_KEY", self.secret_key),
                ("STRIPE_WEBHOOK_SECRET", self.webhook_secret),
            )
            if not value
        ]
        return [f"{name} is not set" for name in missing]


def refund_of(data: Mapping[str, Any]) -> ProviderRefund:
    """A Stripe refund object in our words; a failed one says why (its failure_reason)."""
    if data.get("object") != "refund" or not data.get("id"):
        raise ProviderError("Stripe answered something that is not a refund")
    raw_status = str(data.get("status") or "pending")
    status = STATUSES.get(raw_status, ProviderStatus.PENDING)
    message = ""
    if status == ProviderStatus.FAILED:
        reason = data.get("failure_reason") or "unknown"
        message = f"Stripe: refund {raw_status} ({reason})"
    refund_id = str((data.get("metadata") or {}).get("refund_id") or "")
    return ProviderRefund(
        status=status,
        reference=str(data["id"]),
        message=message,
        refund_id=int(refund_id) if refund_id.isdigit() else None,
    )
