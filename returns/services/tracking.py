"""Carrier tracking events: recorded once each, mapped to a parcel status, moving the return.

`tracking_event_record` is what the webhook and `manage.py tracking_import` call for each event
a carrier reports. It is idempotent: an event is recorded once per (carrier, event id), and the
return moves in the same transaction as the event's row, so a replay changes nothing.

What moves the return (as the system, actor=None):
- the first in-transit event moves an approved return to in transit;
- delivery (to the warehouse: return labels are addressed to it) moves an approved or in-transit
  return to received, pending inspection, or, when the shop chooses, straight to received
  (as requested, restocked);
- exceptions and parcels returned to the sender are written on the return's timeline for staff.
The customer is told of each status change the shop wants told (ShopSettings).

An event dated more than a day ahead (FUTURE_TOLERANCE), or before its label was made (less a
few minutes of clock difference, CLOCK_SKEW), is rejected and logged: nothing is recorded, and
the label and the return stay as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications import services as notification_services
from returns.carriers import CarrierEvent
from returns.locks import lock_label, lock_return
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.models.labels import ParcelStatus, ReturnLabel, TrackingEvent
from returns.services import return_mark_in_transit, return_receive
from returns.services._common import record_event
from returns.services.inspection import return_receive_for_inspection
from shop.models import ShopSettings

logger = logging.getLogger(__name__)

RECORDED = "recorded"
DUPLICATE = "duplicate"
UNKNOWN_TRACKING_NUMBER = "unknown_tracking_number"
REJECTED = "rejected"

# How far ahead of our clock an event may be dated, and how long before its label was made
# (the carrier's clock and ours differ a little; its first scan may be stamped as it books).
FUTURE_TOLERANCE = timedelta(days=1)
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class TrackingResult:
    outcome: str
    event: TrackingEvent | None = None
    # The return's new status when the event moved it.
    moved_to: str | None = None
    # Why the event was rejected (outcome REJECTED).
    reason: str = ""


def date_refusal(event: CarrierEvent, label: ReturnLabel) -> str | None:
    """Why the event's date cannot be true of the label's parcel, or None."""
    if event.occurred_at > timezone.now() + FUTURE_TOLERANCE:
        return "dated more than a day ahead"
    if event.occurred_at < label.created_at - CLOCK_SKEW:
        return "dated before its label was made"
    return None


def tracking_event_record(*, carrier: str, event: CarrierEvent) -> TrackingResult:
    """Record one carrier event and apply it; a replay or an unknown parcel changes nothing."""
    label = (
        ReturnLabel.objects.filter(carrier=carrier, tracking_number=event.tracking_number)
        .only("pk", "ret_id", "created_at")
        .first()
    )
    if label is None:
        logger.info(
            "carrier %s event %s: unknown tracking number %s, ignored",
            carrier,
            event.event_id,
            event.tracking_number,
        )
        return TrackingResult(UNKNOWN_TRACKING_NUMBER)
    if TrackingEvent.objects.filter(carrier=carrier, event_id=event.event_id).exists():
        return TrackingResult(DUPLICATE)
    refusal = date_refusal(event, label)
    if refusal is not None:
        logger.warning(
            "carrier %s event %s of %s: %s (%s), rejected",
            carrier,
            event.event_id,
            event.tracking_number,
            refusal,
            event.occurred_at.isoformat(),
        )
        return TrackingResult(REJECTED, reason=refusal)
    with transaction.atomic():
        # The return first, then its label: the order of returns/locks.py. A carrier shows no
        # status page: nothing to compare the return's status with.
        ret = lock_return(label.ret_id)
        label = lock_label(label.pk)
        try:
            with transaction.atomic():  # the same event at once from two deliveries: one wins
                row = TrackingEvent.objects.create(
                    label=label,
                    carrier=carrier,
                    event_id=event.event_id,
                    raw_status=event.raw_status,
                    status=event.status,
                    occurred_at=event.occurred_at,
                    location=event.location,
                    description=event.description,
                )
        except IntegrityError:
            return TrackingResult(DUPLICATE)
        _update_parcel_status(label, row)
        moved_to = _move_return(ret, row)
    return TrackingResult(RECORDED, row, moved_to)


def _update_parcel_status(label: ReturnLabel, row: TrackingEvent) -> None:
    """The label shows its latest event's status; a late report of an older event keeps it."""
    if not row.status:
        return
    if label.parcel_status_at is not None and row.occurred_at < label.parcel_status_at:
        return
    label.parcel_status = row.status
    label.parcel_status_at = row.occurred_at
    label.save(update_fields=["parcel_status", "parcel_status_at"])


def _describe(row: TrackingEvent) -> tuple[str, dict[str, Any]]:
    """The scan's message code and params (returns/events.py): its status, where, and what the
    carrier said."""
    # A status the mapping does not know is shown as the carrier wrote it.
    status = row.status or row.raw_status
    details = " — ".join(part for part in (row.location, row.description) if part)
    if details:
        return "tracking.scan_details", {"status": status, "details": details}
    return "tracking.scan", {"status": status}


def _move_return(ret: Return, row: TrackingEvent) -> str | None:
    shop = ShopSettings.load()
    code, params = _describe(row)
    if row.status == ParcelStatus.IN_TRANSIT and ret.status == ReturnStatus.APPROVED:
        moved = return_mark_in_transit(actor=None, ret=ret, event_code=code, event_params=params)
        if shop.notify_parcel_in_transit and moved.notify_customer:
            event = moved.events.filter(kind=ReturnEvent.Kind.STATUS).latest("created_at", "id")
            notification_services.notification_enqueue(
                ret=moved, event="in_transit", return_event=event, actor=None
            )
        return moved.status
    if row.status == ParcelStatus.DELIVERED and ret.status in (
        ReturnStatus.APPROVED,
        ReturnStatus.IN_TRANSIT,
    ):
        notify = shop.notify_parcel_received and ret.notify_customer
        if shop.delivered_parcels_need_inspection:
            moved = return_receive_for_inspection(
                ret=ret, notify=notify, event_code=code, event_params=params
            )
        else:
            moved = return_receive(
                actor=None, ret=ret, notify=notify, event_code=code, event_params=params
            )
        return moved.status
    if row.status in (ParcelStatus.EXCEPTION, ParcelStatus.RETURNED_TO_SENDER) or (
        row.status in (ParcelStatus.IN_TRANSIT, ParcelStatus.DELIVERED)
        and ret.status in (ReturnStatus.CANCELLED, ReturnStatus.EXPIRED, ReturnStatus.REJECTED)
    ):
        # Something for staff to look at: a problem, or a parcel of a closed return.
        record_event(
            ret,
            kind=ReturnEvent.Kind.LABEL,
            actor=None,
            visible_to_customer=False,
            code=code,
            params=params,
        )
    return None


@dataclass
class ImportSummary:
    recorded: int = 0
    duplicates: int = 0
    unknown: int = 0
    moved: int = 0
    # Event id: why it was rejected (nothing recorded of it).
    rejected: dict[str, str] = field(default_factory=dict)

    def add(self, event: CarrierEvent, result: TrackingResult) -> None:
        if result.outcome == RECORDED:
            self.recorded += 1
            self.moved += result.moved_to is not None
        elif result.outcome == DUPLICATE:
            self.duplicates += 1
        elif result.outcome == REJECTED:
            self.rejected[event.event_id] = result.reason
        else:
            self.unknown += 1


def tracking_events_record(
    *, carrier: str, events: list[CarrierEvent], progress: Callable[[], object] | None = None
) -> ImportSummary:
    """Record many events (a webhook's body, a file), oldest first, each in its own
    transaction: a crash half-way leaves the recorded ones, and a second run skips them."""
    summary = ImportSummary()
    for event in sorted(events, key=lambda e: e.occurred_at):
        summary.add(event, tracking_event_record(carrier=carrier, event=event))
        if progress is not None:
            progress()
    return summary
