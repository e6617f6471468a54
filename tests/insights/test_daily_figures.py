"""The daily figures (insights.daily): after a refresh, the analytics page's figures are
returns_report's (insights.reports) for any range and country, on seeded random data; a refresh
is idempotent; beat's refresh finds the old days that changed; the analytics_refresh command."""

import importlib
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connections

from insights import daily
from insights.daily import page_figures, refresh_days, refresh_recent
from insights.models import (
    DAILY_MODELS,
    EVERY_COUNTRY,
    DailyDaysToRefund,
    DailyReturns,
    DailySold,
    Dimension,
    Span,
)
from insights.periods import Period
from insights.reports import refund_mode_shares, refunds_per_week, report
from insights.tasks import refresh_daily_figures
from refunds.models import Refund
from returns.models import Return, ReturnEvent, ReturnLine, ReturnReason
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    VariantFactory,
)
from tests.insights.scenario import PARIS, november

pytestmark = pytest.mark.django_db

COUNTRIES = ["FR", "BE", "DE"]
FIRST, LAST = date(2026, 10, 1), date(2026, 11, 30)


def generated(count: int = 240, seed: int = 18) -> None:
    """`count` orders from 1 Oct to 30 Nov (Paris, at any hour: midnight's both sides), most
    with a return of 1 to 3 lines in any status and refund mode, refunded in money, store credit
    or exchange difference (refunded, pending or failed; some with a partial refund too)."""
    rng = random.Random(seed)
    variants = [
        VariantFactory(product=ProductFactory(name=f"Random {i}"), sku=f"RND-{i}") for i in range(6)
    ]
    reasons = [
        ReturnReason.objects.get_or_create(
            code=f"daily-{i}", defaults={"name_en": f"Reason {i}", "name_fr": f"Raison {i}"}
        )[0]
        for i in range(4)
    ]
    start = datetime(2026, 10, 1, tzinfo=PARIS)
    for n in range(count):
        placed = start + timedelta(minutes=rng.randrange(61 * 24 * 60))
        order = OrderFactory(
            number=f"R-{n}",
            customer=CustomerFactory(),
            shipping_country=rng.choice(COUNTRIES),
            placed_at=placed,
            delivered_at=placed,
            shipping_cost=Decimal("0.00"),
        )
        lines = [
            OrderLineFactory(
                order=order,
                variant=variant,
                quantity=rng.randint(1, 4),
                unit_price_paid=Decimal(rng.randint(500, 9000)) / 100,
            )
            for variant in rng.sample(variants, rng.randint(1, 3))
        ]
        if rng.random() < 0.2:
            continue
        created = placed + timedelta(minutes=rng.randrange(20 * 24 * 60))
        ret = Return.objects.create(
            order=order,
            created_at=created,
            status=rng.choice(Return.Status.values),
            channel=rng.choice(Return.Channel.values),
            refund_mode=rng.choice(Return.RefundMode.values),
        )
        for line in rng.sample(lines, rng.randint(1, len(lines))):
            ReturnLine.objects.create(
                ret=ret,
                order_line=line,
                quantity=rng.randint(1, line.quantity),
                reason=rng.choice(reasons),
            )
        if rng.random() < 0.6:
            marked = created + timedelta(minutes=rng.randrange(40 * 24 * 60))
            mode = rng.choice(Refund.Mode.values)
            status = rng.choice([Refund.Status.REFUNDED] * 3 + [Refund.Status.PENDING])
            _refund(ret, rng.randint(100, 20000), mode, status, marked, f"full-{n}")
            if rng.random() < 0.3:
                marked += timedelta(days=rng.randint(0, 9))
                _refund(ret, rng.randint(1, 999), mode, Refund.Status.REFUNDED, marked, f"p-{n}")


def _refund(ret, cents, mode, status, marked, key):
    Refund.objects.create(
        ret=ret,
        order=ret.order,
        amount=Decimal(cents) / 100,
        currency="EUR",
        quote={},
        mode=mode,
        status=status,
        created_at=marked,
        marked_at=marked if status == Refund.Status.REFUNDED else None,
        is_partial=key.startswith("p-"),
        partial_reason="goodwill" if key.startswith("p-") else "",
        idempotency_key=key,
    )


def _rows():
    return {
        model.__name__: sorted(
            tuple(v for k, v in row.items() if k != "id")
            for row in model.objects.values()  # type: ignore[attr-defined]
        )
        for model in DAILY_MODELS
    }


PERIODS = [
    Period(FIRST, LAST),
    Period(date(2026, 10, 10), date(2026, 11, 3)),
    Period(date(2026, 11, 7), date(2026, 11, 7)),
    Period(FIRST, LAST, "BE"),
    Period(date(2026, 10, 20), date(2026, 11, 20), "FR"),
    Period(date(2026, 12, 1), date(2026, 12, 31)),  # nothing in it
    Period(date(2026, 10, 1), date(2026, 10, 31)),  # one whole month
    Period(date(2026, 10, 1), date(2026, 11, 29)),  # a whole month and days
    Period(date(2026, 9, 30), date(2026, 12, 1)),  # whole months and a day at each edge
    Period(date(2026, 10, 31), date(2026, 11, 1)),  # two days, two months
    Period(date(2026, 10, 2), date(2026, 11, 30), "DE"),
    # weeks (Mondays: 5, 12, 19, 26 Oct, 2 Nov): whole weeks at an edge, across a month's end
    Period(date(2026, 10, 5), date(2026, 10, 18)),  # two whole weeks, no day
    Period(date(2026, 10, 7), date(2026, 11, 30)),  # days, weeks, then whole November
    Period(date(2026, 10, 1), date(2026, 11, 22)),  # whole October, then weeks and days
    Period(date(2026, 10, 24), date(2026, 11, 10), "FR"),  # a week across 31 Oct and 1 Nov
    Period(date(2026, 10, 6), date(2026, 10, 11)),  # six days, no whole week
]


def test_the_page_s_figures_are_the_report_s_on_random_data():
    # given
    generated()
    assert Return.objects.count() > 150
    # when
    refresh_days(FIRST, LAST + timedelta(days=31))
    assert DailyReturns.objects.filter(span=Span.WEEK).count() > 9 * len(COUNTRIES)
    # then: every figure of every row, for ranges, single days and countries
    for period in PERIODS:
        figures = page_figures(period)
        for by, got in (("product", figures.by_product), ("reason", figures.by_reason)):
            expected = report(period, by)
            assert got.rows == expected.rows, (period, by)
            assert got.total == expected.total, (period, by)
            assert got.days_histogram == expected.days_histogram, (period, by)
        assert figures.weeks == refunds_per_week(period), period
        assert figures.modes == refund_mode_shares(period), period
    whole = page_figures(PERIODS[0]).by_product.total
    assert whole.refunded > 0
    assert whole.store_credit > 0
    assert whole.p90_days is not None


def test_the_every_country_rows_are_the_sums_of_the_countries_rows():
    # given
    generated(count=120)
    # when
    refresh_days(FIRST, LAST)
    # then: in every table and span, each "*" row is the sum of its countries' rows, exactly
    for model, (keys, sums) in daily._SUMS.items():
        summed: dict[tuple, list] = {}
        every = {}
        for row in model._default_manager.values():
            ident = (row["span"], row["day"], *(row[k] for k in keys))
            values = [row[name] for name in sums]
            if row["country"] == EVERY_COUNTRY:
                every[ident] = values
            else:
                before = summed.get(ident, [0] * len(sums))
                summed[ident] = [a + b for a, b in zip(before, values, strict=True)]
        assert every == summed, model.__name__
        assert {ident[0] for ident in every} == set(Span.values), model.__name__
    # a group's histogram summed over the countries, as the page reads it without a country
    november_days = DailyDaysToRefund.objects.filter(
        span=Span.MONTH, day=date(2026, 11, 1), dimension=Dimension.TOTAL
    )
    every_days = {r.days: r.returns for r in november_days if r.country == EVERY_COUNTRY}
    by_country: dict[int, int] = defaultdict(int)
    for r in november_days.exclude(country=EVERY_COUNTRY):
        by_country[r.days] += r.returns
    assert every_days == dict(by_country)
    assert sum(every_days.values()) > 10


def test_a_refresh_writes_the_rows_in_their_unique_key_s_order():
    # given: two chunks of days (October, November), every country
    generated(count=60)
    # when
    refresh_days(FIRST, LAST)
    # then: each insert's rows follow (span, day, country, ...), so that a day's rows of a
    # country lie together on disk: the day rows of the countries, then their "*" rows
    for model in DAILY_MODELS:
        fields = model._meta.constraints[0].fields
        days = model._default_manager.filter(span=Span.DAY).order_by("id")
        for rows in (days.exclude(country=EVERY_COUNTRY), days.filter(country=EVERY_COUNTRY)):
            keys = list(rows.values_list(*fields))
            assert keys == sorted(keys), model.__name__
            assert len(keys) > 5, model.__name__


def test_the_migration_makes_the_every_country_rows_a_refresh_makes():
    # given: figures refreshed, then without their "*" rows (a database before 0003)
    generated(count=60)
    refresh_days(FIRST, LAST)
    refreshed = _rows()
    for model in DAILY_MODELS:
        model._default_manager.filter(country=EVERY_COUNTRY).delete()
    assert _rows() != refreshed
    migration = importlib.import_module("insights.migrations.0003_every_country")
    # when
    migration.every_country(apps, None)
    # then: the same rows, every span
    assert _rows() == refreshed
    whole = Period(FIRST, LAST)
    assert page_figures(whole).by_product.total == report(whole, "product").total


def test_the_hand_worked_month_exactly():
    november()
    refresh_days(FIRST, LAST)
    total = page_figures(Period(date(2026, 11, 1), date(2026, 11, 30))).by_product.total
    assert (total.sold_units, total.returned_units, str(total.return_rate)) == (12, 5, "41.7")
    assert (total.refunded, total.store_credit) == (Decimal("130.00"), Decimal("50.00"))
    assert (total.avg_days, total.p90_days) == (Decimal("7.0"), 10)


def test_a_refresh_is_idempotent():
    generated(count=60)
    refresh_days(FIRST, LAST)
    first = _rows()
    refresh_days(FIRST, LAST)
    assert _rows() == first
    assert sum(len(rows) for rows in first.values()) > 100


def test_a_refresh_replaces_a_changed_day_and_leaves_the_others():
    scenario = november()
    refresh_days(FIRST, LAST)
    before = _rows()
    a1 = scenario.returns["A1"]  # requested 5 Nov
    Return.objects.filter(pk=a1.pk).update(status=Return.Status.CANCELLED)
    # when
    refresh_days(date(2026, 11, 5), date(2026, 11, 5))
    # then: 5 Nov lost A1's figures; nothing else moved
    assert not DailyReturns.objects.filter(day=date(2026, 11, 5)).exists()
    after = _rows()
    assert after["DailySold"] == before["DailySold"]
    day_rows = [r for r in before["DailyReturns"] if r[1] == Span.DAY]
    untouched = [r for r in day_rows if r[0] != date(2026, 11, 5)]
    assert [r for r in after["DailyReturns"] if r[1] == Span.DAY] == untouched
    # and November's month row lost A1 with it, and so did its week's (Monday 2 Nov)
    month = DailyReturns.objects.get(
        span=Span.MONTH, day=date(2026, 11, 1), country="FR", dimension=Dimension.TOTAL
    )
    assert month.returned_units == 1  # D1 only
    week_of = {"span": Span.WEEK, "country": "FR", "dimension": Dimension.TOTAL}
    assert not DailyReturns.objects.filter(day=date(2026, 11, 2), **week_of).exists()

    def other_weeks(rows):
        return [r for r in rows if r[1] == Span.WEEK and r[0] != date(2026, 11, 2)]

    assert other_weeks(after["DailyReturns"]) == other_weeks(before["DailyReturns"])


def test_beat_refreshes_the_old_day_of_a_return_that_changed():
    scenario = november()
    refresh_days(FIRST, LAST)
    b1 = scenario.returns["B1"]  # requested 10 Nov, status changed "now"
    now = datetime(2026, 12, 20, 12, tzinfo=PARIS)
    Return.objects.filter(pk=b1.pk).update(status=Return.Status.REJECTED)
    ReturnEvent.objects.create(ret=b1, created_at=now - timedelta(minutes=5))
    # when
    done = refresh_recent(now=now)
    # then: the three last days and 10 Nov
    assert done.days == 4
    assert not DailyReturns.objects.filter(day=date(2026, 11, 10)).exists()
    assert DailyReturns.objects.filter(day=date(2026, 11, 5), dimension=Dimension.TOTAL).exists()


def test_beat_fills_empty_tables_from_the_first_order_to_today():
    # given: a database whose returns came before the figures (no row in any table)
    november()
    first, today = daily.days_with_data(date(2026, 12, 20))
    assert _rows() == {model.__name__: [] for model in DAILY_MODELS}
    # when
    done = refresh_recent(now=datetime(2026, 12, 20, 12, tzinfo=PARIS))
    # then: every day from the first order's, as a refresh of that whole range makes them
    assert (first, today, done.days) == (first, date(2026, 12, 20), (today - first).days + 1)
    assert first <= date(2026, 10, 31)  # D was placed in October
    filled = _rows()
    refresh_days(first, today)
    assert _rows() == filled
    assert page_figures(Period(date(2026, 11, 1), date(2026, 11, 30))).by_product.total.sold_units


def test_beat_on_an_empty_shop_does_nothing():
    assert daily.days_with_data() is None
    assert refresh_recent() == daily.Refreshed(days=0, rows=0)


def test_beat_runs_the_refresh_every_15_minutes(settings):
    november()
    assert settings.CELERY_BEAT_SCHEDULE["analytics-refresh"] == {
        "task": "insights.tasks.refresh_daily_figures",
        "schedule": 900.0,
    }
    # the task itself: its first run fills the empty tables, the next ones rebuild today and
    # the two days before (nothing in them here)
    filled = refresh_daily_figures()
    assert filled == sum(len(rows) for rows in _rows().values()) > 0
    assert refresh_daily_figures() == 0
    assert sum(len(rows) for rows in _rows().values()) == filled


def test_a_failed_refresh_leaves_the_previous_figures_whole(monkeypatch):
    november()
    refresh_days(FIRST, LAST)
    before = _rows()
    Return.objects.update(status=Return.Status.CANCELLED)
    calls = []
    rebuild = daily._rebuild

    def fails_on_the_second_chunk(period):
        calls.append(period)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return rebuild(period)

    monkeypatch.setattr(daily, "_rebuild", fails_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        refresh_days(FIRST, LAST)  # two chunks: October, then November
    assert len(calls) == 2
    assert _rows() == before


# --- manage.py analytics_refresh ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _connection_kept(monkeypatch):
    """manage.py's argv path closes the connections when done; a test's transaction on
    PostgreSQL cannot reopen them, and these tests read the tables after the command."""
    monkeypatch.setattr(connections, "close_all", lambda: None)


def test_command_rebuilds_the_range(manage):
    november()
    code, out, err = manage(
        "analytics_refresh", "--since", "2026-11-01", "--until", "2026-11-30", "--apply"
    )
    assert (code, err) == (0, "")
    assert out.startswith("30 day(s) from 2026-11-01 to 2026-11-30 rebuilt: ")
    assert (
        DailySold.objects.filter(span=Span.DAY, day__month=11)
        .exclude(country=EVERY_COUNTRY)
        .count()
        == 5
    )
    # D was placed in October
    assert not DailySold.objects.filter(span=Span.DAY, day__month=10).exists()


def test_command_rebuilds_every_day_with_all(manage):
    november()
    first, today = daily.days_with_data()
    code, out, err = manage("analytics_refresh", "--all", "--apply")
    assert (code, err) == (0, "")
    assert out.startswith(f"{(today - first).days + 1} day(s) from {first} to {today} rebuilt: ")
    assert (
        DailySold.objects.filter(span=Span.DAY, day__month=11)
        .exclude(country=EVERY_COUNTRY)
        .count()
        == 5
    )


def test_command_dry_run_changes_nothing(manage):
    november()
    code, out, _err = manage("analytics_refresh", "--since", "2026-11-01", "--until", "2026-11-30")
    assert code == 0
    assert "dry run: nothing changed" in out
    assert _rows() == {model.__name__: [] for model in DAILY_MODELS}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "2026-11-31", "--until", "2026-11-30"], "is not a date"),
        (["--since", "2026-11-30", "--until", "2026-11-01"], "is after --until"),
        (["--until", "2026-11-30"], "--since"),
        (["--all", "--since", "2026-11-01"], "--all takes no --since"),
    ],
)
def test_command_refuses_bad_arguments(manage, argv, message):
    november()
    code, _out, err = manage("analytics_refresh", *argv, "--apply")
    assert code == 2
    assert message in err
    assert not DailyReturns.objects.exists()


def test_command_failing_in_the_middle_writes_nothing(manage, monkeypatch):
    november()
    calls = []
    rebuild = daily._rebuild

    def fails_on_the_second_chunk(period):
        calls.append(period)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return rebuild(period)  # October's rows are written, then rolled back

    monkeypatch.setattr(daily, "_rebuild", fails_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        manage("analytics_refresh", "--since", "2026-10-01", "--until", "2026-11-30", "--apply")
    assert len(calls) == 2
    assert _rows() == {model.__name__: [] for model in DAILY_MODELS}
