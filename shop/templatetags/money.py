"""{{ amount|money:currency }}: an amount with its currency, the way the active language writes
it ("33,73 €" in French, "€33.73" in English). Display only: amounts stay Decimals elsewhere."""

from decimal import Decimal

from django import template

from shop.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | str | int | None, currency: str = "EUR") -> str:
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency)


@register.filter
def minus(amount):
    """The amount as a deduction: {{ order.discount|minus|money:order.currency }}."""
    return -Decimal(str(amount)) if amount not in (None, "") else amount
