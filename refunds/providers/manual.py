"""Refunds paid out by hand (a bank transfer, the provider's dashboard): the embedded default.

Nothing is sent anywhere: the refund stays pending until staff mark it refunded with the
transfer's reference (refunds.services.refund_mark_refunded).
"""

from decimal import Decimal

from refunds.providers.base import Payment, PaymentProvider, ProviderRefund, ProviderStatus


class ManualProvider(PaymentProvider):
    code = "manual"
    name = "manual"

    def refund(
        self, payment: Payment, amount: Decimal, currency: str, idempotency_key: str, refund_id: int
    ) -> ProviderRefund:
        return ProviderRefund(ProviderStatus.PENDING)

    def refund_status(self, reference: str) -> ProviderRefund:
        return ProviderRefund(ProviderStatus.PENDING, reference=reference)
