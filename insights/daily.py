"""The daily figures (insights/models.py): written from `insights.reports`' own queries, read by
the analytics page.

`refresh_days` rebuilds the figures of some days in one transaction: a transaction-scoped
advisory lock on PostgreSQL (SQLite runs one writer at a time) so that two refreshes run one
after the other, then per table a DELETE of those days and an INSERT of the aggregates of the
returns requested (orders placed) on them. Run twice, it leaves the same rows; if it fails, the
transaction leaves the previous rows whole.

A return belongs to the day it was requested, whatever happens to it later: a status change or
a refund marked weeks later changes that day's figures. Beat (`insights.tasks.refresh_recent`)
refreshes the last RECENT_DAYS days and the request days of the returns that changed status or
were refunded since its last runs; `manage.py analytics_refresh` rebuilds any range.

`page_figures` reads only these tables (a fixed number of queries) and returns what
`insights.reports` would for the same period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import reduce
from operator import attrgetter, or_
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext

from insights.models import (
    DAILY_MODELS,
    EVERY_COUNTRY,
    DailyDaysToRefund,
    DailyProductReason,
    DailyRefundMode,
    DailyRefundWeek,
    DailyReturns,
    DailySold,
    Dimension,
    Span,
)
from insights.periods import Period
from insights.reports import (
    TOP_REASONS,
    Report,
    WholeDays,
    _cents,
    _figures,
    _first_of_group,
    _labels,
    _lines,
    _money_lines,
    _money_sums,
    _order,
    _returns_in,
)
from refunds.models import Refund, RefundStatus
from returns.models import Return, ReturnEvent, ReturnReason
from shop.models import Order, OrderLine

RECENT_DAYS = 3  # beat rebuilds today and the two days before on every run
CHANGED_WITHIN = timedelta(hours=1)  # and the days of returns changed in the last hour
CHUNK_DAYS = 31  # a long range is aggregated a month at a time (bounded memory)
BATCH = 2000
LOCK_KEY = 0x1A5E_D411  # pg_advisory_xact_lock's key for the daily figures

_GROUP = {
    Dimension.TOTAL: None,
    Dimension.PRODUCT: "product",
    Dimension.REASON: "reason",
}
_KEY = {
    Dimension.PRODUCT: F("order_line__variant__product_id"),
    Dimension.REASON: F("reason_id"),
}


@dataclass(frozen=True)
class Refreshed:
    days: int
    rows: int


# --- writing -----------------------------------------------------------------------------------


def refresh_days(
    first: date, last: date, progress: Callable[[int], object] | None = None
) -> Refreshed:
    """Rebuild the figures of the days from `first` to `last` (both included), in one
    transaction; `progress(n)` is told of each chunk of n days done."""
    if first > last:
        raise ValueError(f"{first} is after {last}")
    rows = 0
    with transaction.atomic():
        _lock()
        start = first
        while start <= last:
            end = min(last, start + timedelta(days=CHUNK_DAYS - 1))
            rows += _rebuild(Period(start, end))
            rows += _every_country(Period(start, end))
            if progress is not None:
                progress((end - start).days + 1)
            start = end + timedelta(days=1)
        month = first.replace(day=1)
        while month <= last:
            rows += _roll_up(Span.MONTH, month, _next_month(month))
            month = _next_month(month)
        week = _monday(first)
        while week <= last:
            rows += _roll_up(Span.WEEK, week, week + WEEK)
            week += WEEK
    return Refreshed(days=(last - first).days + 1, rows=rows)


# What each table sums, by what (besides day and country): a month's row sums its days' rows,
# an EVERY_COUNTRY row its countries' rows.
_SUMS: dict[type[models.Model], tuple[tuple[str, ...], tuple[str, ...]]] = {
    DailyReturns: (
        ("dimension", "key"),
        ("returned_units", "refunded", "store_credit", "refunded_returns"),
    ),
    DailyDaysToRefund: (("dimension", "key", "days"), ("returns",)),
    DailyProductReason: (("product", "reason"), ("units",)),
    DailySold: (("product",), ("units",)),
    DailyRefundWeek: (("week",), ("refunded", "store_credit")),
    DailyRefundMode: (("mode",), ("returns",)),
}


def _next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


WEEK = timedelta(days=7)


def _monday(day: date) -> date:
    """The first day of `day`'s week (ISO weeks start on Monday)."""
    return day - timedelta(days=day.weekday())


def _roll_up(span: Span, start: date, after: date) -> int:
    """Rebuild the `span` rows of the days from `start` (their `day`) to before `after` from
    those days' rows."""
    days = {"day__gte": start, "day__lt": after}
    made = 0
    for model in _SUMS:
        manager = model._default_manager
        manager.filter(span=span, day=start).delete()
        source = manager.filter(span=Span.DAY, **days)
        made += _sum_into(model, source, by=("country",), day=start, span=span)
    return made


def _sum_into(
    model: type[models.Model], source: QuerySet[Any], by: tuple[str, ...], **fixed
) -> int:
    """Insert `model`'s rows summing `source`'s by `by` and the table's groups (_SUMS), each
    with the `fixed` values; how many."""
    keys, sums = _SUMS[model]
    rows = (
        source.values(*by, *keys).annotate(**{f"sum_{name}": Sum(name) for name in sums}).order_by()
    )
    objects = [
        model(
            **fixed,
            **{name: row[name] for name in (*by, *keys)},
            **{name: row[f"sum_{name}"] for name in sums},
        )
        for row in rows
    ]
    _insert(model, objects)
    return len(objects)


def _insert(model: type[models.Model], objects: list[Any]) -> None:
    """Insert the rows in their unique key's order, (span, day, country, ...): a day's rows of a
    country then share a few pages, which is what the page reads (at a million returns, the
    default range's product and reason rows: 48 pages instead of 717, 2.4 ms instead of 11)."""
    fields = model._meta.constraints[0].fields  # type: ignore[attr-defined]
    objects.sort(key=attrgetter(*fields))
    model._default_manager.bulk_create(objects, batch_size=BATCH)


def _every_country(period: Period) -> int:
    """Add the period's EVERY_COUNTRY day rows, the sums of its countries' day rows (the week
    and month rows sum them as they sum any country's)."""
    days = {"span": Span.DAY, "day__gte": period.since, "day__lte": period.until}
    made = 0
    for model in _SUMS:
        source = model._default_manager.filter(**days).exclude(country=EVERY_COUNTRY)
        made += _sum_into(model, source, by=("day",), span=Span.DAY, country=EVERY_COUNTRY)
    return made


def days_with_data(today: date | None = None) -> tuple[date, date] | None:
    """From the first day an order was placed or a return requested to today (local days):
    every day a figure can belong to. None for a shop with neither."""
    today = today or timezone.localdate()
    firsts = [
        timezone.localdate(first)
        for first in (
            Order.objects.aggregate(first=Min("placed_at"))["first"],
            Return.objects.aggregate(first=Min("created_at"))["first"],
        )
        if first is not None
    ]
    return (min(min(firsts), today), today) if firsts else None


def refresh_recent(now: datetime | None = None) -> Refreshed:
    """Beat's refresh: the last RECENT_DAYS days, and the request days of the returns whose
    status changed or that were refunded within CHANGED_WITHIN (beat runs far more often, so a
    missed run is caught up by the next). Tables without any figure yet (a database made
    before them, or loaded in bulk) are filled whole first: the page is never silently empty."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not any(model._default_manager.exists() for model in DAILY_MODELS):
        whole = days_with_data(today)
        return refresh_days(*whole) if whole else Refreshed(days=0, rows=0)
    days = {today - timedelta(days=n) for n in range(RECENT_DAYS)}
    since = now - CHANGED_WITHIN
    day = TruncDate("ret__created_at")
    for source in (
        ReturnEvent.objects.filter(created_at__gte=since),
        Refund.objects.filter(marked_at__gte=since),
    ):
        days.update(source.annotate(day=day).values_list("day", flat=True).distinct())
    total = Refreshed(days=0, rows=0)
    with transaction.atomic():
        for first, last in _runs(days):
            done = refresh_days(first, last)
            total = Refreshed(days=total.days + done.days, rows=total.rows + done.rows)
    return total


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) ranges."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day - timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _rebuild(period: Period) -> int:
    for model in DAILY_MODELS:
        model._default_manager.filter(
            span=Span.DAY, day__gte=period.since, day__lte=period.until
        ).delete()
    made = [
        *_returns_rows(period),
        *_days_rows(period),
        *_product_reason_rows(period),
        *_sold_rows(period),
        *_week_rows(period),
        *_mode_rows(period),
    ]
    by_model: dict[type, list[Any]] = defaultdict(list)
    for row in made:
        by_model[type(row)].append(row)
    for model, objects in by_model.items():
        _insert(model, objects)
    return len(made)


def _day_country() -> dict[str, Any]:
    return {
        "day": TruncDate("ret__created_at"),
        "country": F("ret__order__shipping_country"),
    }


def _grouped_lines(lines: QuerySet[Any], dimension: Dimension, **aggregates: Any) -> QuerySet[Any]:
    keys = _day_country()
    if dimension in _KEY:
        keys["key"] = _KEY[dimension]
    return lines.annotate(**keys).values(*keys).annotate(**aggregates).order_by()


def _returns_rows(period: Period) -> list[DailyReturns]:
    lines = _lines(period)
    rows: dict[tuple[Any, ...], DailyReturns] = {}
    for dimension, by in _GROUP.items():
        for row in _grouped_lines(lines, dimension, units=Sum("quantity")):
            ident = (row["day"], row["country"], dimension, row.get("key", 0))
            rows[ident] = DailyReturns(
                day=row["day"],
                country=row["country"],
                dimension=dimension,
                key=row.get("key", 0),
                returned_units=row["units"] or 0,
            )
        for row in _grouped_lines(_money_lines(lines, by), dimension, **_money_sums()):
            figure = rows[(row["day"], row["country"], dimension, row.get("key", 0))]
            figure.refunded = _cents(row["refunded"])
            figure.store_credit = _cents(row["store_credit"])
            figure.refunded_returns = row["refunded_returns"] or 0
    return list(rows.values())


def _days_rows(period: Period) -> list[DailyDaysToRefund]:
    first_refund = (
        Refund.objects.filter(ret_id=OuterRef("ret_id"), status=RefundStatus.REFUNDED)
        .order_by("marked_at")
        .values("marked_at")[:1]
    )
    made = []
    for dimension, by in _GROUP.items():
        lines = (
            _lines(period)
            .filter(_first_of_group(by))
            .annotate(first_refund=Subquery(first_refund))
            .filter(first_refund__isnull=False)
            .annotate(days=WholeDays(F("first_refund"), F("ret__created_at")))
        )
        keys = _day_country()
        if dimension in _KEY:
            keys["key"] = _KEY[dimension]
        rows = lines.annotate(**keys).values(*keys, "days").annotate(n=Count("id")).order_by()
        made += [
            DailyDaysToRefund(
                day=row["day"],
                country=row["country"],
                dimension=dimension,
                key=row.get("key", 0),
                days=row["days"],
                returns=row["n"],
            )
            for row in rows
        ]
    return made


def _product_reason_rows(period: Period) -> list[DailyProductReason]:
    rows = (
        _lines(period)
        .annotate(**_day_country(), product=F("order_line__variant__product_id"))
        .values("day", "country", "product", "reason_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return [
        DailyProductReason(
            day=row["day"],
            country=row["country"],
            product=row["product"],
            reason=row["reason_id"],
            units=row["units"] or 0,
        )
        for row in rows
    ]


def _sold_rows(period: Period) -> list[DailySold]:
    rows = (
        OrderLine.objects.filter(
            order__placed_at__gte=period.start, order__placed_at__lt=period.end
        )
        .annotate(
            day=TruncDate("order__placed_at"),
            country=F("order__shipping_country"),
            product=F("variant__product_id"),
        )
        .values("day", "country", "product")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return [
        DailySold(
            day=row["day"], country=row["country"], product=row["product"], units=row["units"] or 0
        )
        for row in rows
    ]


def _week_rows(period: Period) -> list[DailyRefundWeek]:
    rows = (
        Refund.objects.filter(
            status=RefundStatus.REFUNDED,
            marked_at__isnull=False,
            ret__in=Return.objects.filter(_returns_in(period)),
        )
        .annotate(**_day_country(), week=TruncWeek("marked_at"))
        .values("day", "country", "week")
        .annotate(**_money_sums(prefix=""))
        .order_by()
    )
    return [
        DailyRefundWeek(
            day=row["day"],
            country=row["country"],
            week=_as_date(row["week"]),
            refunded=_cents(row["refunded"]),  # type: ignore[misc]
            store_credit=_cents(row["store_credit"]),  # type: ignore[misc]
        )
        for row in rows
    ]


def _mode_rows(period: Period) -> list[DailyRefundMode]:
    rows = (
        Return.objects.filter(_returns_in(period))
        .annotate(day=TruncDate("created_at"), country=F("order__shipping_country"))
        .values("day", "country", "refund_mode")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        DailyRefundMode(
            day=row["day"], country=row["country"], mode=row["refund_mode"], returns=row["n"]
        )
        for row in rows
    ]


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageFigures:
    by_product: Report
    by_reason: Report
    weeks: list[tuple[date, Decimal, Decimal]]
    modes: dict[str, int]


def _in(period: Period, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The rows of the period: the month rows of the months it holds whole, and at its edges
    the week rows of the weeks they hold whole and the day rows of the days left (a year reads
    about 12 rows per country and group, not 365; its edges at most 6 days each, not 30: at a
    million returns every day has a row for most products and reasons)."""
    first = period.since if period.since.day == 1 else _next_month(period.since)
    after = _next_month(period.until)
    last_whole = after if period.until == after - timedelta(days=1) else period.until.replace(day=1)
    end = period.until + timedelta(days=1)
    if first < last_whole:  # the whole months [first, last_whole)
        parts = [
            Q(span=Span.MONTH, day__gte=first, day__lt=last_whole),
            *_weeks_and_days(period.since, first),
            *_weeks_and_days(last_whole, end),
        ]
    else:
        parts = _weeks_and_days(period.since, end)
    # Without a country, the rows that sum them all: one per group, not one per country.
    return queryset.filter(reduce(or_, parts), country=period.country or EVERY_COUNTRY)


def _weeks_and_days(start: date, after: date) -> list[Q]:
    """The rows of the days from `start` to before `after`: the weeks they hold whole, the
    days around them ([] for no day)."""
    if start >= after:
        return []
    weeks_from = start if start.weekday() == 0 else _monday(start) + WEEK
    weeks_to = _monday(after)
    if weeks_from >= weeks_to:
        return [Q(span=Span.DAY, day__gte=start, day__lt=after)]
    parts = [Q(span=Span.WEEK, day__gte=weeks_from, day__lt=weeks_to)]
    if start < weeks_from:
        parts.append(Q(span=Span.DAY, day__gte=start, day__lt=weeks_from))
    if weeks_to < after:
        parts.append(Q(span=Span.DAY, day__gte=weeks_to, day__lt=after))
    return parts


def page_figures(period: Period) -> PageFigures:
    """What `insights.reports` gives the analytics page (`report` by product and by reason,
    `refunds_per_week`, `refund_mode_shares`), from the daily figures: eight queries."""
    returned: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for row in (
        _in(period, DailyReturns.objects.all())
        .values("dimension", "key")
        .annotate(
            units=Sum("returned_units"),
            refunded=Sum("refunded"),
            store_credit=Sum("store_credit"),
            refunded_returns=Sum("refunded_returns"),
        )
        .order_by()
    ):
        returned[row["dimension"]][row["key"]] = row
    days: dict[str, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for dimension, key, number, n in (
        _in(period, DailyDaysToRefund.objects.all())
        .values("dimension", "key", "days")
        .annotate(n=Sum("returns"))
        .order_by()
        .values_list("dimension", "key", "days", "n")
    ):
        days[dimension][key][number] = n
    sold = {
        row["product"]: row["units"] or 0
        for row in _in(period, DailySold.objects.all())
        .values("product")
        .annotate(units=Sum("units"))
        .order_by()
    }
    product_reasons: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for product, reason, units in (
        _in(period, DailyProductReason.objects.all())
        .values("product", "reason")
        .annotate(n=Sum("units"))
        .order_by("-n", "reason")
        .values_list("product", "reason", "n")
    ):
        if len(product_reasons[product]) < TOP_REASONS:
            product_reasons[product].append((reason, units))
    weeks = [
        (row["week"], _cents(row["refunded"]), _cents(row["store_credit"]))
        for row in _in(period, DailyRefundWeek.objects.all())
        .values("week")
        .annotate(refunded=Sum("refunded"), store_credit=Sum("store_credit"))
        .order_by("week")
    ]
    modes = {mode: 0 for mode in Return.RefundMode.values}
    modes.update(
        {
            row["mode"]: row["n"]
            for row in _in(period, DailyRefundMode.objects.all())
            .values("mode")
            .annotate(n=Sum("returns"))
            .order_by()
        }
    )
    reason_names = {r.pk: r.name for r in ReturnReason.objects.all()}  # a short list, staff's
    total_sold = sum(sold.values())
    by_reason_units = returned[Dimension.REASON]
    total_reasons = sorted(
        ((key, row["units"] or 0) for key, row in by_reason_units.items()),
        key=lambda pair: (-pair[1], pair[0]),
    )[:TOP_REASONS]

    def named(pairs: list[tuple[int, int]]) -> list[tuple[str, int]]:
        return [(reason_names.get(r, str(r)), units) for r, units in pairs]

    def figures(dimension: Dimension, key: Any, label: str, sold_units: int, reasons: Any) -> Any:
        row = returned[dimension].get(key if key is not None else 0, {})
        return _figures(
            key,
            label,
            sold_units,
            row,
            row,
            days[dimension].get(key if key is not None else 0, {}),
            named(reasons),
        )

    total = figures(Dimension.TOTAL, None, gettext("Total"), total_sold, total_reasons)
    total_days = days[Dimension.TOTAL].get(0, {})

    products = set(returned[Dimension.PRODUCT]) | set(sold)
    product_labels = _labels("product", products)
    product_rows = [
        figures(
            Dimension.PRODUCT,
            group,
            str(product_labels.get(group, group)),
            sold.get(group, 0),
            product_reasons.get(group, []),
        )
        for group in products
    ]
    product_rows.sort(key=_order("product"))
    reason_rows = [
        figures(
            Dimension.REASON,
            group,
            str(reason_names.get(group, group)),
            total_sold,
            [(group, row["units"] or 0)],
        )
        for group, row in by_reason_units.items()
    ]
    reason_rows.sort(key=_order("reason"))
    return PageFigures(
        by_product=Report(period, "product", product_rows, total, dict(total_days)),
        by_reason=Report(period, "reason", reason_rows, total, dict(total_days)),
        weeks=weeks,
        modes=modes,
    )
