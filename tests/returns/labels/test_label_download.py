"""Downloading the label: the customer from the portal, staff from the back-office; only a live
label downloads."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from returns.services import labels
from tests.factories import CustomerFactory, StaffFactory, UserFactory
from tests.fixtures.web import logged_in
from tests.returns.helpers import create
from tests.returns.labels.helpers import approved_with_label, label_of

pytestmark = pytest.mark.django_db


def test_the_customer_downloads_the_label_pdf(staff, order, customer_user):
    # given
    ret = approved_with_label(staff, order)
    # when
    response = logged_in(customer_user).get(reverse("return_label", args=[ret.rma_number]))
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="return-label-{ret.rma_number}.pdf"'
    )
    assert response.content == bytes(label_of(ret).pdf)


def test_another_customer_gets_a_404(staff, order):
    # given
    ret = approved_with_label(staff, order)
    stranger = UserFactory()
    CustomerFactory(user=stranger, email=stranger.email)
    # when
    response = logged_in(stranger).get(reverse("return_label", args=[ret.rma_number]))
    # then
    assert response.status_code == 404


def test_a_cancelled_label_or_no_label_is_a_404(staff, order, customer_user):
    # given
    ret = approved_with_label(staff, order)
    label = label_of(ret)
    labels._cancel_locked(label, actor=staff, ret=ret)
    in_store = create(staff, order, 1, delivery_option="in_store", start_status="approved")
    client = logged_in(customer_user)
    # when
    cancelled = client.get(reverse("return_label", args=[ret.rma_number]))
    none = client.get(reverse("return_label", args=[in_store.rma_number]))
    # then
    assert (cancelled.status_code, none.status_code) == (404, 404)


def test_a_visitor_is_sent_to_log_in(staff, order):
    # given
    ret = approved_with_label(staff, order)
    # when
    response = Client().get(reverse("return_label", args=[ret.rma_number]))
    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_download_a_live_label_from_the_back_office(staff, order):
    # given
    ret = approved_with_label(staff, order)
    label = label_of(ret)
    reader = StaffFactory()
    reader.user_permissions.add(Permission.objects.get(codename="view_returnlabel"))
    url = reverse("admin:returns_returnlabel_pdf", args=[label.pk])
    # when
    response = logged_in(reader).get(url)
    clerk_response = logged_in(StaffFactory()).get(url)
    labels._cancel_locked(label, actor=staff, ret=ret)
    after_cancel = logged_in(reader).get(url)
    # then
    assert response.status_code == 200
    assert response.content == bytes(label.pdf)
    assert clerk_response.status_code == 403
    assert after_cancel.status_code == 404


def test_the_return_page_links_the_label_and_tells_the_parcel_status(staff, order, customer_user):
    # given
    ret = approved_with_label(staff, order)
    # when
    page = logged_in(customer_user).get(reverse("return_detail", args=[ret.rma_number]))
    # then
    html = page.content.decode()
    assert f'href="{reverse("return_label", args=[ret.rma_number])}"' in html
    assert label_of(ret).tracking_number in html
    assert page.context["parcel"].summary == "label created, parcel not scanned yet"


def test_a_return_dropped_in_store_reads_no_label(staff, order, customer_user):
    # given
    ret = create(staff, order, 1, delivery_option="in_store", start_status="approved")
    # when
    page = logged_in(customer_user).get(reverse("return_detail", args=[ret.rma_number]))
    # then
    assert page.context["parcel"].summary == "no label"
    html = page.content.decode()
    assert '<dd class="delivery-status" data-state="in_store">No label</dd>' in html
    assert reverse("return_label", args=[ret.rma_number]) not in page.content.decode()
