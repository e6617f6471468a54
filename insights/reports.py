"""The figures of `returns_report` and of the analytics page: aggregate queries only.

Every figure is about the returns *requested* in the period (their `created_at`), and only live
ones (rejected, cancelled and expired returns sent nothing back and were paid nothing):

- sold units: the units of the orders placed in the period (same country filter);
- returned units: the units requested on the period's live returns;
- return rate: returned units / sold units, in percent (none when nothing was sold);
- refunded: the refunds marked refunded in money (original payment, exchange difference);
  store credit: those marked refunded as store credit (refunds.models RefundMode);
- days to refund: whole days (24 h) from the request to its first refund marked refunded;
  the average, and the 90th percentile by nearest rank;
- top reasons: the reasons of the most returned units.

A return's money and time figures count once per group: grouped by a line's product, variant
or reason, a return with lines in two groups counts in both, once in each (its first line of
the group stands for it); the total row counts each return once.

No Python loop over returns: each figure is one GROUP BY query, and what Python loops over is
the groups and the distinct numbers of days (bounded, whatever the number of returns).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils.translation import gettext, gettext_lazy

from insights.periods import Period
from refunds.models import Refund, RefundMode, RefundStatus
from returns.models import LIVE_STATUSES, Return, ReturnLine, ReturnReason
from shop.models import MONEY, OrderLine, Product, Variant
from shop.money import ZERO

DIMENSIONS = {
    "product": gettext_lazy("product"),
    "variant": gettext_lazy("variant"),
    "reason": gettext_lazy("reason"),
    "country": gettext_lazy("country"),
    "channel": gettext_lazy("channel"),
    "month": gettext_lazy("month"),
}
# Dimensions of a line (a return may have lines in several groups); the others are the return's.
LINE_DIMENSIONS = {"product", "variant", "reason"}
# Dimensions the sold units are counted by; a reason or a channel is measured against all of them.
SOLD_DIMENSIONS = {"product", "variant", "country", "month"}
TOP_REASONS = 3
PERCENTILE = 90

CENT = Decimal("0.01")
MONEY_MODES = [RefundMode.ORIGINAL_PAYMENT, RefundMode.EXCHANGE]


class WholeDays(Func):
    """Whole days (24 h) from the second datetime to the first, on SQLite and PostgreSQL."""

    output_field = IntegerField()
    arity = 2

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400)::integer",
            arg_joiner=" - ",
            **extra,
        )


@dataclass(frozen=True)
class Figures:
    """The figures of one group (or of the whole period: key None)."""

    key: Any
    label: str
    sold_units: int
    returned_units: int
    refunded: Decimal
    store_credit: Decimal
    refunded_returns: int
    avg_days: Decimal | None
    p90_days: int | None
    top_reasons: tuple[tuple[str, int], ...]

    @property
    def return_rate(self) -> Decimal | None:
        """Returned units / sold units, in percent with one decimal."""
        if not self.sold_units:
            return None
        return (Decimal(100 * self.returned_units) / self.sold_units).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Report:
    period: Period
    by: str
    rows: list[Figures]
    total: Figures
    # The number of returns refunded by whole days: the total's distribution (the page's chart).
    days_histogram: dict[int, int]


def report(period: Period, by: str) -> Report:
    """The period's figures grouped `by` one of DIMENSIONS, and its total; a fixed number of
    queries whatever the number of returns."""
    if by not in DIMENSIONS:
        raise ValueError(by)
    lines = _lines(period)
    key = _line_key(by)
    sold = _sold(period, by)
    total_sold = _sold(period, None)[None]
    returned = _grouped(lines, key, units=Sum("quantity"))
    money = _grouped(_money_lines(lines, by), key, **_money_sums())
    days = _days(lines, by, key)
    reasons = _reasons(lines, key)
    reason_names = {r.pk: r.name for r in ReturnReason.objects.all()}  # a short list, staff's
    groups = set(returned) | (set(sold) if by in SOLD_DIMENSIONS else set())
    labels = reason_names if by == "reason" else _labels(by, groups)
    rows = [
        _figures(
            group,
            str(labels.get(group, group)),
            sold.get(group, 0) if by in SOLD_DIMENSIONS else total_sold,
            returned.get(group, {}),
            money.get(group, {}),
            days.get(group, {}),
            [(reason_names.get(r, str(r)), units) for r, units in reasons.get(group, [])],
        )
        for group in groups
    ]
    rows.sort(key=_order(by))
    total_days = _days(lines, None, None).get(None, {})
    total = _figures(
        None,
        gettext("Total"),
        total_sold,
        _grouped(lines, None, units=Sum("quantity"))[None],
        _grouped(_money_lines(lines, None), None, **_money_sums())[None],
        total_days,
        [(reason_names.get(r, str(r)), units) for r, units in _reasons(lines, None).get(None, [])],
    )
    return Report(period=period, by=by, rows=rows, total=total, days_histogram=total_days)


def refunds_per_week(period: Period) -> list[tuple[date, Decimal, Decimal]]:
    """(Monday of the week, refunded in money, store credit) of the refunds marked refunded on
    the period's live returns, by the week they were marked; the weeks add up to the totals."""
    refunds = Refund.objects.filter(
        status=RefundStatus.REFUNDED, ret__in=Return.objects.filter(_returns_in(period))
    )
    rows = (
        refunds.annotate(week=TruncWeek("marked_at"))
        .values("week")
        .annotate(**_money_sums(prefix=""))
        .order_by("week")
    )
    # The annotations' names: the values' inferred type only knows "week".
    return [
        (_as_date(row["week"]), _cents(row["refunded"]), _cents(row["store_credit"]))  # type: ignore[misc]
        for row in rows
        if row["week"] is not None
    ]


def refund_mode_shares(period: Period) -> dict[str, int]:
    """The period's live returns by the refund mode asked (money back, store credit, exchange)."""
    rows = (
        Return.objects.filter(_returns_in(period))
        .values("refund_mode")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {mode: 0 for mode in Return.RefundMode.values}
    counts.update({row["refund_mode"]: row["n"] for row in rows})
    return counts


# Ranges of days to refund, for the page's chart: (first day, last day or None for "and more").
DAY_RANGES = ((0, 2), (3, 7), (8, 14), (15, 30), (31, None))


def days_ranges(histogram: dict[int, int]) -> list[tuple[int, int | None, int]]:
    """(first day, last day, returns refunded) per range of DAY_RANGES, from a report's
    days_histogram (a loop over distinct numbers of days, not over returns)."""
    return [
        (
            first,
            last,
            sum(n for d, n in histogram.items() if first <= d and (last is None or d <= last)),
        )
        for first, last in DAY_RANGES
    ]


# --- the queries -------------------------------------------------------------------------------


def _returns_in(period: Period, prefix: str = "") -> Q:
    condition = Q(
        **{
            f"{prefix}created_at__gte": period.start,
            f"{prefix}created_at__lt": period.end,
            f"{prefix}status__in": LIVE_STATUSES,
        }
    )
    if period.country:
        condition &= Q(**{f"{prefix}order__shipping_country": period.country})
    return condition


def _lines(period: Period) -> QuerySet[ReturnLine]:
    return ReturnLine.objects.filter(_returns_in(period, "ret__"))


def _line_key(by: str | None) -> Any:
    return {
        None: None,
        "product": F("order_line__variant__product_id"),
        "variant": F("order_line__variant_id"),
        "reason": F("reason_id"),
        "country": F("ret__order__shipping_country"),
        "channel": F("ret__channel"),
        "month": TruncMonth("ret__created_at"),
    }[by]


def _sold(period: Period, by: str | None) -> dict[Any, int]:
    """Units sold on the orders placed in the period, by product, variant, country or month (the
    other dimensions are the returns': every group is measured against all the units sold)."""
    lines = OrderLine.objects.filter(order__placed_at__gte=period.start)
    lines = lines.filter(order__placed_at__lt=period.end)
    if period.country:
        lines = lines.filter(order__shipping_country=period.country)
    key = {
        "product": F("variant__product_id"),
        "variant": F("variant_id"),
        "country": F("order__shipping_country"),
        "month": TruncMonth("order__placed_at"),
    }.get(by or "")
    sums = _grouped(lines, key, units=Coalesce(Sum("quantity"), 0))
    return {group: row["units"] or 0 for group, row in sums.items()}


def _grouped(queryset: QuerySet[Any], key: Any, **aggregates: Any) -> dict[Any, dict[str, Any]]:
    """The aggregates over `queryset` by `key` (or over it all, under the key None)."""
    if key is None:
        return {None: queryset.aggregate(**aggregates)}
    rows = queryset.annotate(group=key).values("group").annotate(**aggregates).order_by()
    return {row.pop("group"): row for row in rows}


def _first_of_group(by: str | None) -> Any:
    """A line is the first of its return in its group: the one that stands for the return."""
    earlier = ReturnLine.objects.filter(ret_id=OuterRef("ret_id"), id__lt=OuterRef("id"))
    if by in LINE_DIMENSIONS:
        path = {
            "product": "order_line__variant__product_id",
            "variant": "order_line__variant_id",
            "reason": "reason_id",
        }[by]
        earlier = earlier.filter(**{path: OuterRef(path)})
    return ~Exists(earlier)


def _money_lines(lines: QuerySet[ReturnLine], by: str | None) -> QuerySet[ReturnLine]:
    """One line per return and group, with its return's refunds paid as columns."""
    money = DecimalField(**MONEY)

    def paid(modes: list[RefundMode]) -> Subquery:
        refunds = (
            Refund.objects.filter(
                ret_id=OuterRef("ret_id"), status=RefundStatus.REFUNDED, mode__in=modes
            )
            .values("ret_id")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return Subquery(refunds, output_field=money)

    return (
        lines.filter(_first_of_group(by))
        .annotate(
            ret_refunded=Coalesce(paid(MONEY_MODES), Value(ZERO, output_field=money)),
            ret_credit=Coalesce(paid([RefundMode.STORE_CREDIT]), Value(ZERO, output_field=money)),
        )
        .annotate(ret_paid=F("ret_refunded") + F("ret_credit"))
    )


def _money_sums(prefix: str = "ret_") -> dict[str, Any]:
    money = DecimalField(**MONEY)
    if prefix:
        return {
            "refunded": Coalesce(Sum("ret_refunded"), Value(ZERO, output_field=money)),
            "store_credit": Coalesce(Sum("ret_credit"), Value(ZERO, output_field=money)),
            "refunded_returns": Count("id", filter=Q(ret_paid__gt=0)),
        }
    return {
        "refunded": Coalesce(
            Sum("amount", filter=Q(mode__in=MONEY_MODES)), Value(ZERO, output_field=money)
        ),
        "store_credit": Coalesce(
            Sum("amount", filter=Q(mode=RefundMode.STORE_CREDIT)), Value(ZERO, output_field=money)
        ),
    }


def _days(lines: QuerySet[ReturnLine], by: str | None, key: Any) -> dict[Any, dict[int, int]]:
    """By group: how many returns were first refunded after how many whole days."""
    first_refund = (
        Refund.objects.filter(ret_id=OuterRef("ret_id"), status=RefundStatus.REFUNDED)
        .order_by("marked_at")
        .values("marked_at")[:1]
    )
    rows = (
        lines.filter(_first_of_group(by))
        .annotate(first_refund=Subquery(first_refund))
        .filter(first_refund__isnull=False)
        .annotate(days=WholeDays(F("first_refund"), F("ret__created_at")))
    )
    keys = ["days"]
    if key is not None:
        rows = rows.annotate(group=key)
        keys = ["group", "days"]
    histogram: dict[Any, dict[int, int]] = defaultdict(dict)
    for row in rows.values(*keys).annotate(n=Count("id")).order_by():
        histogram[row.get("group")][row["days"]] = row["n"]
    return histogram


def _reasons(lines: QuerySet[ReturnLine], key: Any) -> dict[Any, list[tuple[int, int]]]:
    """By group: (reason id, units) of its most returned reasons."""
    rows = lines.values("reason_id") if key is None else lines.annotate(group=key)
    rows = rows.values(*(["reason_id"] if key is None else ["group", "reason_id"]))
    found: dict[Any, list[tuple[int, int]]] = defaultdict(list)
    for row in rows.annotate(units=Sum("quantity")).order_by("-units", "reason_id"):
        group = found[row.get("group")]
        if len(group) < TOP_REASONS:
            group.append((row["reason_id"], row["units"]))
    return found


def _labels(by: str, keys: set[Any]) -> dict[Any, str]:
    """The words of each group's key (one query for names, none for the others)."""
    if by == "product":
        return {p.pk: p.name for p in Product.objects.filter(pk__in=keys)}
    if by == "variant":
        variants = Variant.objects.filter(pk__in=keys).select_related("product")
        return {v.pk: f"{v.sku} · {v.product.name} {v.option}".strip() for v in variants}
    if by == "channel":
        return {key: str(Return.Channel(key).label) for key in keys if key}
    if by == "month":
        return {key: _as_date(key).strftime("%Y-%m") for key in keys if key is not None}
    return {key: key for key in keys}


def _figures(
    key: Any,
    label: str,
    sold: int,
    returned: dict[str, Any],
    money: dict[str, Any],
    days: dict[int, int],
    reasons: list[tuple[str, int]],
) -> Figures:
    average, p90 = _spread(days)
    return Figures(
        key=key,
        label=label,
        sold_units=sold,
        returned_units=returned.get("units") or 0,
        refunded=_cents(money.get("refunded")),
        store_credit=_cents(money.get("store_credit")),
        refunded_returns=money.get("refunded_returns") or 0,
        avg_days=average,
        p90_days=p90,
        top_reasons=tuple(reasons),
    )


def _cents(amount: Decimal | None) -> Decimal:
    # SQLite's SUM drops the trailing zeros; the amounts are stored in cents (shop.models MONEY).
    return (amount or ZERO).quantize(CENT)


def _spread(histogram: dict[int, int]) -> tuple[Decimal | None, int | None]:
    """The average (one decimal) and the 90th percentile (nearest rank) of a histogram."""
    count = sum(histogram.values())
    if not count:
        return None, None
    average = Decimal(sum(d * n for d, n in histogram.items())) / count
    rank = math.ceil(PERCENTILE * count / 100)
    seen = 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= rank:
            return average.quantize(Decimal("0.1")), days
    raise AssertionError("unreachable: the rank is at most the count")


def _order(by: str) -> Any:
    if by == "month":
        return lambda row: row.key
    return lambda row: (-row.returned_units, row.label)


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value
