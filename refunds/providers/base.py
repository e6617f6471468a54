"""The payment provider interface: a refund paid back through the API the order was paid with.

A provider refunds a payment (`refund`), tells a refund's status (`refund_status`) and reads
its webhook (`parse_webhook`). Every answer is a ProviderRefund in our three words: pending,
succeeded, failed. A call that got no answer (a timeout, a refused connection, a 5xx) raises
ProviderUnavailable: the refund may or may not exist there, so it is sent again with the same
idempotency key, never as a new refund. refunds/services.py calls a provider with no database
transaction open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from shop.models import Order


class ProviderStatus:
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class ProviderRefund:
    """A refund as the provider reports it: our status word, its id there, its words."""

    status: str
    reference: str = ""
    message: str = ""
    # Our Refund's id, when the provider echoes it (Stripe's metadata): a webhook may arrive
    # before we recorded the provider's id.
    refund_id: int | None = None


@dataclass(frozen=True)
class Payment:
    """What the order's payment is at its provider."""

    provider: str
    reference: str
    captured: Decimal

    @classmethod
    def of(cls, order: Order) -> Payment:
        captured = order.amount_paid if order.amount_captured is None else order.amount_captured
        return cls(order.payment_provider or "manual", order.payment_reference, captured)


class ProviderError(Exception):
    """The provider could not be used as asked; the message says why, for staff."""


class ProviderUnavailable(ProviderError):
    """No answer (timeout, connection refused, a server error): try again with the same key."""


class WebhookSignatureError(ProviderError):
    """The webhook request is not the provider's (bad or missing signature, too old)."""


class PaymentProvider:
    code = ""
    name = ""

    def refund(
        self, payment: Payment, amount: Decimal, currency: str, idempotency_key: str, refund_id: int
    ) -> ProviderRefund:
        raise NotImplementedError

    def refund_status(self, reference: str) -> ProviderRefund:
        raise NotImplementedError

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[ProviderRefund]:
        """The refunds a genuine webhook request reports (none for events of other kinds);
        WebhookSignatureError when it is not genuine."""
        raise WebhookSignatureError(f"{self.name} sends no webhook")

    def configuration_problems(self) -> list[str]:
        """What the settings lack for this provider to work (production refuses to start)."""
        return []
