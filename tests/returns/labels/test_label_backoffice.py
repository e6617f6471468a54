"""The label buttons of a return's back-office page: download, email again, cancel, make a new
one; each shown to staff with its permission and checked again by its service."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from returns.models import ReturnLabel
from returns.services import return_cancel
from tests.factories import StaffFactory
from tests.fixtures.web import logged_in
from tests.returns.helpers import grant
from tests.returns.labels.helpers import approved_with_label, label_of, scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(staff):
    return grant(staff, "resend_label", "cancel_label", "view_returnlabel")


def page_of(client, ret) -> str:
    response = client.get(reverse("admin:returns_return_change", args=[ret.pk]))
    assert response.status_code == 200
    return response.content.decode()


def messages_after(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_page_offers_the_label_buttons_to_staff_who_may_use_them(agent, order):
    # given
    ret = approved_with_label(agent, order)
    # when
    page = page_of(logged_in(agent), ret)
    # then
    assert reverse("admin:returns_returnlabel_pdf", args=[label_of(ret).pk]) in page
    assert 'id="label-resend"' in page
    assert 'id="label-cancel"' in page


def test_staff_without_the_permissions_see_no_label_buttons(agent, order):
    # given
    ret = approved_with_label(agent, order)
    reader = grant(StaffFactory(), "view_return")
    # when
    page = page_of(logged_in(reader), ret)
    # then
    assert 'id="label-resend"' not in page
    assert 'id="label-cancel"' not in page
    assert 'id="label-download"' not in page


def test_email_the_label_again(agent, order, notifications):
    # given
    ret = approved_with_label(agent, order)
    label = label_of(ret)
    notifications.calls.clear()
    # when
    response = logged_in(agent).post(reverse("admin:returns_return_label_resend", args=[ret.pk]))
    # then
    assert response.status_code == 302
    assert messages_after(response) == [
        f"Label {label.tracking_number} emailed to the customer again."
    ]
    assert ReturnLabel.objects.filter(ret=ret).count() == 1
    assert notifications.events == ["label_resent"]


def test_cancel_then_make_a_new_label(agent, order):
    # given
    ret = approved_with_label(agent, order)
    first = label_of(ret)
    client = logged_in(agent)
    # when
    cancelled = client.post(reverse("admin:returns_return_label_cancel", args=[ret.pk]))
    page = page_of(client, ret)
    created = client.post(reverse("admin:returns_return_label_create", args=[ret.pk]))
    # then
    assert messages_after(cancelled) == [f"Label {first.tracking_number} cancelled."]
    assert 'id="label-create"' in page
    new = ReturnLabel.objects.get(ret=ret, status="created")
    assert new.pk != first.pk
    assert messages_after(created) == [
        f"New label {new.tracking_number} made and emailed to the customer."
    ]


def test_a_scanned_label_cannot_be_cancelled_from_the_page(agent, order):
    # given
    ret = approved_with_label(agent, order)
    label = label_of(ret)
    scan(label, "announced")
    client = logged_in(agent)
    # when
    page = page_of(client, ret)
    response = client.post(reverse("admin:returns_return_label_cancel", args=[ret.pk]))
    # then
    refusal = (
        f"The carrier has already reported this parcel (announced): label "
        f"{label.tracking_number} can no longer be cancelled."
    )
    assert 'id="label-cancel"' not in page
    assert refusal in page  # the page says why with the words of the refusal
    assert messages_after(response) == [refusal]
    label.refresh_from_db()
    assert label.status == "created"


def test_a_post_without_the_permission_changes_nothing(agent, order, notifications):
    # given
    ret = approved_with_label(agent, order)
    clerk = grant(StaffFactory(), "view_return")
    events = ret.events.count()
    notifications.calls.clear()
    # when
    response = logged_in(clerk).post(reverse("admin:returns_return_label_cancel", args=[ret.pk]))
    # then
    assert messages_after(response) == ["You are not allowed to cancel return labels."]
    assert label_of(ret).status == "created"
    assert ret.events.count() == events
    assert notifications.calls == []


def test_a_label_button_of_a_page_shown_before_the_return_moved_on_is_refused(
    agent, order, notifications
):
    # given: the page shows an approved return; meanwhile the return is cancelled (its label
    # with it)
    ret = approved_with_label(agent, order)
    page = page_of(logged_in(agent), ret)
    cancelled = return_cancel(actor=agent, ret=ret)
    label = ReturnLabel.objects.get(ret=ret)
    notifications.calls.clear()
    # when: the button of the page is pressed
    response = logged_in(agent).post(
        reverse("admin:returns_return_label_create", args=[ret.pk]), {"seen_status": "approved"}
    )
    # then: refused as stale; no new label, no email
    # the status form's, and the resend and cancel buttons'
    assert page.count('name="seen_status" value="approved"') == 3
    assert messages_after(response) == [
        f"Return {ret.rma_number} was changed by someone else meanwhile: it is now cancelled. "
        "Reload the page and check it again."
    ]
    assert list(ReturnLabel.objects.filter(ret=ret)) == [label]
    assert cancelled.status == "cancelled"
    assert notifications.calls == []
