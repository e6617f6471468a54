"""Money as the reader's language writes it, the same in pages, emails and messages."""

from decimal import Decimal

from django.template import Context, Engine
from django.utils import translation

from shop.money import format_money


def test_each_language_writes_money_its_own_way():
    with translation.override("fr"):
        assert format_money(Decimal("1234.5"), "EUR") == "1\u00a0234,50\u00a0€"
        assert format_money(Decimal("-5"), "EUR") == "−5,00\u00a0€"
        assert format_money(Decimal("12"), "CHF") == "12,00\u00a0CHF"
    with translation.override("en"):
        assert format_money(Decimal("1234.5"), "EUR") == "€1,234.50"
        assert format_money(Decimal("12"), "CHF") == "CHF\u00a012.00"
        assert format_money(Decimal("7"), "JPY") == "¥7"


def test_an_email_template_uses_the_money_filter_without_loading_it():
    template = Engine.get_default().from_string("{{ amount|money:currency }}")
    with translation.override("en"):
        assert template.render(Context({"amount": Decimal("33.73"), "currency": "EUR"})) == (
            "€33.73"
        )
