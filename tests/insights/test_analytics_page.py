"""The analytics page: who may open it, its figures (those of returns_report), its query count
(independent of the number of returns)."""

import io
import json

import pytest
from django.core.management import call_command
from django.utils import translation

from tests.fixtures.web import logged_in
from tests.insights.scenario import SINCE, UNTIL, many, november, refreshed

pytestmark = pytest.mark.django_db

URL = "/admin/insights/analytics/"
QUERY = {"since": SINCE, "until": UNTIL}
# The admin's own 8 (session, user, permissions, the shop's settings...), then the 8 of the daily
# figures (insights.daily.page_figures): returns, days to refund, units sold, units by product and
# reason, refunds per week, refund modes, the reasons' and the products' names. The same at 5 and
# at 500 returns.
PAGE_QUERIES = 16


def _report_json(by: str) -> str:
    # call_command, not manage.py's argv path: that one closes the connection when done
    # (a test's transaction on PostgreSQL cannot reopen it), and this test runs it twice.
    out = io.StringIO()
    call_command(
        "returns_report", "--since", SINCE, "--until", UNTIL, "--by", by, "--format", "json",
        stdout=out,
    )  # fmt: skip
    return out.getvalue()


def test_the_figures_are_returns_report_s(agent):
    # given
    refreshed(november)
    client = logged_in(agent)
    # when
    response = client.get(URL, QUERY)
    with translation.override("en"):
        out = _report_json("product")
        by_reason = _report_json("reason")
    # then
    assert response.status_code == 200
    report = json.loads(out)
    page = response.context
    assert [
        (r.label, r.sold_units, r.returned_units, str(r.return_rate))
        for r in page["by_product"].rows
    ] == [
        (r["group"], r["sold_units"], r["returned_units"], r["return_rate_percent"])
        for r in report["rows"]
    ]
    total = report["total"]
    assert (
        str(page["total"].return_rate),
        str(page["total"].refunded),
        str(page["total"].store_credit),
        str(page["total"].avg_days),
        page["total"].p90_days,
    ) == (
        total["return_rate_percent"],
        total["refunded"],
        total["store_credit"],
        total["avg_days_to_refund"],
        total["p90_days_to_refund"],
    )
    assert [(r.label, r.returned_units) for r in page["by_reason"].rows] == [
        (r["group"], r["returned_units"]) for r in json.loads(by_reason)["rows"]
    ]
    html = response.content.decode()
    assert '<span class="n" data-figure="return-rate">41.7 %</span>' in html
    assert '<span class="n" data-figure="refunded">€130.00</span>' in html
    assert '<span class="n" data-figure="store-credit">€50.00</span>' in html
    assert '<span class="n" data-figure="p90-days">10</span>' in html
    assert '<title id="chart-product-title">' in html
    # the time ranges: A1 after 4 days, B1 after 10
    assert [(first, last, n) for first, last, n in page["ranges"]] == [
        (0, 2, 0), (3, 7, 1), (8, 14, 1), (15, 30, 0), (31, None, 0)
    ]  # fmt: skip
    assert page["modes"] == [("money back", 1, 33), ("store credit", 1, 33), ("exchange", 1, 33)]


@pytest.mark.parametrize("count", [5, 500])
def test_query_count_does_not_grow_with_returns(agent, count, django_assert_num_queries):
    refreshed(lambda: many(count))
    client = logged_in(agent)
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(URL, QUERY)
    assert response.status_code == 200
    assert response.context["total"].returned_units == count


def test_a_country_filters_every_figure(agent):
    refreshed(november)
    response = logged_in(agent).get(URL, {**QUERY, "country": "be"})
    assert response.context["total"].returned_units == 1
    assert response.context["modes"] == [
        ("money back", 0, 0),
        ("store credit", 1, 100),
        ("exchange", 0, 0),
    ]
    assert [str(w) for w, _, _ in response.context["weeks"]] == ["2026-11-16"]


def test_a_reversed_period_is_refused_on_the_page(agent):
    november()
    response = logged_in(agent).get(URL, {"since": UNTIL, "until": SINCE})
    assert response.status_code == 200
    assert "The first day is after the last one." in response.content.decode()
    assert "total" not in response.context


def test_plain_staff_may_not(plain_staff):
    response = logged_in(plain_staff).get(URL, QUERY)
    assert response.status_code == 403


def test_the_home_links_to_it(agent, plain_staff):
    assert 'id="analytics-link"' in logged_in(agent).get("/admin/").content.decode()
    assert 'id="analytics-link"' not in logged_in(plain_staff).get("/admin/").content.decode()
