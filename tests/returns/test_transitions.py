"""One test per transition allowed, and per refusal (wrong status, missing permission, condition
false), each refusal checking that nothing changed: same status, no event, stock unchanged, no
notification."""

import uuid

import pytest

from returns.errors import ReturnError, ReturnPermissionError, StaleReturnError
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import (
    return_add_note,
    return_approve,
    return_cancel,
    return_complete,
    return_create,
    return_expire,
    return_mark_in_transit,
    return_receive,
    return_reject,
)
from tests.factories import CustomerFactory, UserFactory, VariantFactory
from tests.returns.helpers import (
    create,
    grant,
    line_inputs,
    request,
    return_in,
    snapshot,
    status_history,
)

pytestmark = pytest.mark.django_db


def assert_refused(call, ret, notifications, error=ReturnError, match=None):
    before = snapshot(ret)
    sent = len(notifications.calls)
    with pytest.raises(error, match=match) as info:
        call()
    assert snapshot(ret) == before
    assert len(notifications.calls) == sent
    return info.value


# --- creation --------------------------------------------------------------------------------


def test_request_creates_a_requested_return_with_its_creation_event(order, notifications):
    # given
    customer_user = order.customer.user
    # when
    ret = request(order, 2, 1, customer_comment="Too small")
    # then
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REQUESTED
    assert ret.channel == Return.Channel.PORTAL
    assert ret.created_by == customer_user
    assert ret.customer_comment == "Too small"
    assert list(ret.lines.values_list("quantity", flat=True)) == [2, 1]
    assert status_history(ret) == [("", "requested")]
    assert ret.events.get().actor == customer_user
    assert notifications.events == ["requested"]
    assert notifications.calls[0]["return_event"] == ret.events.get()


def test_staff_create_at_approved_writes_created_then_approved(staff, order, notifications):
    # when
    ret = create(staff, order, 1, start_status=ReturnStatus.APPROVED, staff_note="Phone call")
    # then
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.APPROVED
    assert ret.channel == Return.Channel.BACKOFFICE
    assert ret.staff_note == "Phone call"
    assert status_history(ret) == [("", "requested"), ("requested", "approved")]
    # sent back with a label: the approval email carries it
    assert notifications.events == ["approved_with_label"]


def test_staff_create_at_approved_needs_the_approve_permission(order, notifications):
    # given
    creator = grant(UserFactory(is_staff=True), "add_return")
    # when
    with pytest.raises(ReturnPermissionError):
        create(creator, order, 1, start_status=ReturnStatus.APPROVED)
    # then
    assert Return.objects.count() == 0
    assert ReturnEvent.objects.count() == 0
    assert notifications.calls == []


def test_staff_create_needs_the_add_permission(clerk, order, notifications):
    with pytest.raises(ReturnPermissionError):
        create(clerk, order, 1)
    assert Return.objects.count() == 0
    assert notifications.calls == []


@pytest.mark.parametrize("start", [ReturnStatus.RECEIVED, ReturnStatus.COMPLETED, "bogus"])
def test_staff_create_cannot_start_past_approved(staff, order, start, notifications):
    with pytest.raises(ReturnError, match="starts as requested or approved"):
        create(staff, order, 1, start_status=start)
    assert Return.objects.count() == 0
    assert notifications.calls == []


# --- approve ---------------------------------------------------------------------------------


def test_approve_moves_requested_to_approved(staff, order, actions, notifications):
    # given
    ret = request(order, 1)
    notifications.calls.clear()
    # when
    approved = return_approve(actor=staff, ret=ret, action=actions["refund"], note="OK")
    # then
    approved.refresh_from_db()
    assert approved.status == ReturnStatus.APPROVED
    assert approved.action == actions["refund"]
    event = approved.events.filter(kind=ReturnEvent.Kind.STATUS).latest("id")
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        "requested",
        "approved",
        staff,
        "OK",
    )
    # sent back with a label: the approval email carries it (returns/services/labels.py)
    assert notifications.events == ["approved_with_label"]
    assert notifications.calls[0]["return_event"] == event


def test_approve_refused_when_not_requested(staff, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order)
    assert_refused(
        lambda: return_approve(actor=staff, ret=ret),
        ret,
        notifications,
        match="Only a requested return can be approved; this one is approved",
    )


def test_approve_refused_without_permission(clerk, order, notifications):
    ret = request(order, 1)
    assert_refused(
        lambda: return_approve(actor=clerk, ret=ret),
        ret,
        notifications,
        error=ReturnPermissionError,
        match="not allowed to approve",
    )


def test_approve_refused_to_the_customer_and_to_the_system(order, notifications):
    ret = request(order, 1)
    assert_refused(
        lambda: return_approve(actor=order.customer.user, ret=ret),
        ret,
        notifications,
        error=ReturnPermissionError,
    )
    assert_refused(
        lambda: return_approve(actor=None, ret=ret), ret, notifications, error=ReturnPermissionError
    )


def test_approve_refused_with_an_inactive_action(staff, order, actions, notifications):
    ret = request(order, 1)
    actions["repair"].active = False
    actions["repair"].save()
    assert_refused(
        lambda: return_approve(actor=staff, ret=ret, action=actions["repair"]),
        ret,
        notifications,
        match="no longer in use",
    )


def test_approve_refused_on_a_stale_page(staff, order, notifications):
    # given: the customer cancels while staff still look at the requested return
    page = request(order, 1)
    return_cancel(actor=order.customer.user, ret=page)
    # when / then
    error = assert_refused(
        lambda: return_approve(actor=staff, ret=page, expected_status=page.status),
        page,
        notifications,
        error=StaleReturnError,
    )
    assert "changed by someone else" in str(error)
    assert "cancelled" in str(error)


# --- reject ----------------------------------------------------------------------------------


def test_reject_a_request_with_its_reason(staff, order, notifications):
    ret = request(order, 1)
    notifications.calls.clear()
    rejected = return_reject(actor=staff, ret=ret, reason="  Sales are final.  ")
    rejected.refresh_from_db()
    assert rejected.status == ReturnStatus.REJECTED
    assert rejected.rejection_reason == "Sales are final."
    assert status_history(rejected)[-1] == ("requested", "rejected")
    assert rejected.events.latest("id").note == "Sales are final."
    assert notifications.events == ["rejected"]


def test_reject_after_inspection(staff, order, notifications):
    ret = return_in(ReturnStatus.RECEIVED, staff, order)
    rejected = return_reject(actor=staff, ret=ret, reason="Worn, tags removed.")
    assert Return.objects.get(pk=rejected.pk).status == ReturnStatus.REJECTED
    assert status_history(rejected)[-1] == ("received", "rejected")


def test_reject_refused_without_a_reason(staff, order, notifications):
    ret = request(order, 1)
    assert_refused(
        lambda: return_reject(actor=staff, ret=ret, reason="   "),
        ret,
        notifications,
        match="Give the reason",
    )


def test_reject_refused_when_approved(staff, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order)
    assert_refused(
        lambda: return_reject(actor=staff, ret=ret, reason="No"),
        ret,
        notifications,
        match="this one is approved",
    )


def test_reject_refused_without_permission(clerk, order, notifications):
    ret = request(order, 1)
    assert_refused(
        lambda: return_reject(actor=clerk, ret=ret, reason="No"),
        ret,
        notifications,
        error=ReturnPermissionError,
    )


# --- cancel ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ReturnStatus.REQUESTED, ReturnStatus.APPROVED])
def test_customer_cancels_own_return_before_it_ships(staff, order, status, notifications):
    ret = return_in(status, staff, order)
    notifications.calls.clear()
    cancelled = return_cancel(actor=order.customer.user, ret=ret, note="Keeping it")
    assert Return.objects.get(pk=cancelled.pk).status == ReturnStatus.CANCELLED
    assert status_history(cancelled)[-1] == (status, "cancelled")
    assert cancelled.events.latest("id").actor == order.customer.user
    assert notifications.events == ["cancelled"]


def test_staff_with_permission_cancel(staff, order, notifications):
    ret = request(order, 1)
    cancelled = return_cancel(actor=staff, ret=ret)
    assert Return.objects.get(pk=cancelled.pk).status == ReturnStatus.CANCELLED


def test_cancel_refused_once_in_transit(staff, order, notifications):
    ret = return_in(ReturnStatus.IN_TRANSIT, staff, order)
    assert_refused(
        lambda: return_cancel(actor=order.customer.user, ret=ret),
        ret,
        notifications,
        match="can no longer be cancelled: it is in transit",
    )
    assert_refused(
        lambda: return_cancel(actor=staff, ret=ret),
        ret,
        notifications,
        match="can no longer be cancelled",
    )


def test_cancel_refused_to_another_customer_and_to_staff_without_permission(
    clerk, order, notifications
):
    ret = request(order, 1)
    stranger = UserFactory()
    CustomerFactory(user=stranger, email=stranger.email)
    for actor in (stranger, clerk, None):
        assert_refused(
            lambda actor=actor: return_cancel(actor=actor, ret=ret),
            ret,
            notifications,
            error=ReturnPermissionError,
        )


# --- mark in transit -------------------------------------------------------------------------


def test_mark_in_transit_tells_nobody(staff, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order)
    notifications.calls.clear()
    moving = return_mark_in_transit(actor=staff, ret=ret, note="Scanned")
    assert Return.objects.get(pk=moving.pk).status == ReturnStatus.IN_TRANSIT
    assert status_history(moving)[-1] == ("approved", "in_transit")
    assert notifications.calls == []


def test_mark_in_transit_by_the_system(staff, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order)
    moving = return_mark_in_transit(actor=None, ret=ret)
    assert moving.events.latest("id").actor is None
    assert Return.objects.get(pk=moving.pk).status == ReturnStatus.IN_TRANSIT


def test_mark_in_transit_refused_before_approval(staff, order, notifications):
    ret = request(order, 1)
    assert_refused(
        lambda: return_mark_in_transit(actor=staff, ret=ret),
        ret,
        notifications,
        match="Only an approved return can be marked in transit",
    )


def test_mark_in_transit_refused_without_permission(staff, clerk, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order)
    assert_refused(
        lambda: return_mark_in_transit(actor=clerk, ret=ret),
        ret,
        notifications,
        error=ReturnPermissionError,
    )


# --- receive ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT])
def test_receive_from_approved_or_in_transit(staff, order, status, notifications):
    ret = return_in(status, staff, order, 2, 1)
    notifications.calls.clear()
    received = return_receive(actor=staff, ret=ret)
    assert Return.objects.get(pk=received.pk).status == ReturnStatus.RECEIVED
    assert list(received.lines.values_list("received_quantity", flat=True)) == [2, 1]
    assert status_history(received)[-1] == (status, "received")
    assert notifications.events == ["received"]


def test_receive_refused_for_what_was_not_approved(staff, order, notifications):
    ret = request(order, 2)
    assert_refused(
        lambda: return_receive(actor=staff, ret=ret),
        ret,
        notifications,
        match="Only an approved or in-transit return can be received; this one is requested",
    )


def test_receive_refused_without_permission(staff, clerk, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order, 2)
    assert_refused(
        lambda: return_receive(actor=clerk, ret=ret),
        ret,
        notifications,
        error=ReturnPermissionError,
    )


@pytest.mark.parametrize("quantity", [3, -1, "2"])
def test_receive_refused_with_an_impossible_quantity(staff, order, quantity, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order, 2)
    line = ret.lines.get()
    assert_refused(
        lambda: return_receive(actor=staff, ret=ret, received={line.pk: (quantity, None)}),
        ret,
        notifications,
        match="must be between 0 and 2",
    )


def test_receive_refused_for_a_line_of_another_return(staff, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order, 1)
    other = return_in(ReturnStatus.APPROVED, staff, order, 1)
    foreign = other.lines.get()
    assert_refused(
        lambda: return_receive(actor=staff, ret=ret, received={foreign.pk: (1, None)}),
        ret,
        notifications,
        match="has no line",
    )


# --- complete --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "notice"),
    [("money_back", "refunded"), ("store_credit", "credited"), ("exchange", "exchanged")],
)
def test_complete_tells_how_it_was_settled(staff, order, mode, notice, notifications):
    # an exchange names its item: another size, at the price paid (nothing to settle)
    product = order.lines.order_by("id").first().variant.product
    item = {"exchange_variant": VariantFactory(product=product)} if mode == "exchange" else {}
    ret = return_in(ReturnStatus.RECEIVED, staff, order, 1, refund_mode=mode, **item)
    notifications.calls.clear()
    completed = return_complete(actor=staff, ret=ret)
    assert Return.objects.get(pk=completed.pk).status == ReturnStatus.COMPLETED
    assert status_history(completed)[-1] == ("received", "completed")
    assert notifications.events == [notice]


def test_complete_by_the_refunds_app_with_its_notice(staff, order, notifications):
    ret = return_in(ReturnStatus.RECEIVED, staff, order, 1)
    notifications.calls.clear()
    return_complete(actor=None, ret=ret, notification_event="credited", notify=True)
    assert notifications.events == ["credited"]


def test_complete_without_notifying(staff, order, notifications):
    ret = return_in(ReturnStatus.RECEIVED, staff, order, 1)
    notifications.calls.clear()
    return_complete(actor=staff, ret=ret, notify=False)
    assert notifications.calls == []


def test_complete_refused_before_receipt(staff, order, notifications):
    ret = return_in(ReturnStatus.IN_TRANSIT, staff, order)
    assert_refused(
        lambda: return_complete(actor=staff, ret=ret),
        ret,
        notifications,
        match="Only a received return can be completed; this one is in transit",
    )


def test_complete_refused_without_permission(staff, clerk, order, notifications):
    ret = return_in(ReturnStatus.RECEIVED, staff, order)
    assert_refused(
        lambda: return_complete(actor=clerk, ret=ret),
        ret,
        notifications,
        error=ReturnPermissionError,
    )


# --- expire ----------------------------------------------------------------------------------


def test_expire_by_the_system(staff, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order)
    notifications.calls.clear()
    expired = return_expire(actor=None, ret=ret, note="Not sent within 14 days")
    assert Return.objects.get(pk=expired.pk).status == ReturnStatus.EXPIRED
    event = expired.events.latest("id")
    assert (event.from_status, event.to_status, event.actor) == ("approved", "expired", None)
    assert notifications.events == ["expired"]


def test_expire_refused_for_a_request(staff, order, notifications):
    ret = request(order, 1)
    assert_refused(
        lambda: return_expire(actor=None, ret=ret),
        ret,
        notifications,
        match="Only an approved return can expire",
    )


def test_expire_refused_without_permission(staff, clerk, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order)
    assert_refused(
        lambda: return_expire(actor=clerk, ret=ret), ret, notifications, error=ReturnPermissionError
    )


# --- final statuses --------------------------------------------------------------------------


@pytest.mark.parametrize("final", ["rejected", "cancelled", "expired", "completed"])
def test_final_statuses_accept_no_transition(staff, order, final, notifications):
    # given
    if final == "rejected":
        ret = return_reject(actor=staff, ret=request(order, 1), reason="No")
    elif final == "cancelled":
        ret = return_cancel(actor=staff, ret=request(order, 1))
    elif final == "expired":
        ret = return_expire(actor=staff, ret=return_in("approved", staff, order))
    else:
        ret = return_complete(actor=staff, ret=return_in("received", staff, order))
    calls = [
        lambda: return_approve(actor=staff, ret=ret),
        lambda: return_reject(actor=staff, ret=ret, reason="x"),
        lambda: return_cancel(actor=staff, ret=ret),
        lambda: return_mark_in_transit(actor=staff, ret=ret),
        lambda: return_receive(actor=staff, ret=ret),
        lambda: return_complete(actor=staff, ret=ret),
        lambda: return_expire(actor=staff, ret=ret),
    ]
    # when / then
    for call in calls:
        assert_refused(call, ret, notifications)


# --- notify flag and notes -------------------------------------------------------------------


def test_notify_flag_of_the_return_is_the_default(staff, order, notifications):
    ret = return_create(
        idempotency_key=uuid.uuid4().hex,
        actor=staff,
        order=order,
        lines=line_inputs(order, 1),
        refund_mode="money_back",
        delivery_option="label",
        notify_customer=False,
    )
    return_approve(actor=staff, ret=ret)
    assert notifications.calls == []


def test_notify_parameter_wins_over_the_return_flag(staff, order, notifications):
    ret = request(order, 1)
    notifications.calls.clear()
    return_approve(actor=staff, ret=ret, notify=False)
    assert notifications.calls == []


def test_staff_add_an_internal_note(staff, order, notifications):
    ret = request(order, 1)
    event = return_add_note(actor=staff, ret=ret, note="Called the customer")
    assert (event.kind, event.visible_to_customer, event.note, event.actor) == (
        ReturnEvent.Kind.NOTE,
        False,
        "Called the customer",
        staff,
    )
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.REQUESTED


def test_customer_cannot_add_internal_notes(order, notifications):
    ret = request(order, 1)
    with pytest.raises(ReturnPermissionError):
        return_add_note(actor=order.customer.user, ret=ret, note="hello")
    assert ret.events.count() == 1
