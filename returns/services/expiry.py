"""Expiry: approved returns whose parcel never moved within ShopSettings.return_expiry_days of
the approval expire; their label is cancelled (return_expire does it) and the customer is told.

Run by Celery beat (returns.tasks.expire_returns) and by `manage.py returns_expire`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from refunds.money import live_refund_exists
from returns.errors import ReturnError
from returns.models import Return, ReturnStatus
from returns.models.labels import ParcelStatus, TrackingEvent
from returns.services import return_expire
from shop.models import ShopSettings

# Statuses that tell the parcel moved: such a return is staff's to look at, never expired.
MOVEMENT = [
    ParcelStatus.IN_TRANSIT,
    ParcelStatus.DELIVERED,
    ParcelStatus.EXCEPTION,
    ParcelStatus.RETURNED_TO_SENDER,
]


def returns_due_to_expire(
    *, now: datetime | None = None, days: int | None = None
) -> QuerySet[Return]:
    """Approved more than `days` days ago (default: the shop's setting, 0 = never) with no
    parcel movement reported and no refund made (return_expire would refuse it: a refunded
    return stays open until its parcel comes); oldest first."""
    days = ShopSettings.load().return_expiry_days if days is None else days
    if not days:
        return Return.objects.none()
    cutoff = (now or timezone.now()) - timedelta(days=days)
    moved = TrackingEvent.objects.filter(label__ret_id=OuterRef("pk"), status__in=MOVEMENT)
    return (
        Return.objects.filter(status=ReturnStatus.APPROVED, status_changed_at__lte=cutoff)
        .exclude(Exists(moved))
        .exclude(live_refund_exists())
        .select_related("order")
        .order_by("status_changed_at", "id")
    )


@dataclass
class ExpiryRun:
    days: int
    due: list[Return] = field(default_factory=list)
    expired: list[Return] = field(default_factory=list)
    # (return, why) for those that changed meanwhile and were left alone.
    skipped: list[tuple[Return, str]] = field(default_factory=list)


def returns_expire_due(
    *,
    apply: bool,
    now: datetime | None = None,
    days: int | None = None,
    progress: Callable[[], object] | None = None,
) -> ExpiryRun:
    """List the returns due to expire and, with `apply`, expire each (its own transaction, as
    the system). A return that changed since it was listed is skipped, not forced."""
    days = ShopSettings.load().return_expiry_days if days is None else days
    run = ExpiryRun(days=days, due=list(returns_due_to_expire(now=now, days=days)))
    if not apply:
        return run
    for ret in run.due:
        try:
            run.expired.append(
                return_expire(
                    actor=None,
                    ret=ret,
                    event_code="expiry.not_sent",
                    event_params={"days": days},
                )
            )
        except ReturnError as exc:
            run.skipped.append((ret, exc.message))
        if progress is not None:
            progress()
    return run
