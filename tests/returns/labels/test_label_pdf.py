"""The offline carrier's label: a PDF whose text holds both addresses, the RMA and tracking
numbers, with a Code 128 barcode that reads back as the tracking number, and a QR code."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from returns.carriers import get_carrier
from returns.carriers.offline import is_offline_tracking_number, label_document
from returns.carriers.pdf import BARCODE_BAR_HEIGHT, BARCODE_BAR_WIDTH
from tests.returns.labels.code128 import bars_from_pdf, bars_to_png, decode_widths, widths_from_bars
from tests.returns.labels.helpers import approved_with_label, label_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def ret(staff, order, shop_settings):
    shop_settings.shop_name = "Maison Lumière"
    shop_settings.return_address = "Service retours\n12 rue des Lilas\n75011 Paris\nFrance"
    shop_settings.save()
    order.shipping_address = "3 rue du Faubourg\nLyon"
    order.shipping_postcode = "69001"
    order.save()
    order.customer.language = "en"  # the label speaks the customer's language
    order.customer.save()
    return approved_with_label(staff, order, 2)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def test_the_label_pdf_holds_the_addresses_and_numbers(ret):
    # given
    label = label_of(ret)
    # when
    text = pdf_text(bytes(label.pdf))
    # then
    assert bytes(label.pdf).startswith(b"%PDF-")
    assert is_offline_tracking_number(label.tracking_number)
    lines = text.splitlines()
    assert ret.rma_number in lines
    assert label.tracking_number in lines
    assert f"Order {ret.order.number}" in lines
    customer = ret.order.customer
    for expected in (
        customer.full_name,
        "3 rue du Faubourg",
        "Lyon",
        "69001 FR",
        "Maison Lumière",
        "Service retours",
        "12 rue des Lilas",
        "75011 Paris",
        "France",
        f"2 × {ret.lines.get().order_line.variant.product.name} (M)",
    ):
        assert expected in lines


def test_the_barcode_reads_back_as_the_tracking_number(ret, tmp_path):
    # given
    label = label_of(ret)
    # when: the bars drawn in the PDF, read with the Code 128 table
    bars = bars_from_pdf(bytes(label.pdf), bar_height=BARCODE_BAR_HEIGHT)
    decoded = decode_widths(widths_from_bars(bars, BARCODE_BAR_WIDTH))
    png = bars_to_png(bars)
    # then
    assert decoded == label.tracking_number
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "barcode.png").write_bytes(png)
    from PIL import Image

    image = Image.open(tmp_path / "barcode.png")
    assert image.width > len(bars) * 2
    assert image.height == 80


def test_the_qr_code_holds_the_rma_and_tracking_numbers(ret):
    # given
    label = label_of(ret)
    # when
    document = label_document(
        ret, carrier_name="Offline Post", tracking_number=label.tracking_number
    )
    # then
    assert document.qr_data == f"{ret.rma_number} {label.tracking_number}"


def test_the_label_speaks_the_customers_language(staff, order):
    # given: a French customer
    order.customer.language = "fr"
    order.customer.save()
    # when
    label = label_of(approved_with_label(staff, order))
    # then: whatever language the staff member approving reads
    from django.utils import translation

    with translation.override("fr"):
        expected = translation.gettext("Tracking number")
    assert expected in pdf_text(bytes(label.pdf)).splitlines()


def test_each_label_gets_its_own_tracking_number(staff, order):
    # given
    carrier = get_carrier("offline")
    # when
    numbers = {carrier.new_tracking_number() for _ in range(50)}
    # then
    assert len(numbers) == 50
    assert all(is_offline_tracking_number(number) for number in numbers)
    assert not is_offline_tracking_number("OL0000000000")


def test_the_label_gives_the_return_policy_address(ret):
    text = pdf_text(bytes(label_of(ret).pdf))
    assert "Return policy: http://127.0.0.1:8000/return-policy/" in text.splitlines()


@pytest.mark.parametrize(
    ("language", "item"), [("fr", "2 × Pull mérinos (Bleu)"), ("en", "2 × Merino jumper (Blue)")]
)
def test_the_label_names_the_items_in_the_customers_language(staff, order, language, item):
    # given: a product and an option the merchant typed in both languages
    variant = order.lines.order_by("id").first().variant
    variant.product.name_fr, variant.product.name_en = "Pull mérinos", "Merino jumper"
    variant.product.save()
    variant.option_fr, variant.option_en = "Bleu", "Blue"
    variant.save()
    order.customer.language = language
    order.customer.save()
    # when
    ret = approved_with_label(staff, order, 2)
    # then
    lines = pdf_text(bytes(label_of(ret).pdf)).splitlines()
    assert item in lines
    assert not [line for line in lines if "Merino" in line or "mérinos" in line if line != item]
