"""A label is bound to its return: asked after the approval commits (a carrier down leaves
the return approved, with a retry), emailed again as the same label, cancelled
only while unused, and with the return when it is cancelled or expires."""

import pytest
from django.utils import timezone

from returns import policy
from returns.carriers import CarrierError
from returns.carriers.offline import OfflineCarrier
from returns.errors import ReturnError, ReturnPermissionError
from returns.models import LabelAttempt, ReturnEvent, ReturnLabel, ReturnStatus
from returns.selectors import labels as label_reads
from returns.services import labels, return_approve, return_cancel, return_expire
from tests.factories import StaffFactory
from tests.returns.helpers import create, grant, request
from tests.returns.labels.helpers import approved_with_label, label_of, scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def label_staff(staff):
    return grant(staff, "resend_label", "cancel_label", "view_returnlabel")


def label_events(ret) -> list[str]:
    return [event.text for event in ret.events.filter(kind=ReturnEvent.Kind.LABEL).order_by("id")]


def test_approving_a_return_with_a_label_makes_the_label(staff, order, notifications):
    # given
    ret = request(order, 1)
    notifications.calls.clear()
    # when
    approved = return_approve(actor=staff, ret=ret)
    # then
    label = label_of(approved)
    assert (label.status, label.carrier, label.created_by) == ("created", "offline", staff)
    assert label_events(approved) == [
        f"Return label created: Offline Post, tracking number {label.tracking_number}."
    ]
    assert notifications.events == ["approved_with_label"]
    assert label_reads.delivery_status(approved) == "label created, parcel not scanned yet"


def test_a_return_dropped_in_store_has_no_label(staff, order, notifications):
    # given
    ret = request(order, 1, delivery_option="in_store")
    notifications.calls.clear()
    # when
    approved = return_approve(actor=staff, ret=ret)
    # then
    assert ReturnLabel.objects.filter(ret=approved).count() == 0
    assert notifications.events == ["approved"]
    assert label_reads.delivery_status(approved) == "no label"
    assert label_reads.downloadable_label(approved) is None


def carrier_down(monkeypatch, message="service unavailable"):
    calls = []

    def down(self, ret, *, method=None):
        calls.append(ret.pk)
        raise CarrierError(message)

    monkeypatch.setattr(OfflineCarrier, "create_label", down)
    return calls


def test_the_carrier_down_at_approval_leaves_the_return_approved_without_a_label_email(
    staff, order, monkeypatch, notifications
):
    # given
    ret = request(order, 1)
    notifications.calls.clear()
    carrier_down(monkeypatch)
    # when
    approved = return_approve(actor=staff, ret=ret)
    # then
    approved.refresh_from_db()
    assert approved.status == ReturnStatus.APPROVED
    assert ReturnLabel.objects.count() == 0
    assert notifications.events == ["approved"]  # the plain approval: no label promised
    attempt = LabelAttempt.objects.get(ret=approved)
    assert (attempt.status, attempt.error, attempt.label) == (
        "failed",
        "service unavailable",
        None,
    )
    assert label_events(approved) == [
        "The carrier (Offline Post) could not make the label: service unavailable"
    ]
    assert not approved.events.get(code="label.failed").visible_to_customer
    actions = policy.label_actions(approved, None, staff, attempt)
    assert (actions.create, actions.failure) == (True, "service unavailable")


def test_the_retry_once_the_carrier_is_back_makes_one_label_and_one_email(
    staff, order, monkeypatch, notifications
):
    # given
    ret = request(order, 1)
    with monkeypatch.context() as patch:
        carrier_down(patch)
        return_approve(actor=staff, ret=ret)
    notifications.calls.clear()
    # when
    label = labels.label_create(actor=staff, ret=ret, expected_status="approved")
    # then
    ret.refresh_from_db()
    assert list(ReturnLabel.objects.values_list("pk", flat=True)) == [label.pk]
    assert notifications.events == ["label_resent"]
    assert list(LabelAttempt.objects.order_by("id").values_list("status", "label")) == [
        ("failed", None),
        ("succeeded", label.pk),
    ]
    assert policy.label_actions(ret, label, staff, label_reads.latest_label_attempt(ret.pk)) == (
        policy.LabelActions(create=False, resend=False, cancel=False, download=False)
    )


def test_a_second_retry_click_makes_no_second_label(staff, order, monkeypatch, notifications):
    # given
    ret = request(order, 1)
    with monkeypatch.context() as patch:
        carrier_down(patch)
        return_approve(actor=staff, ret=ret)
    first = labels.label_create(actor=staff, ret=ret, expected_status="approved")
    notifications.calls.clear()
    # when
    with pytest.raises(ReturnError) as error:
        labels.label_create(actor=staff, ret=ret, expected_status="approved")
    # then
    assert "already has a label" in error.value.message
    assert list(ReturnLabel.objects.values_list("pk", flat=True)) == [first.pk]
    assert LabelAttempt.objects.count() == 2
    assert notifications.calls == []


def test_a_retry_while_a_request_is_at_the_carrier_asks_nothing(
    staff, order, monkeypatch, notifications
):
    # given: a request claimed, its carrier not answered yet
    ret = request(order, 1)
    with monkeypatch.context() as patch:
        carrier_down(patch)
        return_approve(actor=staff, ret=ret)
    LabelAttempt.objects.create(ret=ret, actor=staff)
    calls = carrier_down(monkeypatch, "must not be asked")
    notifications.calls.clear()
    # when
    with pytest.raises(ReturnError) as error:
        labels.label_create(actor=staff, ret=ret, expected_status="approved")
    # then
    assert error.value.message == f"The label of return {ret.rma_number} is being made right now."
    assert calls == []
    assert ReturnLabel.objects.count() == 0
    assert notifications.calls == []


def test_a_pending_request_older_than_the_limit_no_longer_stops_a_retry(
    staff, order, monkeypatch, notifications
):
    # given: a request whose process died at the carrier's
    ret = request(order, 1)
    with monkeypatch.context() as patch:
        carrier_down(patch)
        return_approve(actor=staff, ret=ret)
    dead = LabelAttempt.objects.create(
        ret=ret, started_at=timezone.now() - policy.LABEL_REQUEST_STALE_AFTER
    )
    # when
    label = labels.label_create(actor=staff, ret=ret, expected_status="approved")
    # then
    dead.refresh_from_db()
    assert (dead.status, dead.error) == ("failed", "No answer from the carrier: abandoned.")
    assert list(ReturnLabel.objects.values_list("pk", flat=True)) == [label.pk]


def test_a_failed_retry_says_the_carriers_words_and_keeps_the_retry(
    staff, order, monkeypatch, notifications
):
    # given
    ret = request(order, 1)
    carrier_down(monkeypatch, "503 from the carrier")
    return_approve(actor=staff, ret=ret)
    notifications.calls.clear()
    # when
    with pytest.raises(ReturnError) as error:
        labels.label_create(actor=staff, ret=ret, expected_status="approved")
    # then
    assert error.value.message == "The carrier could not make the label: 503 from the carrier"
    assert ReturnLabel.objects.count() == 0
    assert notifications.calls == []
    assert list(LabelAttempt.objects.values_list("status", flat=True)) == ["failed", "failed"]
    ret.refresh_from_db()
    assert policy.label_actions(ret, None, staff, label_reads.latest_label_attempt(ret.pk)).create


def test_resend_emails_the_same_label_again(label_staff, order, notifications):
    # given
    ret = approved_with_label(label_staff, order)
    label = label_of(ret)
    notifications.calls.clear()
    # when
    resent = labels.label_resend(actor=label_staff, ret=ret)
    # then
    assert resent.pk == label.pk
    assert list(ReturnLabel.objects.values_list("pk", "tracking_number")) == [
        (label.pk, label.tracking_number)
    ]
    assert label_events(ret)[-1] == (
        f"Return label emailed again (tracking number {label.tracking_number})."
    )
    assert notifications.events == ["label_resent"]
    assert notifications.calls[0]["return_event"] == ret.events.latest("id")


def test_resend_needs_its_permission(staff, order, notifications):
    # given
    ret = approved_with_label(staff, order)
    clerk = StaffFactory()
    events = ret.events.count()
    notifications.calls.clear()
    # when
    with pytest.raises(ReturnPermissionError):
        labels.label_resend(actor=clerk, ret=ret)
    # then
    assert ret.events.count() == events
    assert notifications.calls == []


def test_cancel_a_label_while_unused(label_staff, order):
    # given
    ret = approved_with_label(label_staff, order)
    label = label_of(ret)
    # when
    cancelled = labels.label_cancel(actor=label_staff, ret=ret, note="Customer will drop it.")
    # then
    label.refresh_from_db()
    assert cancelled.pk == label.pk
    assert label.status == "cancelled"
    assert label.cancelled_at is not None
    assert label_events(ret)[-1] == (
        f"Return label {label.tracking_number} cancelled.\nCustomer will drop it."
    )
    assert label_reads.downloadable_label(ret) is None
    assert label_reads.delivery_status(ret) == "label cancelled"
    assert ret.status == ReturnStatus.APPROVED


def test_cancel_is_refused_once_the_carrier_scanned_the_parcel(label_staff, order):
    # given: the carrier announced the parcel (the return stays approved)
    ret = approved_with_label(label_staff, order)
    label = label_of(ret)
    scan(label, "announced")
    events = list(ret.events.values_list("id", flat=True))
    # when
    with pytest.raises(ReturnError) as error:
        labels.label_cancel(actor=label_staff, ret=ret)
    # then
    assert error.value.message == (
        f"The carrier has already reported this parcel (announced): label "
        f"{label.tracking_number} can no longer be cancelled."
    )
    label.refresh_from_db()
    assert label.status == "created"
    assert list(ret.events.values_list("id", flat=True)) == events


def test_cancelling_the_return_cancels_its_label(order, staff, notifications):
    # given: the customer's approved return with its label
    ret = approve_requested(staff, order)
    label = label_of(ret)
    # when
    cancelled = return_cancel(actor=order.customer.user, ret=ret)
    # then
    label.refresh_from_db()
    assert cancelled.status == ReturnStatus.CANCELLED
    assert label.status == "cancelled"
    assert label_events(cancelled)[-1] == f"Return label {label.tracking_number} cancelled."
    assert notifications.events[-1] == "cancelled"


def test_expiring_the_return_cancels_its_label(staff, order):
    # given
    ret = approved_with_label(staff, order)
    label = label_of(ret)
    # when
    return_expire(actor=None, ret=ret, note="Not sent")
    # then
    label.refresh_from_db()
    assert label.status == "cancelled"
    assert label_reads.downloadable_label(ret) is None


def test_a_scanned_label_is_kept_when_the_return_is_cancelled(staff, order):
    # given: announced to the carrier, the return still approved
    ret = approved_with_label(staff, order)
    label = label_of(ret)
    scan(label, "announced")
    # when
    return_cancel(actor=staff, ret=ret)
    # then
    label.refresh_from_db()
    assert label.status == "created"
    staff_note = ret.events.filter(kind=ReturnEvent.Kind.LABEL, visible_to_customer=False)
    assert [event.text for event in staff_note] == [
        f"Label {label.tracking_number} kept: the carrier already reported the parcel (announced)."
    ]


def test_a_new_label_after_cancelling_one(label_staff, order, notifications):
    # given
    ret = approved_with_label(label_staff, order)
    first = label_of(ret)
    labels.label_cancel(actor=label_staff, ret=ret)
    notifications.calls.clear()
    # when
    second = labels.label_create(actor=label_staff, ret=ret)
    # then
    assert second.pk != first.pk
    assert second.tracking_number != first.tracking_number
    assert label_reads.live_label(ret).pk == second.pk
    assert notifications.events == ["label_resent"]
    with pytest.raises(ReturnError):
        labels.label_create(actor=label_staff, ret=ret)  # one live label per return


def approve_requested(staff, order):
    return return_approve(actor=staff, ret=request(order, 1))


def test_staff_create_approved_makes_the_label_too(staff, order, notifications):
    # when
    ret = create(staff, order, 1, start_status=ReturnStatus.APPROVED)
    # then
    assert label_of(ret).status == "created"
    assert notifications.events == ["approved_with_label"]
