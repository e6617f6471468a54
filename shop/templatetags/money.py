"""{{ amount|money:currency }}: an amount with its currency, the way the active language writes
it ("33,73 €" in French, "€33.73" in English). Display only: amounts stay Decimals elsewhere."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

from shop.money import MINOR_UNITS, quantize

register = template.Library()

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
NBSP = "\u00a0"


@register.filter
def money(amount: Decimal | str | int | None, currency: str = "EUR") -> str:
    if amount is None or amount == "":
        return ""
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


@register.filter
def minus(amount):
    """The amount as a deduction: {{ order.discount|minus|money:order.currency }}."""
    return -Decimal(str(amount)) if amount not in (None, "") else amount
