"""The returns overview's export: the rows of export_returns for the overview's current filter,
streamed, to staff who may see insights only."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.test import Client

from tests.fixtures.web import logged_in
from tests.insights.scenario import november

pytestmark = pytest.mark.django_db

URL = "/admin/insights/export/"


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_the_filtered_overview_streams_as_csv(agent):
    # given
    scenario = november()
    # when
    response = logged_in(agent).get(URL, {"status__exact": "completed"})
    # then
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="returns-')
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    a1 = scenario.returns["A1"].rma_number
    assert [(r["rma_number"], r["sku"], r["line_amount"]) for r in rows] == [
        (a1, "SHIRT-L", "100.00"),
        (a1, "SCARF-U", "30.00"),
    ]


def test_json_and_a_search(agent):
    scenario = november()
    b1 = scenario.returns["B1"].rma_number
    response = logged_in(agent).get(URL, {"q": b1, "_format": "json"})
    assert response["Content-Type"] == "application/json"
    assert [(r["rma_number"], r["refunds"]) for r in json.loads(_body(response))] == [
        (b1, "store_credit:refunded:50.00")
    ]


def test_no_filter_is_every_return(manager):
    november()
    rows = list(csv.DictReader(io.StringIO(_body(logged_in(manager).get(URL)))))
    assert len(rows) == 5


def test_refused_to_plain_staff_and_anonymous(plain_staff):
    november()
    refused = logged_in(plain_staff).get(URL)
    assert refused.status_code == 403
    assert not refused.streaming
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")


def test_an_unknown_format_is_a_400(agent):
    assert logged_in(agent).get(URL, {"_format": "pdf"}).status_code == 400


def test_the_overview_offers_it_with_its_filter(agent, plain_staff):
    november()
    page = logged_in(agent).get("/admin/returns/return/", {"status__exact": "received"})
    html = page.content.decode()
    assert f'href="{URL}?status__exact=received" id="export-csv"' in html
    assert f'href="{URL}?status__exact=received&amp;_format=json" id="export-json"' in html
    assert f'href="{URL}?status__exact=received&amp;_format=xlsx" id="export-xlsx"' in html


def test_xlsx_is_the_same_rows_as_a_workbook(agent, tmp_path):
    # given
    from openpyxl import load_workbook

    scenario = november()
    # when
    response = logged_in(agent).get(URL, {"status__exact": "completed", "_format": "xlsx"})
    # then: a workbook whose sheet holds the header and the CSV's rows
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="returns-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    saved = tmp_path / "download.xlsx"
    saved.write_bytes(b"".join(response.streaming_content))
    rows = list(load_workbook(saved, read_only=True)["returns"].values)
    header = list(rows[0])
    a1 = scenario.returns["A1"].rma_number
    picked = [
        (r[header.index("rma_number")], r[header.index("sku")], r[header.index("line_amount")])
        for r in rows[1:]
    ]
    # amounts are numbers in a workbook (a spreadsheet sums them), equal to the CSV's
    assert [(rma, sku, Decimal(str(amount))) for rma, sku, amount in picked] == [
        (a1, "SHIRT-L", Decimal("100.00")),
        (a1, "SCARF-U", Decimal("30.00")),
    ]
