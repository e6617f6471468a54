"""The back-office pages: reasons and actions are editable; a return is read-mostly and its
status changes only through the admin actions, which call the services row by row."""

import pytest

from returns.models import Return, ReturnEvent, ReturnReason, ReturnStatus
from returns.services import return_cancel
from tests.factories import StaffFactory
from tests.fixtures.web import messages_of
from tests.returns.helpers import grant, request

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/returns/return/"


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def test_reasons_and_actions_are_listed_and_editable(client, reasons, actions):
    # given
    client.force_login(StaffFactory(is_superuser=True))
    defective = reasons["defective"]
    # when
    listed = client.get("/admin/returns/returnreason/")
    saved = client.post(
        f"/admin/returns/returnreason/{defective.pk}/change/",
        {
            "name_fr": "Article défectueux",
            "name_en": "Faulty item",
            "code": "defective",
            "active": "on",
            "position": "5",
            "needs_detail": "on",
        },
    )
    # then
    assert listed.status_code == 200
    assert client.get("/admin/returns/returnaction/").status_code == 200
    assert saved.status_code == 302
    defective.refresh_from_db()
    assert (defective.name_en, defective.needs_detail, defective.restock_by_default) == (
        "Faulty item",
        True,
        False,
    )


def test_return_page_shows_lines_and_events_without_a_status_field(admin_client, order):
    ret = request(order, 2)
    page = admin_client.get(f"{CHANGELIST}{ret.pk}/change/")
    content = page.content.decode()
    assert page.status_code == 200
    assert ret.rma_number in content
    assert 'name="status"' not in content
    assert "Returned items" in content
    assert "Timeline" in content


def test_posting_a_status_to_the_return_page_changes_nothing_but_the_note(
    admin_client, staff, order
):
    # given
    ret = request(order, 1)
    # when: the status field is ignored; the staff note is saved through return_update
    response = admin_client.post(
        f"{CHANGELIST}{ret.pk}/change/",
        {"seen_status": "requested", "status": "completed", "staff_note": "Called the customer"},
    )
    # then
    assert response.status_code == 302
    ret.refresh_from_db()
    assert (ret.status, ret.staff_note) == (ReturnStatus.REQUESTED, "Called the customer")
    note = ret.events.get(kind=ReturnEvent.Kind.NOTE)
    assert (note.text, note.actor, note.visible_to_customer) == (
        "Staff note: Called the customer",
        staff,
        False,
    )


def test_returns_are_neither_added_nor_deleted_in_the_admin(admin_client, order):
    ret = request(order, 1)
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}{ret.pk}/delete/").status_code == 403


def test_approve_action_reports_each_row(admin_client, staff, order, notifications):
    # given
    waiting = request(order, 1)
    cancelled = return_cancel(actor=staff, ret=request(order, 1))
    # when
    response = admin_client.post(
        CHANGELIST, {"action": "approve_selected", "_selected_action": [waiting.pk, cancelled.pk]}
    )
    # then
    assert response.status_code == 302
    assert Return.objects.get(pk=waiting.pk).status == ReturnStatus.APPROVED
    assert Return.objects.get(pk=cancelled.pk).status == ReturnStatus.CANCELLED
    assert sorted(messages_of(response)) == sorted(
        [
            ("success", f"{waiting.rma_number}: approved."),
            (
                "error",
                f"{cancelled.rma_number}: Only a requested return can be approved; this one "
                "is cancelled.",
            ),
        ]
    )
    assert ReturnEvent.objects.filter(ret=cancelled).count() == 2


def test_reject_action_asks_for_the_reason_then_rejects(admin_client, order, notifications):
    # given
    ret = request(order, 1)
    selection = {"action": "reject_selected", "_selected_action": [ret.pk]}
    # when
    form_page = admin_client.post(CHANGELIST, selection)
    without_reason = admin_client.post(CHANGELIST, {**selection, "apply": "1", "reason": ""})
    applied = admin_client.post(CHANGELIST, {**selection, "apply": "1", "reason": "Worn item"})
    # then
    assert form_page.status_code == 200
    assert 'name="reason"' in form_page.content.decode()
    assert without_reason.status_code == 200
    assert applied.status_code == 302
    ret.refresh_from_db()
    assert (ret.status, ret.rejection_reason) == (ReturnStatus.REJECTED, "Worn item")


def test_actions_need_their_permission(client, order):
    # given: staff who may only look at returns
    viewer = grant(StaffFactory(), "view_return")
    client.force_login(viewer)
    ret = request(order, 1)
    # when
    page = client.get(CHANGELIST)
    forced = client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [ret.pk]})
    # then
    assert page.status_code == 200
    assert page.context["action_form"] is None or "approve_selected" not in dict(
        page.context["action_form"].fields["action"].choices
    )
    assert forced.status_code in (200, 302)
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.REQUESTED


def test_reason_defaults_come_from_the_data_migration(db):
    reasons = {r.code: r for r in ReturnReason.objects.all()}
    assert {
        "defective",
        "wrong-size",
        "not-as-described",
        "changed-mind",
        "arrived-late",
        "other",
    } <= set(reasons)
    assert reasons["defective"].restock_by_default is False
    assert reasons["other"].needs_detail is True
    assert reasons["wrong-size"].restock_by_default is True
