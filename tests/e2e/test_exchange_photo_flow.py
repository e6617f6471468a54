"""In a real browser, in French, at phone width: a customer exchanges a T-shirt for a bigger,
dearer size, reads what they will pay before confirming, adds a photo the reason asks for,
confirms, and sees it on the return's page. Screenshots: var/screenshots/exchange-photo-*.png."""

import re
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.utils import translation
from PIL import Image

from refunds.quotes import quote_for_return
from returns.models import Return, ReturnPhoto, ReturnReason
from shop.demo import CUSTOMER_LOGINS, seed_shop
from shop.models import Order, Variant
from shop.templatetags.money import money
from tests.e2e.conftest import PHONE
from tests.e2e.test_portal_flow import assert_fits
from tests.fixtures.returns import seed_reasons

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(monkeypatch, settings, tmp_path):
    monkeypatch.setattr("notifications.services.publish_send", lambda *args, **kwargs: True)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    seed_shop()
    seed_reasons()
    ReturnReason.objects.filter(code="defective").update(needs_photos=True)
    small = Variant.objects.get(sku="TS-BIO-S")
    larger = Variant.objects.create(
        product=small.product, sku="TS-BIO-XL", option="XL", price=Decimal("16.99"), stock_on_hand=1
    )
    return {"login": CUSTOMER_LOGINS[0][:2], "larger": larger}


def photo_file(tmp_path):
    """A phone's JPEG: a picture with its camera's EXIF."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneCam 12"
    path = tmp_path / "col-decousu.jpg"
    Image.new("RGB", (120, 90), (30, 90, 200)).save(path, format="JPEG", exif=exif)
    return path


def test_a_customer_exchanges_for_a_dearer_size_with_a_photo_in_french(
    live_server, new_page, screenshot, shop, tmp_path
):
    page = new_page(viewport=PHONE, locale="fr-FR")
    order = Order.objects.get(number="DEMO-1002")
    tshirts = order.lines.get(variant__sku="TS-BIO-S")
    larger = shop["larger"]
    email, password = shop["login"]

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/$"))

    # the form: one T-shirt, defective, exchanged for the XL
    page.goto(f"{live_server.url}/orders/DEMO-1002/return/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.select_option(f"#id_line-{tshirts.pk}-quantity", "1")
    page.select_option(f"#id_line-{tshirts.pk}-reason", "defective")
    page.check("input[name=refund_mode][value=exchange]")
    options = page.locator(f"#id_line-{tshirts.pk}-exchange_variant option").all_inner_texts()
    assert "XL · 16,99\xa0€" in options
    page.select_option(f"#id_line-{tshirts.pk}-exchange_variant", str(larger.pk))
    page.check("input[name=delivery_option][value=label]")
    assert_fits(page)
    screenshot(page, "exchange-photo-1-form")
    page.click("#return-form button[type=submit]")

    # the summary: the difference to pay, and the photo the reason asks for
    page.wait_for_url(re.compile(r"/return/confirm/$"))
    difference = page.locator("#exchange-difference").inner_text()
    assert difference.startswith(
        "L\u2019article choisi coûte plus cher : vous paierez la différence"
    )
    photo_input = page.locator(f'input[name="line-{tshirts.pk}-photos"]')
    assert photo_input.get_attribute("required") is not None
    photo_input.set_input_files(str(photo_file(tmp_path)))
    assert_fits(page)
    screenshot(page, "exchange-photo-2-summary")
    page.click("#confirm-form button[type=submit]")

    # the return: the exchange's item and the photo
    page.wait_for_url(re.compile(r"/returns/R-[0-9A-Z]{8}/$"))
    ret = Return.objects.get()
    assert (ret.refund_mode, ret.lines.get().exchange_variant) == ("exchange", larger)
    due = quote_for_return(ret).amount_due
    assert due > 0
    with translation.override("fr"):
        assert money(due, "EUR") in difference
    photo = ReturnPhoto.objects.get()
    assert photo.line.order_line == tshirts
    with default_storage.open(photo.image.name) as stored, Image.open(stored) as image:
        assert (image.size, dict(image.getexif())) == ((120, 90), {})
    thumbnail = page.locator(
        f'.line-photos img[src="/returns/{ret.rma_number}/photos/{photo.pk}/"]'
    )
    # the thumbnail loads lazily: bring it into view and wait for the browser to decode it
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert thumbnail.evaluate("img => img.naturalWidth") == 120
    assert "XL" in page.locator("#exchange-item").inner_text()
    assert_fits(page)
    screenshot(page, "exchange-photo-3-return")
