"""The money filter of the templates, and the cache throttle."""

import time
from decimal import Decimal

import pytest
from django.utils import translation

from shop.templatetags.money import minus, money
from shop.throttle import Throttle

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


def test_the_throttle_blocks_at_the_limit_within_the_window():
    # given
    throttle = Throttle("test", limit=3, window=60)
    # when
    counts = [throttle.fail("a@example.com|1.2.3.4") for _ in range(3)]
    # then
    assert counts == [1, 2, 3]
    assert throttle.blocked("a@example.com|1.2.3.4") is True
    assert throttle.blocked("b@example.com|1.2.3.4") is False


def test_resetting_the_throttle_unblocks():
    # given
    throttle = Throttle("test", limit=1, window=60)
    throttle.fail("x")
    # when
    throttle.reset("x")
    # then
    assert throttle.blocked("x") is False


def test_the_window_closes():
    # given: a window of one second
    throttle = Throttle("test", limit=1, window=1)
    throttle.fail("y")
    assert throttle.blocked("y") is True
    # when
    time.sleep(1.1)
    # then
    assert throttle.blocked("y") is False
