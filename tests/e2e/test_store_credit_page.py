"""The customer's store credit page in a real browser, in French, at phone and desktop widths:
the balance, the codes and the movements fit without sideways scrolling. Screenshots:
var/screenshots/store-credit-fr-{phone,desktop}.png."""

import re
from decimal import Decimal

import pytest

from refunds import credit
from refunds.services import store_credit_spend
from shop.demo import CUSTOMER_LOGINS, seed_shop
from shop.models import Customer, User
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_portal_flow import assert_fits

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("viewport", "width"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_the_customer_reads_their_store_credit_in_french(
    live_server, new_page, screenshot, monkeypatch, viewport, width
):
    # given: a demo customer with two codes, part of one spent
    monkeypatch.setattr("notifications.services.publish_send", lambda *args, **kwargs: True)
    seed_shop()
    email, password = CUSTOMER_LOGINS[0][:2]
    customer = Customer.objects.get(user__email=email)
    code = credit.issue_code(
        customer=customer,
        amount=Decimal("33.73"),
        currency="EUR",
        actor=None,
        note="Retour R-7QK2M9XD, avec un bonus de 3,07 €",
    ).code
    credit.issue_code(
        customer=customer, amount=Decimal("10.00"), currency="EUR", actor=None, note="Geste"
    )
    staff = User.objects.filter(is_superuser=True).first()
    store_credit_spend(actor=staff, customer=customer, amount="12.50", currency="EUR")
    page = new_page(viewport=viewport, locale="fr-FR")
    # when
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/$"))
    page.click("nav.site >> text=Avoir")
    page.wait_for_url(re.compile(r"/account/credit/$"))
    # then
    assert page.locator("h1").inner_text() == "Mon avoir"
    assert page.locator(".credit-balance").inner_text() == "31,23\u00a0€"
    assert page.locator(".credit-code").count() == 2
    assert code.code in page.locator("main").inner_text()
    assert page.locator(".credit-movement").count() == 3
    assert_fits(page)
    screenshot(page, f"store-credit-fr-{width}")
