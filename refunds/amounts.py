"""Amounts typed by people and sent by clients, read once into exact Decimals."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

from refunds.errors import RefundError
from shop.money import MINOR_UNITS, quantize


def parse_amount(amount: object, currency: str) -> Decimal:
    """A positive amount typed by a person or sent by a client, in `currency`'s decimals;
    a float is refused (it has already lost the cents)."""
    try:
        if isinstance(amount, float):
            raise TypeError
        value = Decimal(str(amount).strip().replace(",", "."))
    except (InvalidOperation, TypeError, ValueError):
        raise RefundError(gettext("Type the amount as a number, e.g. 12.50.")) from None
    if not value.is_finite() or value <= 0:
        raise RefundError(gettext("The amount must be more than zero."))
    if quantize(value, currency) != value:
        raise RefundError(
            gettext("%(currency)s amounts have at most %(places)d decimals.")
            % {"currency": currency, "places": MINOR_UNITS[currency]}
        )
    return quantize(value, currency)
