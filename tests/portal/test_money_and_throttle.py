"""The money filter of the templates (the throttle has moved to tests/shop/test_throttle.py)."""

from decimal import Decimal

import pytest
from django.utils import translation

from shop.templatetags.money import minus, money

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "amount", "currency", "shown"),
    [
        ("fr", Decimal("33.73"), "EUR", f"33,73{NBSP}€"),
        ("fr", Decimal("1234.5"), "EUR", f"1{NBSP}234,50{NBSP}€"),
        ("fr", Decimal("-5"), "EUR", f"−5,00{NBSP}€"),
        ("fr", Decimal("12.5"), "CHF", f"12,50{NBSP}CHF"),
        ("en", Decimal("33.73"), "EUR", "€33.73"),
        ("en", Decimal("1234.5"), "GBP", "£1,234.50"),
        ("en", Decimal("-5"), "EUR", "−€5.00"),
        ("en", Decimal("1500"), "JPY", "¥1,500"),
        ("en", Decimal("12.5"), "CHF", f"CHF{NBSP}12.50"),
    ],
)
def test_money_is_written_the_way_the_language_does(language, amount, currency, shown):
    with translation.override(language):
        assert money(amount, currency) == shown


def test_money_rounds_half_up_to_the_minor_unit():
    with translation.override("en"):
        assert money(Decimal("0.005"), "EUR") == "€0.01"


def test_minus_turns_an_amount_into_a_deduction():
    assert minus(Decimal("10.00")) == Decimal("-10.00")
