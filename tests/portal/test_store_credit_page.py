"""My account > Store credit: the balance is the ledger's sum, with the codes and movements;
another customer sees only their own; the refund choice says the shop's bonus."""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from portal.forms.returns import refund_mode_label
from refunds import credit
from refunds.selectors import store_credit_balance
from refunds.services import store_credit_spend
from shop.models import ShopSettings
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def customer_with_login(email):
    user = UserFactory(email=email, language="fr")
    return CustomerFactory(user=user, email=email)


def logged_in(customer, language="fr"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(customer.user)
    return client


def test_the_page_shows_the_ledgers_sum_its_codes_and_movements(manager):
    # given: 40.00 issued on two codes, 12.35 spent
    camille = customer_with_login("camille@example.com")
    first = credit.issue_code(
        customer=camille, amount=Decimal("30.00"), currency="EUR", actor=None, note="Retour R-1"
    ).code
    credit.issue_code(
        customer=camille, amount=Decimal("10.00"), currency="EUR", actor=None, note="Geste"
    )
    store_credit_spend(actor=manager, customer=camille, amount="12.35", currency="EUR")
    # when
    page = logged_in(camille).get("/account/credit/")
    # then
    html = page.content.decode()
    assert page.status_code == 200
    assert store_credit_balance(camille, "EUR") == Decimal("27.65")
    assert '<p class="credit-balance num" data-currency="EUR">27,65\u00a0€</p>' in html
    assert first.code in html
    assert html.count('class="credit-movement"') == 3
    assert "Retour R-1" in html
    assert "−12,35\u00a0€" in html or "-12,35\u00a0€" in html
    assert "Mon avoir" in html


def test_another_customer_sees_none_of_it(manager):
    camille = customer_with_login("camille@example.com")
    code = credit.issue_code(
        customer=camille, amount=Decimal("30.00"), currency="EUR", actor=None, note="R-1"
    ).code
    alex = customer_with_login("alex@example.com")
    html = logged_in(alex, "en").get("/account/credit/").content.decode()
    assert code.code not in html
    assert "No store credit yet" in html
    assert '<p class="credit-balance num" data-currency="">€0.00</p>' in html


def test_the_refund_choice_says_the_bonus():
    settings = ShopSettings.load()
    settings.store_credit_bonus_percent = Decimal("10.00")
    with translation.override("fr"):
        assert str(refund_mode_label("store_credit", settings)) == (
            "Avoir, à utiliser lors de votre prochaine commande, avec un bonus de 10 %"
        )
    settings.store_credit_bonus_percent = Decimal("12.50")
    with translation.override("en"):
        assert str(refund_mode_label("store_credit", settings)) == (
            "Store credit, to spend on your next order, with a 12.5 % bonus"
        )
    settings.store_credit_bonus_percent = Decimal("0")
    with translation.override("en"):
        assert str(refund_mode_label("store_credit", settings)) == (
            "Store credit, to spend on your next order"
        )
