"""A label the moment a return is accepted, in a real browser, in French: the demo's rule
approves an ordinary return at once; the confirmation page offers the label's PDF (a real
PDF, read back) and shows its QR code for a drop-off without printing. Screenshots at phone
and desktop widths go to var/screenshots/label-*.png."""

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from returns.demo.rules import seed_rules
from returns.models import Return, ReturnLabel, ReturnStatus
from shop.demo import CUSTOMER_LOGINS, seed_shop
from shop.models import Order
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_portal_flow import assert_fits
from tests.fixtures.returns import seed_reasons

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [pytest.param(PHONE, "phone", id="phone"), pytest.param(DESKTOP, "desktop", id="desktop")]


@pytest.fixture
def demo_shop_with_rules(monkeypatch):
    # The broker is not under test here: emails stay queued in the outbox.
    monkeypatch.setattr("notifications.services.publish_send", lambda *args, **kwargs: True)
    seed_shop()
    seed_reasons()
    seed_rules()
    email, password = CUSTOMER_LOGINS[0][:2]
    return {"email": email, "password": password}


@pytest.mark.parametrize(("viewport", "width"), WIDTHS)
def test_an_accepted_return_shows_its_label_and_qr_code_at_once(
    live_server, new_page, screenshot, demo_shop_with_rules, viewport, width
):
    page = new_page(viewport=viewport, locale="fr-FR")
    order = Order.objects.get(number="DEMO-1002")
    jumper = order.lines.order_by("id")[1]

    # log in, and return the jumper for an ordinary reason
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", demo_shop_with_rules["email"])
    page.fill("#id_password", demo_shop_with_rules["password"])
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/$"))
    page.goto(f"{live_server.url}/orders/DEMO-1002/return/")
    page.select_option(f"#id_line-{jumper.pk}-quantity", "1")
    page.select_option(f"#id_line-{jumper.pk}-reason", "changed-mind")
    page.check("input[name=refund_mode][value=money_back]")
    page.check("input[name=delivery_option][value=label]")
    page.click("#return-form button[type=submit]")
    page.wait_for_url(re.compile(r"/return/confirm/$"))
    page.click("main form button[type=submit]")

    # the confirmation: approved by the rule, its label made after the commit
    page.wait_for_url(re.compile(r"/returns/R-[0-9A-Z]{8}/$"))
    ret = Return.objects.get()
    label = ReturnLabel.objects.get(ret=ret)
    assert ret.status == ReturnStatus.APPROVED
    assert f"Votre retour {ret.rma_number} est accepté." in page.locator("main").inner_text()
    qr = page.locator("#label-qr-image")
    qr.scroll_into_view_if_needed()
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")
    assert page.locator("#label-qr").get_attribute("href") == (
        f"/returns/{ret.rma_number}/label/qr/"
    )
    assert_fits(page)
    screenshot(page, f"label-{width}-1-confirmation")

    # the label downloads: a real PDF with the tracking number
    with page.expect_download() as download:
        page.click("#label-download")
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert label.tracking_number in text
    assert ret.rma_number in text

    # the drop-off page: the QR code, large
    page.click("#label-qr")
    page.wait_for_url(re.compile(r"/label/qr/$"))
    assert page.locator("#drop-off-qr").evaluate("image => image.naturalWidth > 0")
    assert label.tracking_number in page.locator("main").inner_text()
    assert_fits(page)
    screenshot(page, f"label-{width}-2-qr")
