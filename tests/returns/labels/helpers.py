"""Helpers of the label and tracking tests: returns approved with a label, carrier scans."""

import itertools
from datetime import timedelta

from django.utils import timezone

from returns.carriers import CarrierEvent
from returns.carriers.offline import STATUS_MAP
from returns.models import Return, ReturnLabel, ReturnStatus
from returns.services.tracking import tracking_event_record
from tests.returns.helpers import create

_event_ids = itertools.count(1)


def approved_with_label(staff, order, *quantities, **extra) -> Return:
    """A return created approved by staff, sent back with a label (made on approval)."""
    return create(staff, order, *(quantities or (1,)), start_status=ReturnStatus.APPROVED, **extra)


def label_of(ret: Return) -> ReturnLabel:
    return ReturnLabel.objects.get(ret=ret)


def carrier_event(
    label: ReturnLabel,
    raw_status="in_transit",
    *,
    event_id=None,
    at=None,
    location="Lyon hub",
    tracking_number=None,
) -> CarrierEvent:
    return CarrierEvent(
        event_id=event_id or f"evt-{next(_event_ids)}",
        tracking_number=tracking_number or label.tracking_number,
        raw_status=raw_status,
        status=STATUS_MAP.get(raw_status, ""),
        occurred_at=at or timezone.now(),
        location=location,
    )


def scan(label: ReturnLabel, raw_status="in_transit", **kwargs):
    """The carrier reports an event about the label's parcel."""
    return tracking_event_record(
        carrier=label.carrier, event=carrier_event(label, raw_status, **kwargs)
    )


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def hours_later(hours: float, *, csv: bool = False) -> str:
    """A carrier's date `hours` from now (ISO; local "YYYY-MM-DD HH:MM" for a CSV file): after
    the label was made, and not more than a day ahead (returns/services/tracking.py)."""
    moment = timezone.now() + timedelta(hours=hours)
    if csv:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    return moment.isoformat()
