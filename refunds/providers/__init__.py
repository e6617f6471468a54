"""Payment providers refunds are paid back through (base.py: the interface).

settings.REFUND_PROVIDERS names them by code: a dotted path to a PaymentProvider subclass, or
{"BACKEND": path, "OPTIONS": {...}} (passed to its constructor). "manual" is always there.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from refunds.providers.base import (
    Payment,
    PaymentProvider,
    ProviderError,
    ProviderRefund,
    ProviderStatus,
    ProviderUnavailable,
    WebhookSignatureError,
)

__all__ = [
    "Payment",
    "PaymentProvider",
    "ProviderError",
    "ProviderRefund",
    "ProviderStatus",
    "ProviderUnavailable",
    "UnknownProviderError",
    "WebhookSignatureError",
    "get_provider",
    "provider_codes",
]


class UnknownProviderError(ProviderError):
    """No provider of that code is configured."""


def provider_codes() -> list[str]:
    return sorted(settings.REFUND_PROVIDERS)


def get_provider(code: str) -> PaymentProvider:
    """The configured provider of `code`, made from the settings now (tests change them)."""
    entry = settings.REFUND_PROVIDERS.get(code)
    if entry is None:
        raise UnknownProviderError(f"no payment provider {code!r} is configured")
    if isinstance(entry, str):
        entry = {"BACKEND": entry}
    provider_class = import_string(entry["BACKEND"])
    provider: PaymentProvider = provider_class(**entry.get("OPTIONS", {}))
    return provider
