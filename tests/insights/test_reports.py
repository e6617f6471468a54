"""The figures of insights.reports on a month worked out by hand (tests/insights/scenario.py)."""

from decimal import Decimal

import pytest
from django.utils import translation

from insights.periods import period_of
from insights.reports import refund_mode_shares, refunds_per_week, report
from tests.insights.scenario import SINCE, UNTIL, november

pytestmark = pytest.mark.django_db


def _rows(result):
    return {
        row.label: (
            row.sold_units,
            row.returned_units,
            row.return_rate,
            row.refunded,
            row.store_credit,
            row.refunded_returns,
            row.avg_days,
            row.p90_days,
        )
        for row in [*result.rows, result.total]
    }


def test_by_product_exact_figures():
    # given
    november()
    # when
    with translation.override("en"):
        result = report(period_of(SINCE, UNTIL), "product")
    # then
    D = Decimal
    assert _rows(result) == {
        "Linen shirt": (6, 4, D("66.7"), D("130.00"), D("50.00"), 2, D("7.0"), 10),
        "Wool scarf": (6, 1, D("16.7"), D("130.00"), D("0.00"), 1, D("4.0"), 4),
        "Total": (12, 5, D("41.7"), D("130.00"), D("50.00"), 2, D("7.0"), 10),
    }
    assert [row.label for row in result.rows] == ["Linen shirt", "Wool scarf"]
    assert result.total.top_reasons == (("Too small", 4), ("Damaged", 1))
    assert result.rows[0].top_reasons == (("Too small", 4),)
    assert result.days_histogram == {4: 1, 10: 1}


def test_by_reason_measures_each_against_all_units_sold():
    november()
    with translation.override("fr"):
        result = report(period_of(SINCE, UNTIL), "reason")
    D = Decimal
    assert _rows(result) == {
        "Trop petit": (12, 4, D("33.3"), D("130.00"), D("50.00"), 2, D("7.0"), 10),
        "Abîmé": (12, 1, D("8.3"), D("130.00"), D("0.00"), 1, D("4.0"), 4),
        "Total": (12, 5, D("41.7"), D("130.00"), D("50.00"), 2, D("7.0"), 10),
    }


def test_by_country_and_a_country_filter():
    november()
    D = Decimal
    by_country = _rows(report(period_of(SINCE, UNTIL), "country"))
    assert by_country["FR"] == (10, 4, D("40.0"), D("130.00"), D("0.00"), 1, D("4.0"), 4)
    assert by_country["BE"] == (2, 1, D("50.0"), D("0.00"), D("50.00"), 1, D("10.0"), 10)
    only_be = report(period_of(SINCE, UNTIL, "be"), "product")
    assert _rows(only_be)["Total"] == (2, 1, D("50.0"), D("0.00"), D("50.00"), 1, D("10.0"), 10)


def test_by_channel_and_month():
    november()
    with translation.override("en"):
        by_channel = _rows(report(period_of(SINCE, UNTIL), "channel"))
        by_month = _rows(report(period_of("2026-10-01", UNTIL), "month"))
    D = Decimal
    assert by_channel["customer portal"][:3] == (12, 4, D("33.3"))
    assert by_channel["back-office"][:3] == (12, 1, D("8.3"))
    # October: order D sold one shirt, returned in November.
    assert by_month["2026-10"][:3] == (1, 0, D("0.0"))
    assert by_month["2026-11"][:3] == (12, 5, D("41.7"))


def test_an_empty_period_has_a_total_of_zeros():
    november()
    result = report(period_of("2025-01-01", "2025-01-31"), "product")
    assert result.rows == []
    assert _rows(result)["Total"] == (0, 0, None, Decimal("0"), Decimal("0"), 0, None, None)


def test_refunds_per_week_and_mode_shares():
    november()
    period = period_of(SINCE, UNTIL)
    weeks = refunds_per_week(period)
    assert [(w.isoformat(), r, c) for w, r, c in weeks] == [
        ("2026-11-09", Decimal("130.00"), Decimal("0.00")),
        ("2026-11-16", Decimal("0.00"), Decimal("50.00")),
    ]
    assert refund_mode_shares(period) == {"money_back": 1, "store_credit": 1, "exchange": 1}
