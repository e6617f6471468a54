"""Money is a Decimal rounded to its currency's minor unit, never a float."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import get_language

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


SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
NBSP = "\u00a0"


def format_money(amount, currency: str) -> str:
    """The amount with its currency as the active language writes it: "33,73 €" in French,
    "€33.73" in English (a currency without a symbol keeps its code). Every surface shows money
    through this (pages through the `money` filter, emails, messages, the timeline), so a
    figure reads the same everywhere."""
    currency = currency or "EUR"
    value = quantize(Decimal(str(amount)), currency)
    digits = number_format(
        abs(value), decimal_pos=MINOR_UNITS.get(currency, 2), use_l10n=True, force_grouping=True
    )
    sign = "−" if value < 0 else ""  # a true minus sign: it reads better than a hyphen
    symbol = SYMBOLS.get(currency, currency)
    if (get_language() or "fr").startswith("en"):
        spacer = "" if currency in SYMBOLS else NBSP
        return f"{sign}{symbol}{spacer}{digits}"
    return f"{sign}{digits}{NBSP}{symbol}"
