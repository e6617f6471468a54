"""What is said about the parcel follows its label's real state, on the back-office's parcel panel
and in the portal alike (returns.selectors.labels.parcel_statement): made, cancelled, failed,
in transit, being made, dropped in store."""

import pytest
from django.db import transaction
from django.urls import reverse

from returns.selectors.labels import ParcelState, read_parcel_statement
from returns.services import labels, return_approve
from tests.fixtures.web import logged_in
from tests.returns.helpers import grant, request
from tests.returns.labels.helpers import approved_with_label, label_of, scan
from tests.returns.labels.test_label_lifecycle import carrier_down

pytestmark = pytest.mark.django_db

NOT_SCANNED = "label created, parcel not scanned yet"
PROMISE = "your prepaid return label is being made and will appear on this page"


@pytest.fixture
def label_staff(staff):
    return grant(staff, "resend_label", "cancel_label", "view_returnlabel")


def backoffice_panel(staff, ret) -> str:
    """The parcel panel of the return's back-office page (its "Delivery status" card)."""
    page = logged_in(staff).get(reverse("admin:returns_return_change", args=[ret.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    return html[html.index('id="delivery-status"') : html.index('id="label-actions"')]


def label_page_parcel(staff, ret) -> str:
    """The "Parcel" row of the back-office's page of the return's (latest) label."""
    url = reverse("admin:returns_returnlabel_change", args=[label_of(ret).pk])
    html = logged_in(staff).get(url).content.decode()
    return html[html.index('id="label-parcel"') :].split("</dd>")[0]


def portal_page(ret) -> str:
    page = logged_in(ret.order.customer.user).get(f"/returns/{ret.rma_number}/")
    assert page.status_code == 200
    return page.content.decode()


def test_a_label_made_and_not_scanned(label_staff, order):
    # given
    ret = approved_with_label(label_staff, order)
    # when
    statement = read_parcel_statement(ret)
    panel, portal = backoffice_panel(label_staff, ret), portal_page(ret)
    # then
    assert (statement.state, statement.label) == (ParcelState.NOT_SCANNED, label_of(ret))
    assert f'data-state="not_scanned"><span class="badge badge-not_scanned">{NOT_SCANNED}' in panel
    assert 'id="label-download"' in portal
    assert "Label created, parcel not scanned yet" in portal
    assert PROMISE not in portal
    assert label_page_parcel(label_staff, ret) == (
        'id="label-parcel" data-state="not_scanned">Label created, parcel not scanned yet'
    )


def test_a_cancelled_label_is_said_cancelled_and_no_label_is_promised(label_staff, order):
    # given
    ret = approved_with_label(label_staff, order)
    labels.label_cancel(actor=label_staff, ret=ret, note="Customer will drop it.")
    # when
    statement = read_parcel_statement(ret)
    panel, portal = backoffice_panel(label_staff, ret), portal_page(ret)
    # then: no "not scanned yet", no download, no label promised by email
    assert statement.state == ParcelState.LABEL_CANCELLED
    assert statement.summary == "label cancelled"
    assert NOT_SCANNED not in panel
    assert (
        'data-state="label_cancelled"><span class="badge badge-label_cancelled">label cancelled'
        in (panel)
    )
    assert 'id="label-download"' not in portal
    assert PROMISE not in portal
    assert "we email you" not in portal.replace("If a new label is made, we email it", "")
    assert 'id="label-cancelled"' in portal
    assert 'data-state="label_cancelled">Label cancelled</dd>' in portal
    assert label_page_parcel(label_staff, ret) == (
        'id="label-parcel" data-state="label_cancelled">Label cancelled'
    )


def test_a_label_the_carrier_could_not_make(staff, order, monkeypatch):
    # given
    carrier_down(monkeypatch)
    ret = return_approve(actor=staff, ret=request(order, 1))
    # when
    statement = read_parcel_statement(ret)
    panel, portal = backoffice_panel(staff, ret), portal_page(ret)
    # then
    assert (statement.state, statement.label) == (ParcelState.LABEL_FAILED, None)
    assert "the carrier could not make the label" in panel
    assert NOT_SCANNED not in panel
    assert 'id="label-not-ready"' in portal
    assert PROMISE not in portal
    assert 'id="label-download"' not in portal


def test_a_parcel_in_transit(label_staff, order):
    # given
    ret = approved_with_label(label_staff, order)
    scan(label_of(ret), "in_transit")
    ret.refresh_from_db()
    # when
    statement = read_parcel_statement(ret)
    panel, portal = backoffice_panel(label_staff, ret), portal_page(ret)
    # then
    assert (ret.status, statement.state, statement.summary) == (
        "in_transit",
        ParcelState.SCANNED,
        "in transit",
    )
    assert '<span class="badge badge-in_transit">in transit</span>' in panel
    assert NOT_SCANNED not in panel
    assert 'data-state="scanned">In transit</dd>' in portal


def test_a_label_still_being_made(staff, order):
    # given: approved, the carrier asked only once the approval commits
    with transaction.atomic():
        ret = return_approve(actor=staff, ret=request(order, 1))
        # when: read before the commit
        statement = read_parcel_statement(ret)
        portal = portal_page(ret)
    # then
    assert (statement.state, statement.summary) == (ParcelState.LABEL_PENDING, "label being made")
    assert PROMISE in portal
    assert "We also email it to you." in portal
    assert 'data-state="label_pending">Label being made</dd>' in portal


def test_a_requested_return_says_the_label_comes_with_the_approval(staff, order):
    # given
    ret = request(order, 1)
    # when
    statement = read_parcel_statement(ret)
    panel = backoffice_panel(staff, ret)
    # then
    assert statement.state == ParcelState.ON_APPROVAL
    assert "No label yet: it is made when the return is approved." in panel


def test_a_return_dropped_in_store_has_no_label_anywhere(staff, order):
    # given
    ret = return_approve(actor=staff, ret=request(order, 1, delivery_option="in_store"))
    # when
    statement = read_parcel_statement(ret)
    panel, portal = backoffice_panel(staff, ret), portal_page(ret)
    # then
    assert (statement.state, statement.summary) == (ParcelState.IN_STORE, "no label")
    assert "Dropped in store: no label, so no tracking." in panel
    assert PROMISE not in portal
    assert 'data-state="in_store">No label</dd>' in portal
