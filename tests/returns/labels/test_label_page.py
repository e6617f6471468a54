"""A label's back-office page: the carrier's name, the tracking number linked to the carrier's
page, status, events and the buttons the return's page offers; reached from the overview's
tracking number and the return's page."""

import pytest
from django.test import override_settings
from django.urls import reverse

from returns.carriers import CarrierError
from returns.carriers.offline import OfflineCarrier
from returns.services import return_approve
from tests.factories import StaffFactory
from tests.fixtures.web import logged_in
from tests.returns.helpers import grant, request
from tests.returns.labels.helpers import approved_with_label, label_of, scan

pytestmark = pytest.mark.django_db

TRACKED = {
    "offline": {
        "BACKEND": "returns.carriers.offline.OfflineCarrier",
        "OPTIONS": {"tracking_url": "https://track.example.com/parcels/{number}"},
    }
}
# the session, the user, their permissions (2), the label with its return, order and customer,
# its tracking events, its return's label events; the shop's settings (the site's header) come
# from the per-process memo (shop.memo.page_settings)
LABEL_PAGE_QUERIES = 7


@pytest.fixture
def agent(staff):
    return grant(staff, "resend_label", "cancel_label", "view_returnlabel")


def label_page(label) -> str:
    return reverse("admin:returns_returnlabel_change", args=[label.pk])


@override_settings(RETURN_CARRIERS=TRACKED)
def test_the_label_page_shows_the_carrier_tracking_link_events_and_buttons(
    agent, order, django_assert_num_queries
):
    # given
    ret = approved_with_label(agent, order)
    label = label_of(ret)
    scan(label, "in_transit", location="Lyon hub")
    client = logged_in(agent)
    client.get(label_page(label))  # the session and content types are cached
    # when
    with django_assert_num_queries(LABEL_PAGE_QUERIES):
        response = client.get(label_page(label))
    # then
    page = response.text
    assert response.status_code == 200
    assert f'<dd id="label-carrier">{OfflineCarrier.name}' in page
    assert f'href="https://track.example.com/parcels/{label.tracking_number}"' in page
    assert "Lyon hub" in page
    assert f"Return label created: Offline Post, tracking number {label.tracking_number}." in page
    assert reverse("admin:returns_returnlabel_pdf", args=[label.pk]) in page
    assert 'id="label-resend"' not in page  # on its way: the label has done its work
    assert 'id="label-cancel"' not in page  # the carrier reported it: kept
    assert "can no longer be cancelled" in page


def test_the_label_page_offers_each_button_only_with_its_permission(agent, order):
    # given
    ret = approved_with_label(agent, order)
    label = label_of(ret)
    reader = grant(StaffFactory(), "view_returnlabel")
    # when
    agents_page = logged_in(agent).get(label_page(label)).text
    readers_page = logged_in(reader).get(label_page(label)).text
    outsider = logged_in(StaffFactory()).get(label_page(label))
    # then
    assert 'id="label-resend"' in agents_page
    assert 'id="label-cancel"' in agents_page
    assert 'id="label-download"' in readers_page
    assert 'id="label-resend"' not in readers_page
    assert 'id="label-cancel"' not in readers_page
    assert outsider.status_code == 403


def test_cancelling_from_the_label_page_comes_back_to_it(agent, order):
    # given
    ret = approved_with_label(agent, order)
    label = label_of(ret)
    # when
    response = logged_in(agent).post(
        reverse("admin:returns_return_label_cancel", args=[ret.pk]),
        {"seen_status": "approved", "back_to_label": str(label.pk)},
    )
    # then
    label.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == label_page(label)
    assert label.status == "cancelled"


def test_a_carrier_without_a_tracking_page_shows_the_number_unlinked(agent, order):
    # given
    label = label_of(approved_with_label(agent, order))
    # when
    page = logged_in(agent).get(label_page(label)).text
    # then
    assert "the carrier has no public tracking page" in page


def test_the_overview_and_the_return_page_link_the_tracking_number_to_the_label(agent, order):
    # given
    ret = approved_with_label(agent, order)
    label = label_of(ret)
    grant(agent, "view_return")
    client = logged_in(agent)
    link = f'href="{label_page(label)}"'
    # when
    overview = client.get(reverse("admin:returns_return_changelist")).text
    return_page = client.get(reverse("admin:returns_return_change", args=[ret.pk])).text
    # then
    assert f'<a class="tracking-link" {link}>{label.tracking_number}</a>' in overview
    assert link in return_page


def test_the_return_page_offers_the_retry_after_a_failed_label(agent, order, monkeypatch):
    # given
    ret = request(order, 1)
    with monkeypatch.context() as patch:

        def down(self, ret, *, method=None):
            raise CarrierError("timeout")

        patch.setattr(OfflineCarrier, "create_label", down)
        return_approve(actor=agent, ret=ret)
    # when
    page = logged_in(agent).get(reverse("admin:returns_return_change", args=[ret.pk])).text
    # then
    assert "The carrier could not make the label: timeout" in page
    assert "Retry the label" in page
