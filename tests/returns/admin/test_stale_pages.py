"""A page acted on after someone else changed the return: every return service takes the status
the page showed (`expected_status`) and refuses when the return is no longer in it, with the
translated message, changing nothing (no event, no email row, the status as it was)."""

import pytest
from django.utils import translation

from notifications.models import Notification
from returns import services
from returns.errors import ReturnError, StaleReturnError
from returns.models import Return, ReturnLabel, ReturnStatus
from returns.services import labels as label_services
from returns.services.inspection import return_receive_for_inspection
from tests.factories import superuser
from tests.fixtures.web import messages_of
from tests.returns.admin.helpers import make_return, page_url
from tests.returns.helpers import snapshot

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/returns/return/"


def nothing_changed_since(ret: Return):
    """What a refused action must leave as it was, emails and labels included."""
    return {
        **snapshot(ret),
        "emails": list(Notification.objects.values_list("id", "status")),
        "labels": list(ReturnLabel.objects.filter(ret=ret).values_list("id", "status")),
    }


def stale_message(ret: Return, status: str) -> str:
    return (
        f"Return {ret.rma_number} was changed by someone else meanwhile: it is now {status}. "
        "Reload the page and check it again."
    )


# (the status the page showed, what someone else did meanwhile, the status it left, the action
# taken on the stale page). Each action would run from the status it left, or changes nothing
# else that shows: only the status the page showed refuses it.
STALE_ACTIONS = {
    "approve": (
        ReturnStatus.REQUESTED,
        lambda ret, actor: services.return_cancel(actor=actor, ret=ret),
        "cancelled",
        lambda ret, actor, seen: services.return_approve(
            actor=actor, ret=ret, expected_status=seen
        ),
    ),
    "reject": (
        ReturnStatus.REQUESTED,
        lambda ret, actor: services.return_approve(actor=actor, ret=ret),
        "approved",
        lambda ret, actor, seen: services.return_reject(
            actor=actor, ret=ret, reason="Worn", expected_status=seen
        ),
    ),
    "cancel": (
        ReturnStatus.REQUESTED,
        lambda ret, actor: services.return_approve(actor=actor, ret=ret),
        "approved",
        lambda ret, actor, seen: services.return_cancel(actor=actor, ret=ret, expected_status=seen),
    ),
    "mark in transit": (
        ReturnStatus.APPROVED,
        lambda ret, actor: services.return_expire(actor=actor, ret=ret),
        "expired",
        lambda ret, actor, seen: services.return_mark_in_transit(
            actor=actor, ret=ret, expected_status=seen
        ),
    ),
    "receive": (
        ReturnStatus.APPROVED,
        lambda ret, actor: services.return_mark_in_transit(actor=actor, ret=ret),
        "in transit",
        lambda ret, actor, seen: services.return_receive(
            actor=actor, ret=ret, expected_status=seen
        ),
    ),
    "complete": (
        ReturnStatus.RECEIVED,
        lambda ret, actor: services.return_reject(actor=actor, ret=ret, reason="Worn"),
        "rejected",
        lambda ret, actor, seen: services.return_complete(
            actor=actor, ret=ret, expected_status=seen
        ),
    ),
    "expire": (
        ReturnStatus.APPROVED,
        lambda ret, actor: services.return_mark_in_transit(actor=actor, ret=ret),
        "in transit",
        lambda ret, actor, seen: services.return_expire(actor=actor, ret=ret, expected_status=seen),
    ),
    "inspect": (
        ReturnStatus.IN_TRANSIT,
        lambda ret, actor: return_receive_for_inspection(ret=ret),
        "received",
        lambda ret, actor, seen: services.return_inspect(
            actor=actor, ret=ret, expected_status=seen
        ),
    ),
    "save the edits": (
        ReturnStatus.REQUESTED,
        lambda ret, actor: services.return_approve(actor=actor, ret=ret),
        "approved",
        lambda ret, actor, seen: services.return_update(
            actor=actor, ret=ret, staff_note="Called the customer", expected_status=seen
        ),
    ),
    "add a note": (
        ReturnStatus.REQUESTED,
        lambda ret, actor: services.return_approve(actor=actor, ret=ret),
        "approved",
        lambda ret, actor, seen: services.return_add_note(
            actor=actor, ret=ret, note="Called the customer", expected_status=seen
        ),
    ),
    "cancel the label": (
        ReturnStatus.APPROVED,
        lambda ret, actor: services.return_mark_in_transit(actor=actor, ret=ret),
        "in transit",
        lambda ret, actor, seen: label_services.label_cancel(
            actor=actor, ret=ret, expected_status=seen
        ),
    ),
}


@pytest.mark.parametrize("action", list(STALE_ACTIONS))
def test_an_action_on_a_stale_page_is_refused_and_changes_nothing(order, action):
    # given: the page showed `seen`; someone else changed the return meanwhile
    seen, meanwhile, now, act = STALE_ACTIONS[action]
    actor = superuser()
    ret = make_return(order, 1, status=seen, delivery_option=Return.DeliveryOption.LABEL)
    page = Return.objects.get(pk=ret.pk)
    meanwhile(Return.objects.get(pk=ret.pk), superuser())
    before = nothing_changed_since(ret)
    # when
    with pytest.raises(StaleReturnError) as refused:
        act(page, actor, seen)
    # then
    assert refused.value.message == stale_message(ret, now)
    assert nothing_changed_since(ret) == before


def test_the_refusal_is_told_in_french_to_french_staff(order):
    # given
    ret = make_return(order, 1)
    services.return_cancel(actor=superuser(), ret=ret)
    before = nothing_changed_since(ret)
    # when
    with translation.override("fr"), pytest.raises(StaleReturnError) as refused:
        services.return_approve(actor=superuser(), ret=ret, expected_status="requested")
    # then
    assert refused.value.message == (
        f"Le retour {ret.rma_number} a été modifié entre-temps par quelqu'un d'autre\u00a0: il est "
        "maintenant annulé. Rechargez la page et vérifiez-le à nouveau."
    )
    assert nothing_changed_since(ret) == before


def test_the_status_the_page_showed_still_current_lets_the_action_run(order):
    # given
    ret = make_return(order, 1)
    emails = Notification.objects.count()
    # when
    approved = services.return_approve(actor=superuser(), ret=ret, expected_status="requested")
    # then
    assert Return.objects.get(pk=ret.pk).status == approved.status == ReturnStatus.APPROVED
    assert Notification.objects.count() == emails + 1


def test_without_a_status_seen_the_return_is_judged_on_its_own_status(order):
    # given: a copy read before the customer cancelled, from a surface that shows no status
    ret = make_return(order, 1)
    old_copy = Return.objects.get(pk=ret.pk)
    services.return_cancel(actor=superuser(), ret=ret)
    before = nothing_changed_since(ret)
    # when
    with pytest.raises(ReturnError) as refused:
        services.return_approve(actor=superuser(), ret=old_copy)
    # then: the transition's own refusal, not a stale page
    assert type(refused.value) is ReturnError
    assert (
        refused.value.message == "Only a requested return can be approved; this one is cancelled."
    )
    assert nothing_changed_since(ret) == before


# --- the surfaces pass the status they showed ---------------------------------------------------


def test_the_return_page_passes_the_status_it_showed_to_the_service(as_agent, order, monkeypatch):
    # given: someone approves the return after the page's own check (it is skipped here), so
    # only the service can tell; cancelling is offered from both statuses
    ret = make_return(order, 1)
    monkeypatch.setattr("returns.admin.pages.refuse_if_stale", lambda ret, status: None)
    services.return_approve(actor=superuser(), ret=ret)
    before = nothing_changed_since(ret)
    # when
    response = as_agent.post(
        page_url(ret), {"seen_status": "requested", "next_status": "cancelled"}
    )
    # then
    assert response.status_code == 302
    assert messages_of(response) == [("error", stale_message(ret, "approved"))]
    assert nothing_changed_since(ret) == before


def test_a_bulk_action_passes_the_status_it_read(admin_client, order, monkeypatch):
    # given
    ret = make_return(order, 1)
    calls = []
    monkeypatch.setattr(services, "return_approve", lambda **kwargs: calls.append(kwargs))
    # when
    admin_client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [ret.pk]})
    # then
    assert [(call["ret"].pk, call["expected_status"]) for call in calls] == [
        (ret.pk, ReturnStatus.REQUESTED)
    ]
