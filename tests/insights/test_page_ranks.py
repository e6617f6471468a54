"""The analytics page's ranked figures (insights.daily.page_figures): each product's top reasons,
and each group's average and 90th percentile of days to refund, are what insights.reports makes
of the same sums (its ordering of reasons, its _spread), on random daily rows: ties of units,
groups of one return or many, a week's rows and days' rows summed together, and rows the period
must not read (a day inside its whole week, another country)."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insights import daily
from insights.models import (
    EVERY_COUNTRY,
    DailyDaysToRefund,
    DailyProductReason,
    DailySold,
    Dimension,
    Span,
)
from insights.periods import Period
from insights.reports import TOP_REASONS, _spread
from returns.models import ReturnReason

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 10, 5)
# A whole week (read as its week row) and three days after it (read as day rows).
PERIOD = Period(MONDAY, MONDAY + timedelta(days=9))
WHERE = ["week", 7, 8, 9]  # the week row, or a day row of that day after the Monday
GROUPS = [
    (Dimension.TOTAL, 0),
    (Dimension.PRODUCT, 1),
    (Dimension.PRODUCT, 2),
    (Dimension.REASON, 1),
    (Dimension.REASON, 3),
]
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _placed(where) -> dict:
    if where == "week":
        return {"span": Span.WEEK, "day": MONDAY}
    return {"span": Span.DAY, "day": MONDAY + timedelta(days=where)}


def _products() -> None:
    """Products 1 to 4 sold in the period: each has a row on the page."""
    DailySold.objects.bulk_create(
        DailySold(span=Span.WEEK, day=MONDAY, country=EVERY_COUNTRY, product=product, units=9)
        for product in range(1, 5)
    )


def _page_groups() -> dict:
    """(dimension, key) -> the page's Figures of that group."""
    figures = daily.page_figures(PERIOD)
    groups = {(Dimension.TOTAL, 0): figures.by_product.total}
    groups |= {(Dimension.PRODUCT, row.key): row for row in figures.by_product.rows}
    groups |= {(Dimension.REASON, row.key): row for row in figures.by_reason.rows}
    return groups


def _name(reason: int) -> str:
    """A reason as the page names it: its name, or its id if there is no such reason."""
    found = ReturnReason.objects.filter(pk=reason).first()
    return found.name if found else str(reason)


def _unread(model, **row) -> list:
    """Rows the period must not read: a day row inside its whole week, another country's."""
    inside = {"span": Span.DAY, "day": MONDAY + timedelta(days=2), "country": EVERY_COUNTRY}
    return [model(**inside, **row), model(span=Span.WEEK, day=MONDAY, country="FR", **row)]


@EXAMPLES
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(WHERE), st.sampled_from(GROUPS), st.integers(0, 40)),
        st.integers(1, 6),
        max_size=50,
    )
)
def test_each_group_s_days_to_refund_are_the_report_s_spread(rows):
    # given
    DailyDaysToRefund.objects.all().delete()
    DailySold.objects.all().delete()
    made = [
        DailyDaysToRefund(
            **_placed(where),
            country=EVERY_COUNTRY,
            dimension=dimension,
            key=key,
            days=days,
            returns=n,
        )
        for (where, (dimension, key), days), n in rows.items()
    ]
    made += _unread(DailyDaysToRefund, dimension=Dimension.PRODUCT, key=1, days=99, returns=50)
    made += _unread(DailyDaysToRefund, dimension=Dimension.TOTAL, key=0, days=98, returns=50)
    DailyDaysToRefund.objects.bulk_create(made)
    histograms: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (_where, group, days), n in rows.items():
        histograms[group][days] += n
    _products()
    # when
    groups = _page_groups()
    histogram = daily.page_figures(PERIOD).by_product.days_histogram
    # then: every group on the page (the reasons' only with returned units: none here)
    for group, row in groups.items():
        assert (row.avg_days, row.p90_days) == _spread(histograms.get(group, {})), group
    assert histogram == dict(histograms.get((Dimension.TOTAL, 0), {}))
    assert 98 not in histogram
    assert all(row.p90_days != 99 for row in groups.values())


@EXAMPLES
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(WHERE), st.integers(1, 4), st.integers(1, 6)),
        st.integers(1, 4),
        max_size=60,
    )
)
def test_each_product_s_top_reasons_are_the_report_s(rows):
    # given
    DailyProductReason.objects.all().delete()
    DailySold.objects.all().delete()
    _products()
    made = [
        DailyProductReason(
            **_placed(where), country=EVERY_COUNTRY, product=product, reason=reason, units=n
        )
        for (where, product, reason), n in rows.items()
    ]
    made += _unread(DailyProductReason, product=1, reason=9, units=100)
    DailyProductReason.objects.bulk_create(made)
    units: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (_where, product, reason), n in rows.items():
        units[product][reason] += n
    # the report's order: most units, then the reason's id; its first TOP_REASONS
    expected = {
        product: tuple(
            (_name(reason), n)
            for reason, n in sorted(units[product].items(), key=lambda pair: (-pair[1], pair[0]))
        )[:TOP_REASONS]
        for product in range(1, 5)
    }
    # when
    groups = _page_groups()
    # then
    found = {key: row.top_reasons for (dimension, key), row in groups.items()}
    assert {key: found[key] for key in expected} == expected


def test_a_tie_at_the_third_reason_keeps_the_smaller_id_and_a_tie_at_the_percentile_its_day():
    # given: product 1's reasons 5, 2 and 7 tie at 3 units under reason 4's 6 (3 of 4 kept)
    reasons = {4: 6, 5: 3, 2: 3, 7: 3}
    DailyProductReason.objects.bulk_create(
        DailyProductReason(
            span=Span.DAY,
            day=MONDAY + timedelta(days=8),
            country=EVERY_COUNTRY,
            product=1,
            reason=reason,
            units=n,
        )
        for reason, n in reasons.items()
    )
    # and ten returns: 9 refunded after 2 days, one after 30: the 90th is the 9th, 2 days
    DailyDaysToRefund.objects.bulk_create(
        DailyDaysToRefund(
            span=Span.DAY,
            day=MONDAY + timedelta(days=8),
            country=EVERY_COUNTRY,
            dimension=Dimension.TOTAL,
            key=0,
            days=days,
            returns=n,
        )
        for days, n in ((2, 9), (30, 1))
    )
    _products()
    # when
    groups = _page_groups()
    # then
    expected = ((_name(4), 6), (_name(2), 3), (_name(5), 3))
    assert groups[(Dimension.PRODUCT, 1)].top_reasons == expected
    assert daily.page_figures(PERIOD).by_product.days_histogram == {2: 9, 30: 1}
    total = groups[(Dimension.TOTAL, 0)]
    assert (total.avg_days, total.p90_days) == (Decimal("4.8"), 2)
