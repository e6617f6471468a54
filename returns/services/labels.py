"""Return labels bound to their return: asked of the carrier once a return sent back with a
label is approved, emailed again on request, cancelled while unused, and automatically when the
return is cancelled or expires. Each change writes a ReturnEvent in its transaction.

The carrier is never called inside a database transaction. Making a label is three steps
(`issue_label`): claim a LabelAttempt under the return's lock (at most one pending per return,
a unique index: a double click or a second worker asks the carrier nothing), ask the carrier
with no transaction open, then record its answer under the return's lock again (the label row,
or the failed attempt with the carrier's words and a staff event). The approval only registers
the request to run after its commit (`label_after_commit`); its email waits for the answer:
with the label attached, or the plain approval when the carrier failed (no label promised),
and staff get a retry button (returns.policy.label_actions).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from notifications import services as notification_services
from returns.carriers import Carrier, CarrierError, LabelResult, get_carrier
from returns.errors import ReturnError, ReturnPermissionError
from returns.locks import lock_live_label, lock_return
from returns.models import Return, ReturnEvent
from returns.models.labels import (
    LabelAttempt,
    LabelAttemptStatus,
    LabelStatus,
    ReturnLabel,
    ShippingMethod,
)
from returns.policy import (
    LABEL_PERMISSIONS,
    LabelAction,
    label_refusal,
)
from returns.selectors.labels import latest_label_attempt, live_label
from returns.services._common import record_event, tell_customer
from shop.models import User

logger = logging.getLogger(__name__)


def default_shipping_method() -> ShippingMethod | None:
    return ShippingMethod.default()


# --- creating -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelOutcome:
    """What a label request ended with: the label and its event, or the carrier's words."""

    label: ReturnLabel | None = None
    event: ReturnEvent | None = None
    error: str = ""


def label_after_commit(
    ret: Return, *, actor: User | None, approval_event: ReturnEvent, notify: bool | None
) -> None:
    """Called in the approval's transaction: the label is asked once it commits, and the
    customer told of the approval then (with the label, or without when the carrier failed)."""
    transaction.on_commit(
        partial(
            label_after_approval,
            ret.pk,
            actor=actor,
            approval_event_id=approval_event.pk,
            notify=notify,
        )
    )


def label_after_approval(
    ret_id: int, *, actor: User | None, approval_event_id: int, notify: bool | None
) -> LabelOutcome | None:
    """The approval committed: ask the label, and email the approval with its answer. None
    when no label was asked (the return changed meanwhile, or another request is at it)."""

    def tell(locked: Return, outcome: LabelOutcome) -> None:
        approval = ReturnEvent.objects.get(pk=approval_event_id)
        # Without a label, the plain approval: it asks to write the RMA on the parcel.
        code = "approved_with_label" if outcome.label is not None else "approved"
        tell_customer(locked, code=code, event=approval, actor=actor, notify=notify)

    try:
        return issue_label(ret_id, actor=actor, then=tell)
    except ReturnError as exc:
        logger.info("no label asked for return %s after its approval: %s", ret_id, exc)
        return None


def issue_label(
    ret_id: int,
    *,
    actor: User | None,
    expected_status: str | None = None,
    then: Callable[[Return, LabelOutcome], None] | None = None,
) -> LabelOutcome:
    """Ask the carrier for the label of return `ret_id`, outside any transaction of ours.

    Refuses (ReturnError, nothing asked) what the policy refuses: a return dropped in store,
    not approved, with a live label, or with a request in flight. A carrier's failure is
    recorded and returned (`error`), never raised: the return stays approved.
    `then(locked, outcome)` runs in the transaction recording the answer (its email).
    """
    attempt = _claim(ret_id, actor=actor, expected_status=expected_status)
    ret = Return.objects.select_related("shipping_method", "order__customer").get(pk=ret_id)
    method = ret.shipping_method or default_shipping_method()
    carrier = get_carrier(method.carrier if method else settings.RETURN_DEFAULT_CARRIER)
    result = _ask_carrier(carrier, ret, method)
    return _record(attempt, carrier, method, result, actor=actor, then=then)


def _claim(ret_id: int, *, actor: User | None, expected_status: str | None) -> LabelAttempt:
    """The pending attempt of this request, made under the return's lock (refused as the
    policy says). A pending attempt older than the policy's limit died with its process."""
    try:
        with transaction.atomic():
            locked = lock_return(ret_id, expected_status=expected_status)
            live = lock_live_label(ret_id)
            latest = latest_label_attempt(ret_id)
            _refuse_unless_allowed(LabelAction.CREATE, locked, live, latest)
            if latest is not None and latest.is_pending:  # stale: not in flight any more
                _finish(latest, error=gettext("No answer from the carrier: abandoned."))
            return LabelAttempt.objects.create(ret=locked, actor=actor)
    except IntegrityError as exc:  # another request claimed it first (the unique index)
        raise ReturnError(gettext("The label of this return is being made right now.")) from exc


def _ask_carrier(carrier: Carrier, ret: Return, method: ShippingMethod | None) -> LabelResult | str:
    """The carrier's label, or its words when it failed (any failure: the return stays approved
    whatever broke at the carrier's)."""
    try:
        return carrier.create_label(ret, method=method)
    except CarrierError as exc:
        return str(exc) or exc.__class__.__name__
    except Exception as exc:  # a carrier's bug must not leave the request pending
        logger.exception("carrier %s failed on return %s", carrier.code, ret.rma_number)
        return f"{exc.__class__.__name__}: {exc}"


def _record(
    attempt: LabelAttempt,
    carrier: Carrier,
    method: ShippingMethod | None,
    result: LabelResult | str,
    *,
    actor: User | None,
    then: Callable[[Return, LabelOutcome], None] | None,
) -> LabelOutcome:
    """The carrier's answer, recorded under the return's lock: the label and its event, or the
    failed attempt and a staff event. A label that came back for a return changed meanwhile
    (cancelled, a label made otherwise) is not kept, and voided at the carrier after commit."""
    with transaction.atomic():
        locked = lock_return(attempt.ret_id)
        live = lock_live_label(attempt.ret_id)
        error = result if isinstance(result, str) else ""
        if not error:
            refusal = label_refusal(LabelAction.CREATE, locked, live)
            if refusal is not None:
                assert isinstance(result, LabelResult)
                _void_after_commit(carrier, result)
                error = refusal.message
        if error:
            _finish(attempt, error=error)
            record_event(
                locked,
                kind=ReturnEvent.Kind.LABEL,
                actor=actor,
                visible_to_customer=False,
                code="label.failed",
                params={"carrier": carrier.name, "error": error},
            )
            outcome = LabelOutcome(error=error)
            if then is not None:
                then(locked, outcome)
            return outcome
        assert isinstance(result, LabelResult)
        label = ReturnLabel.objects.create(
            ret=locked,
            shipping_method=method,
            carrier=carrier.code,
            tracking_number=result.tracking_number,
            carrier_reference=result.carrier_reference,
            pdf=result.pdf,
            created_by=actor,
        )
        _finish(attempt, label=label)
        event = record_event(
            locked,
            kind=ReturnEvent.Kind.LABEL,
            actor=actor,
            visible_to_customer=True,
            code="label.created",
            params={"carrier": carrier.name, "number": label.tracking_number},
        )
        outcome = LabelOutcome(label=label, event=event)
        if then is not None:
            then(locked, outcome)
    return outcome


def _finish(attempt: LabelAttempt, *, error: str = "", label: ReturnLabel | None = None) -> None:
    attempt.status = LabelAttemptStatus.FAILED if label is None else LabelAttemptStatus.SUCCEEDED
    attempt.error = error
    attempt.label = label
    attempt.finished_at = timezone.now()
    attempt.save(update_fields=["status", "error", "label", "finished_at"])


def _void_after_commit(carrier: Carrier, result: LabelResult) -> None:
    """A label made for nothing: void it at the carrier once we have recorded why."""

    def void() -> None:
        unsaved = ReturnLabel(
            carrier=carrier.code,
            tracking_number=result.tracking_number,
            carrier_reference=result.carrier_reference,
        )
        try:
            carrier.cancel_label(unsaved)
        except CarrierError as exc:
            logger.warning("label %s not voided: %s", result.tracking_number, exc)

    transaction.on_commit(void)


def label_create(
    *, actor: User | None, ret: Return, expected_status: str | None = None
) -> ReturnLabel:
    """Staff ask a label for an approved return without one (its first request failed, or
    they cancelled it), and the customer is emailed it. A second click while the first is at
    the carrier, or after it made the label, is refused: one label. The carrier's failure is
    recorded, then raised (ReturnError) with its words."""
    if actor is None or not actor.has_perm(LABEL_PERMISSIONS[LabelAction.CREATE]):
        raise ReturnPermissionError(gettext("You are not allowed to issue return labels."))

    def email(locked: Return, outcome: LabelOutcome) -> None:
        if outcome.label is not None:  # asked for explicitly: sent whatever the notify choice
            notification_services.notification_enqueue(
                ret=locked, event="label_resent", return_event=outcome.event, actor=actor
            )

    outcome = issue_label(ret.pk, actor=actor, expected_status=expected_status, then=email)
    if outcome.label is None:
        raise ReturnError(
            gettext("The carrier could not make the label: %(error)s") % {"error": outcome.error}
        )
    return outcome.label


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


def _refuse_unless_allowed(
    action: LabelAction,
    ret: Return,
    label: ReturnLabel | None,
    attempt: LabelAttempt | None = None,
) -> None:
    refusal = label_refusal(action, ret, label, attempt)
    if refusal is not None:
        raise ReturnError(refusal.message)
