"""Fees that add up, in a real browser at phone width: the demo's Belgian customer returns
canvas sneakers (49.00, category shoes); the summary shows the Belgian postage (8.00) and the
shoes' restocking fee (10 %: 4.90) as two named lines, and the page fits the phone. Screenshot
in var/screenshots/fees-phone.png."""

import re

import pytest

from returns.demo.rules import seed_rules
from returns.models import Return
from shop.demo import CUSTOMER_LOGINS, seed_shop
from shop.models import Order
from tests.e2e.conftest import PHONE
from tests.e2e.test_portal_flow import assert_fits
from tests.fixtures.returns import seed_reasons

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_shop_with_rules(monkeypatch):
    monkeypatch.setattr("notifications.services.publish_send", lambda *args, **kwargs: True)
    seed_shop()
    seed_reasons()
    seed_rules()
    email, password = CUSTOMER_LOGINS[1][:2]
    return {"email": email, "password": password}


def test_the_summary_shows_postage_and_restocking_at_phone_width(
    live_server, new_page, screenshot, demo_shop_with_rules
):
    page = new_page(viewport=PHONE, locale="en-GB")
    order = Order.objects.get(number="DEMO-1005")
    sneakers = order.lines.get(variant__sku="BA-TOI-41")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", demo_shop_with_rules["email"])
    page.fill("#id_password", demo_shop_with_rules["password"])
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/$"))
    page.goto(f"{live_server.url}/orders/DEMO-1005/return/")
    page.select_option(f"#id_line-{sneakers.pk}-quantity", "1")
    page.select_option(f"#id_line-{sneakers.pk}-reason", "wrong-size")
    page.check("input[name=refund_mode][value=money_back]")
    page.check("input[name=delivery_option][value=label]")
    page.click("#return-form button[type=submit]")
    page.wait_for_url(re.compile(r"/return/confirm/$"))

    fee_rows = page.locator("table.quote tr.quote-fee")
    assert fee_rows.all_inner_texts() == [
        "Return postage\t−€8.00",
        "Restocking fee (shoes)\t−€4.90",
    ]
    assert page.locator("[data-quote-total]").inner_text() == "€36.10"
    assert_fits(page)
    screenshot(page, "fees-phone")
    # nothing is made before the customer confirms
    assert not Return.objects.exists()
