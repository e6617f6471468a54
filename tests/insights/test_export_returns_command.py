"""manage.py export_returns: one row per return line, amounts from the money state; a file is
written whole or not at all; bad arguments refused."""

import csv
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from insights import exports
from insights.exports import COLUMNS
from tests.insights.scenario import SINCE, UNTIL, november

pytestmark = pytest.mark.django_db


def _csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_to_stdout_rereads_to_the_same_rows_and_totals(manage):
    # given
    scenario = november()
    # when
    code, out, err = manage("export_returns", "--since", SINCE, "--until", UNTIL)
    # then
    assert (code, err) == (0, "")
    rows = _csv(out)
    assert list(rows[0]) == COLUMNS
    a1, b1, c1, d1 = (scenario.returns[k].rma_number for k in ("A1", "B1", "C1", "D1"))
    assert [(r["rma_number"], r["sku"], r["quantity"], r["reason_code"]) for r in rows] == [
        (a1, "SHIRT-L", "2", "report-too-small"),
        (a1, "SCARF-U", "1", "report-damaged"),
        (c1, "SCARF-U", "1", "report-damaged"),
        (b1, "SHIRT-L", "1", "report-too-small"),
        (d1, "SHIRT-L", "1", "report-too-small"),
    ]
    assert [r["line_amount"] for r in rows] == ["100.00", "30.00", "30.00", "50.00", "50.00"]
    first = rows[0]
    assert (first["return_status"], first["channel"], first["refund_mode"]) == (
        "completed",
        "portal",
        "money_back",
    )
    assert (first["order_number"], first["shipping_country"], first["currency"]) == (
        "A-1",
        "FR",
        "EUR",
    )
    assert first["requested_at"] == "2026-11-05T10:00:00+01:00"
    assert (first["return_quote_total"], first["refunded"], first["left_to_refund"]) == (
        "130.00",
        "130.00",
        "0.00",
    )
    assert first["refunds"] == "original_payment:refunded:130.00"
    # the totals: return-level amounts once per RMA
    once = {r["rma_number"]: r for r in rows}
    assert sum(int(r["quantity"]) for r in rows) == 6
    assert sum(Decimal(r["line_amount"]) for r in rows) == Decimal("260.00")
    assert sum(Decimal(r["refunded"]) for r in once.values()) == Decimal("180.00")
    assert sum(Decimal(r["left_to_refund"]) for r in once.values()) == Decimal("50.00")  # D1


def test_small_chunks_give_the_same_rows(manage):
    november()
    whole = list(exports.export_rows(exports.returns_in(_period())))
    assert list(exports.export_rows(exports.returns_in(_period()), chunk_size=1)) == whole
    assert len(whole) == 5


def _period(country=""):
    from insights.periods import period_of

    return period_of(SINCE, UNTIL, country)


def test_json_to_a_file_with_a_country(manage, tmp_path):
    november()
    target = tmp_path / "be.json"
    code, out, err = manage(
        "export_returns", "--since", SINCE, "--until", UNTIL, "--country", "BE",
        "--format", "json", "--output", str(target),
    )  # fmt: skip
    assert (code, out) == (0, "")
    assert err == f"Wrote {target}.\n"
    data = json.loads(target.read_text())
    assert [(r["order_number"], r["quantity"], r["refunds"]) for r in data] == [
        ("B-1", 1, "store_credit:refunded:50.00")
    ]
    assert (data[0]["refunded"], data[0]["received_quantity"]) == ("50.00", 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["be.json"]


def test_xlsx_reads_back(manage, tmp_path):
    november()
    target = tmp_path / "returns.xlsx"
    code, _, _ = manage(
        "export_returns", "--since", SINCE, "--until", UNTIL, "--format", "xlsx",
        "--output", str(target),
    )  # fmt: skip
    assert code == 0
    sheet = load_workbook(target, read_only=True)["returns"]
    values = list(sheet.values)
    assert list(values[0]) == COLUMNS
    assert len(values) == 6
    assert sum(row[COLUMNS.index("quantity")] for row in values[1:]) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["returns.xlsx"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_failure_in_the_middle_leaves_the_old_file_and_no_part(
    manage, tmp_path, monkeypatch, fmt
):
    # given: a file from yesterday, and an export that fails on its second return
    november()
    target = tmp_path / f"returns.{fmt}"
    target.write_text("yesterday's export")
    real = exports._rows_of
    seen = []

    def failing(ret, money):
        seen.append(ret.pk)
        if len(seen) == 2:
            raise RuntimeError("the database went away")
        return real(ret, money)

    monkeypatch.setattr(exports, "_rows_of", failing)
    # when
    with pytest.raises(RuntimeError, match="the database went away"):
        manage(
            "export_returns", "--since", SINCE, "--until", UNTIL, "--format", fmt,
            "--output", str(target),
        )  # fmt: skip
    # then
    assert target.read_text() == "yesterday's export"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"returns.{fmt}"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "2026-02-30", "--until", UNTIL], "--since: '2026-02-30' is not a date"),
        (
            ["--since", UNTIL, "--until", SINCE],
            "--since (2026-11-30) is after --until (2026-11-01)",
        ),
        (["--since", SINCE, "--until", UNTIL, "--format", "pdf"], "--format: unknown 'pdf'"),
        (["--since", SINCE, "--until", UNTIL, "--format", "xlsx"], "--format xlsx needs --output"),
        (
            ["--since", SINCE, "--until", UNTIL, "--output", "/nowhere/x.csv"],
            "--output: no directory /nowhere",
        ),
    ],
)
def test_bad_arguments(manage, argv, message):
    code, out, err = manage("export_returns", *argv)
    assert code == 2
    assert out == ""
    assert message in err
