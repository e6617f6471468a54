"""Drop-off without printing: the label's QR code page and image, for the return's customer or
the guest who verified its order; anyone else gets a 404."""

import pytest
from django.test import Client
from django.urls import reverse

from returns.carriers.base import drop_off_qr_data
from returns.services import labels
from tests.factories import CustomerFactory, UserFactory
from tests.fixtures.web import logged_in
from tests.returns.helpers import create
from tests.returns.labels.helpers import approved_with_label, label_of

pytestmark = pytest.mark.django_db


def qr_urls(ret) -> tuple[str, str]:
    return (
        reverse("return_label_qr", args=[ret.rma_number]),
        reverse("return_label_qr_svg", args=[ret.rma_number]),
    )


def test_the_customer_sees_the_qr_code_page_and_image(staff, order, customer_user):
    # given
    ret = approved_with_label(staff, order)
    label = label_of(ret)
    page_url, image_url = qr_urls(ret)
    client = logged_in(customer_user)
    # when
    page = client.get(page_url)
    image = client.get(image_url)
    # then
    assert page.status_code == 200
    assert f'src="{image_url}"' in page.text
    assert f"Tracking number {label.tracking_number}" in page.text
    assert "Offline Post" in page.text
    assert image.status_code == 200
    assert image["Content-Type"] == "image/svg+xml"
    assert image["Cache-Control"] == "private, no-store"
    assert b"<svg" in image.content
    assert drop_off_qr_data(ret.rma_number, label.tracking_number) == (
        f"{ret.rma_number} {label.tracking_number}"
    )


def test_the_return_page_shows_the_qr_code_and_links_its_page(staff, order, customer_user):
    # given
    ret = approved_with_label(staff, order)
    page_url, image_url = qr_urls(ret)
    # when
    response = logged_in(customer_user).get(reverse("return_detail", args=[ret.rma_number]))
    # then
    assert f'href="{page_url}"' in response.text
    assert f'src="{image_url}"' in response.text


def test_a_guest_who_verified_the_order_sees_the_qr_code(staff, order):
    # given
    ret = approved_with_label(staff, order)
    client = Client()
    client.post("/lookup/", {"order_number": order.number, "email_or_postcode": order.email})
    # when
    responses = [client.get(url).status_code for url in qr_urls(ret)]
    # then
    assert responses == [200, 200]


def test_another_customer_gets_a_404_and_a_visitor_is_sent_to_log_in(staff, order):
    # given
    ret = approved_with_label(staff, order)
    stranger = UserFactory()
    CustomerFactory(user=stranger, email=stranger.email)
    # when
    strangers = [logged_in(stranger).get(url).status_code for url in qr_urls(ret)]
    visitors = [Client().get(url) for url in qr_urls(ret)]
    # then
    assert strangers == [404, 404]
    assert [response.status_code for response in visitors] == [302, 302]
    assert all(r["Location"].startswith(reverse("login")) for r in visitors)


def test_a_cancelled_label_or_none_has_no_qr_code(staff, order, customer_user):
    # given
    ret = approved_with_label(staff, order)
    labels._cancel_locked(label_of(ret), actor=staff, ret=ret)
    in_store = create(staff, order, 1, delivery_option="in_store", start_status="approved")
    client = logged_in(customer_user)
    # when
    codes = [client.get(url).status_code for r in (ret, in_store) for url in qr_urls(r)]
    # then
    assert codes == [404, 404, 404, 404]
