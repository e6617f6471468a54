"""manage.py returns_report: the figures in a table, CSV and JSON; bad arguments refused."""

import csv
import io
import json

import pytest
from django.utils import translation

from tests.insights.scenario import SINCE, UNTIL, november

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_table(manage):
    november()
    code, out, err = manage("returns_report", "--since", SINCE, "--until", UNTIL)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == [
        "sold", "returned", "rate", "%", "refunded", "credit", "refunds", "avg", "d", "p90", "d",
        "top", "reasons",
    ]  # fmt: skip
    assert lines[2].split()[:10] == [
        "Linen", "shirt", "6", "4", "66.7", "130.00", "50.00", "2", "7.0", "10",
    ]  # fmt: skip
    assert lines[-1].split()[:9] == [
        "Total",
        "12",
        "5",
        "41.7",
        "130.00",
        "50.00",
        "2",
        "7.0",
        "10",
    ]
    assert lines[-1].endswith("Too small (4); Damaged (1)")


def test_csv_by_country(manage):
    november()
    code, out, _ = manage(
        "returns_report", "--since", SINCE, "--until", UNTIL, "--by", "country", "--format", "csv"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [
        (r["group"], r["sold_units"], r["return_rate_percent"], r["store_credit"]) for r in rows
    ] == [
        ("FR", "10", "40.0", "0.00"),
        ("BE", "2", "50.0", "50.00"),
        ("Total", "12", "41.7", "50.00"),
    ]
    assert rows[1]["avg_days_to_refund"] == "10.0"


def test_json_by_reason(manage):
    november()
    code, out, _ = manage(
        "returns_report", "--since", SINCE, "--until", UNTIL, "--by", "reason", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert (data["since"], data["until"], data["by"], data["country"]) == (
        SINCE,
        UNTIL,
        "reason",
        None,
    )
    assert [(r["group"], r["returned_units"], r["return_rate_percent"]) for r in data["rows"]] == [
        ("Too small", 4, "33.3"),
        ("Damaged", 1, "8.3"),
    ]
    assert data["total"]["p90_days_to_refund"] == 10
    assert data["total"]["top_reasons"] == [
        {"reason": "Too small", "units": 4},
        {"reason": "Damaged", "units": 1},
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "2026-13-01", "--until", UNTIL], "--since: '2026-13-01' is not a date"),
        (["--since", SINCE, "--until", "soon"], "--until: 'soon' is not a date"),
        (
            ["--since", UNTIL, "--until", SINCE],
            "--since (2026-11-30) is after --until (2026-11-01)",
        ),
        (["--since", SINCE, "--until", UNTIL, "--format", "xml"], "--format: unknown 'xml'"),
        (["--since", SINCE, "--until", UNTIL, "--by", "colour"], "--by: unknown 'colour'"),
    ],
)
def test_bad_arguments(manage, argv, message):
    code, out, err = manage("returns_report", *argv)
    assert code == 2
    assert out == ""
    assert message in err


def test_missing_dates_are_a_usage_error(manage):
    code, out, err = manage("returns_report", "--since", SINCE)
    assert (code, out) == (2, "")
    assert "the following arguments are required: --until" in err
