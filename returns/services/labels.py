"""Return labels bound to their return: created when a return shipped with a label is approved,
emailed again on request, cancelled while unused, and automatically when the return is
cancelled or expires. Each change writes a ReturnEvent in its transaction.

The carrier is called inside the transaction: if the transaction then rolls back, the carrier
may hold a label nobody will use. Carriers bill scanned parcels, not unused labels, and the
offline carrier books nothing, so this is accepted rather than made two-phase.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from notifications import services as notification_services
from returns.carriers import CarrierError, get_carrier
from returns.errors import ReturnError, ReturnPermissionError
from returns.locks import lock_live_label, lock_return
from returns.models import Return, ReturnEvent
from returns.models.labels import LabelStatus, ReturnLabel, ShippingMethod
from returns.policy import LABEL_PERMISSIONS, LabelAction, label_refusal
from returns.selectors.labels import live_label
from returns.services._common import record_event
from shop.models import User

logger = logging.getLogger(__name__)


def default_shipping_method() -> ShippingMethod | None:
    return ShippingMethod.objects.filter(active=True).order_by("position", "id").first()


# --- creating -----------------------------------------------------------------------------------


def create_label_locked(ret: Return, *, actor: User | None) -> tuple[ReturnLabel, ReturnEvent]:
    """Make the label of `ret`, which the caller holds locked in its transaction (the approval).

    Refuses (ReturnError) a return dropped in store, one not approved, one with a live label,
    and a carrier's refusal.
    """
    _refuse_unless_allowed(LabelAction.CREATE, ret, live_label(ret))
    method = ret.shipping_method or default_shipping_method()
    carrier = get_carrier(method.carrier if method else settings.RETURN_DEFAULT_CARRIER)
    try:
        result = carrier.create_label(ret, method=method)
    except CarrierError as exc:
        raise ReturnError(
            gettext("The carrier could not make the label: %(error)s") % {"error": exc}
        ) from exc
    label = ReturnLabel.objects.create(
        ret=ret,
        shipping_method=method,
        carrier=carrier.code,
        tracking_number=result.tracking_number,
        carrier_reference=result.carrier_reference,
        pdf=result.pdf,
        created_by=actor,
    )
    event = record_event(
        ret,
        kind=ReturnEvent.Kind.LABEL,
        actor=actor,
        visible_to_customer=True,
        code="label.created",
        params={"carrier": carrier.name, "number": label.tracking_number},
    )
    return label, event


def label_create(
    *, actor: User | None, ret: Return, expected_status: str | None = None
) -> ReturnLabel:
    """Staff issue a new label for an approved return (e.g. after cancelling one), and the
    customer is emailed it. The approval makes the first label itself (return_approve)."""
    if actor is None or not actor.has_perm(LABEL_PERMISSIONS[LabelAction.CREATE]):
        raise ReturnPermissionError(gettext("You are not allowed to issue return labels."))
    with transaction.atomic():
        locked = lock_return(ret.pk, expected_status=expected_status)
        label, event = create_label_locked(locked, actor=actor)
        notification_services.notification_enqueue(
            ret=locked, event="label_resent", return_event=event, actor=actor
        )
    return label


# --- sending again ------------------------------------------------------------------------------


def label_resend(
    *, actor: User | None, ret: Return, expected_status: str | None = None
) -> ReturnLabel:
    """Email the customer the same label again (no new label, no new tracking number)."""
    if actor is None or not actor.has_perm(LABEL_PERMISSIONS[LabelAction.RESEND]):
        raise ReturnPermissionError(gettext("You are not allowed to send return labels again."))
    with transaction.atomic():
        locked = lock_return(ret.pk, expected_status=expected_status)
        label = live_label(locked)
        _refuse_unless_allowed(LabelAction.RESEND, locked, label)
        assert label is not None  # the policy refuses to resend without a live label
        event = record_event(
            locked,
            kind=ReturnEvent.Kind.LABEL,
            actor=actor,
            visible_to_customer=True,
            code="label.resent",
            params={"number": label.tracking_number},
        )
        # Asked for explicitly: sent whatever the return's notification choice.
        notification_services.notification_enqueue(
            ret=locked, event="label_resent", return_event=event, actor=actor
        )
    return label


# --- cancelling ---------------------------------------------------------------------------------


def _cancel_locked(
    label: ReturnLabel, *, actor: User | None, ret: Return, note: str = ""
) -> ReturnEvent:
    """Cancel `label` with its carrier; the caller made sure the carrier reported nothing yet."""
    try:
        get_carrier(label.carrier).cancel_label(label)
    except CarrierError as exc:
        raise ReturnError(
            gettext("The carrier refused to cancel the label: %(error)s") % {"error": exc}
        ) from exc
    label.status = LabelStatus.CANCELLED
    label.cancelled_at = timezone.now()
    label.save(update_fields=["status", "cancelled_at"])
    return record_event(
        ret,
        kind=ReturnEvent.Kind.LABEL,
        actor=actor,
        visible_to_customer=True,
        code="label.cancelled",
        params={"number": label.tracking_number},
        note=note.strip(),
    )


def label_cancel(
    *, actor: User | None, ret: Return, note: str = "", expected_status: str | None = None
) -> ReturnLabel:
    """Staff cancel the return's label while the carrier has reported nothing about it."""
    if actor is None or not actor.has_perm(LABEL_PERMISSIONS[LabelAction.CANCEL]):
        raise ReturnPermissionError(gettext("You are not allowed to cancel return labels."))
    with transaction.atomic():
        locked = lock_return(ret.pk, expected_status=expected_status)
        label = lock_live_label(locked.pk)
        _refuse_unless_allowed(LabelAction.CANCEL, locked, label)
        assert label is not None  # the policy refuses to cancel without a live label
        _cancel_locked(label, actor=actor, ret=locked, note=note)
    return label


def cancel_label_of_closed_return(ret: Return, *, actor: User | None) -> ReturnLabel | None:
    """The return was just cancelled or expired (the caller's transaction, the return locked):
    its live label goes too. A label the carrier already reported is kept, with a note for
    staff, since the parcel may be on its way."""
    label = lock_live_label(ret.pk)
    if label is None:
        return None
    if label.is_used:
        record_event(
            ret,
            kind=ReturnEvent.Kind.LABEL,
            actor=actor,
            visible_to_customer=False,
            code="label.kept",
            params={"number": label.tracking_number, "status": label.parcel_status},
        )
        return None
    try:
        _cancel_locked(label, actor=actor, ret=ret)
    except ReturnError as exc:
        # A carrier refusing must not keep the return open: staff see it and follow up.
        logger.warning(
            "label %s of %s not cancelled: %s", label.tracking_number, ret.rma_number, exc
        )
        record_event(
            ret,
            kind=ReturnEvent.Kind.LABEL,
            actor=actor,
            visible_to_customer=False,
            code="label.cancel_refused",
            # the carrier's own words (the label is not used: that was checked above)
            params={"error": str(exc.__cause__ or exc)},
        )
        return None
    return label


def _refuse_unless_allowed(action: LabelAction, ret: Return, label: ReturnLabel | None) -> None:
    refusal = label_refusal(action, ret, label)
    if refusal is not None:
        raise ReturnError(refusal.message)
