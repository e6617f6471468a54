"""Money is a Decimal rounded to its currency's minor unit, never a float."""

from decimal import ROUND_HALF_UP, Decimal

# Digits after the decimal point per ISO 4217 currency. Amounts are stored with two decimal
# places, so currencies with three (KWD, BHD...) are deliberately not offered.
MINOR_UNITS = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "AUD": 2,
    "SEK": 2,
    "DKK": 2,
    "NOK": 2,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "RON": 2,
    "JPY": 0,
    "KRW": 0,
}
CURRENCY_CHOICES = [(code, code) for code in sorted(MINOR_UNITS)]
ZERO = Decimal("0")


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of the currency: Decimal('0.01') for EUR, Decimal('1') for JPY."""
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def quantize(amount, currency: str) -> Decimal:
    """Round half up to the currency's minor unit."""
    if isinstance(amount, float):
        raise TypeError("money must not be a float")
    return Decimal(amount).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def format_money(amount, currency: str) -> str:
    return f"{quantize(amount, currency)} {currency}"
