"""Reads for the back-office home: the queues a returns team works from, and a 30-day chart."""

from datetime import datetime, time, timedelta
from typing import Any, cast

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.selectors import disabled_endpoints
from returns.models import Return, ReturnLine, ReturnStatus
from shop.pagination import capped_counts

RETURN_QUEUES = [
    (ReturnStatus.REQUESTED, _("Requests to review")),
    (ReturnStatus.APPROVED, _("Approved, awaiting the parcel")),
    (ReturnStatus.IN_TRANSIT, _("In transit")),
    (ReturnStatus.RECEIVED, _("Received, awaiting refund")),
]


# A queue's count stops here ("1000+"): past it the exact figure changes nothing to the day's
# work, and counting further would make the home as slow as the biggest queue is long.
QUEUE_COUNT_CAP = 1000


def work_queues(user=None) -> list[dict]:
    """Each queue with its count (at most QUEUE_COUNT_CAP, `more` past it) and the link to the
    filtered list, all counts in one query; a queue whose list `user` may not open has no
    link."""
    from refunds.models import Refund

    changelist = reverse("admin:returns_return_changelist")
    queues: list[dict[str, Any]] = [
        {
            "label": label,
            "status": status,
            "rows": Return.objects.filter(status=status),
            "url": f"{changelist}?status__exact={status}",
        }
        for status, label in RETURN_QUEUES
    ]
    queues.append(
        {
            "label": _("Refunds pending"),
            "status": "refund_pending",
            "rows": Refund.objects.filter(status=Refund.Status.PENDING),
            "url": reverse("admin:refunds_refund_changelist") + "?status__exact=pending",
        }
    )
    # COUNT(*) of ids: PostgreSQL answers each from its status index alone.
    counts = capped_counts([queue.pop("rows") for queue in queues], QUEUE_COUNT_CAP)
    for queue, count in zip(queues, counts, strict=True):
        queue["count"] = min(count, QUEUE_COUNT_CAP)
        queue["more"] = count > QUEUE_COUNT_CAP
    if user is not None:
        may_open = {"refund_pending": user.has_perm("refunds.view_refund")}
        for queue in queues:
            if not may_open.get(queue["status"], user.has_perm("returns.view_return")):
                queue["url"] = None
    return queues


CHART_CACHE_SECONDS = 300


def last_30_days_cached() -> dict[str, Any]:
    """The chart of the home, at most five minutes old: it reads every return of the month, and
    the home is the page staff open most (the queues above it are always live)."""
    today = timezone.localdate()
    chart = cache.get_or_set(
        f"backoffice:chart:{today.isoformat()}", lambda: last_30_days(today), CHART_CACHE_SECONDS
    )
    return cast(dict[str, Any], chart)


def last_30_days(today=None) -> dict:
    """Returns created per day over the last 30 days, and returned lines per reason."""
    today = today or timezone.localdate()
    start = today - timedelta(days=29)
    # A range on the column itself (not __date) so the index on created_at serves it.
    since = timezone.make_aware(datetime.combine(start, time.min))
    per_day = dict(
        Return.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    days = [
        {"day": start + timedelta(days=i), "count": per_day.get(start + timedelta(days=i), 0)}
        for i in range(30)
    ]
    peak = max([d["count"] for d in days] + [1])
    for day in days:
        day["percent"] = round(100 * day["count"] / peak)
    reasons: list[dict[str, Any]] = [
        dict(row)
        for row in ReturnLine.objects.filter(ret__created_at__gte=since)
        .values("reason__name_fr", "reason__name_en", "reason__code")
        .annotate(n=Count("id"))
        .order_by("-n", "reason__code")
    ]
    top = max([r["n"] for r in reasons] + [1])
    for reason in reasons:
        reason["percent"] = round(100 * reason["n"] / top)
    return {"days": days, "reasons": reasons, "total": sum(d["count"] for d in days)}


def disabled_endpoints_for(user) -> list:
    """The webhook endpoints disabled after repeated failures, for those who manage them (the
    home says so until one enables them again); no query for anyone else."""
    if not user.has_perm("notifications.change_webhookendpoint"):
        return []
    return disabled_endpoints()
