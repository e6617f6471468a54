"""The overview reads its page through the index of its ordering on PostgreSQL: the default
order, a status filter and a deep page each walk an index, and the page's ids (the rows query's
subquery) compute no subquery for the rows they skip (issue of scale: the last page ran three
correlated subqueries for each of 10,000 skipped rows). The rows' columns are read for the page's
ids only."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from returns.models import Return, ReturnStatus
from tests.factories import make_order

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

OVERVIEW = "/admin/returns/return/"


@pytest.fixture
def many_returns(customer):
    """300 returns of one order, a minute apart, one in five requested (the rest approved)."""
    order = make_order([(1, "20.00")], customer=customer)
    now = timezone.now()
    Return.objects.bulk_create(
        Return(
            order=order,
            channel=Return.Channel.PORTAL,
            status=ReturnStatus.REQUESTED if index % 5 == 0 else ReturnStatus.APPROVED,
            created_at=now - timedelta(minutes=index),
        )
        for index in range(300)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE returns_return")


def _plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        # A test table is tiny, where a sequential scan is always cheapest: forbid it, so the
        # plan shows which index the planner has for the query at any size.
        cursor.execute("SET LOCAL enable_seqscan = off")
        # Sorting a few dozen rows is cheapest too: forbidden, the planner still sorts when no
        # index gives the page's order, so "no Sort in the plan" proves that one does.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


IDS_OPENING = '"returns_return"."id" IN (SELECT '


def _ids_subquery(rows_sql: str) -> str:
    """The page's ids: the subquery of the rows query (`id IN (SELECT ... LIMIT 50)`)."""
    start = rows_sql.index(IDS_OPENING) + len(IDS_OPENING) - len("SELECT ")
    depth = 0
    for end in range(start - 1, len(rows_sql)):
        depth += {"(": 1, ")": -1}.get(rows_sql[end], 0)
        if depth == 0:
            return rows_sql[start:end]
    raise AssertionError(rows_sql)


def _page_queries(client, query: str, rows: int = 50) -> tuple[str, str]:
    """The SQL of the overview's ids (its rows query's subquery) and of its rows query."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{OVERVIEW}?{query}")
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows
    selects = [q["sql"] for q in captured.captured_queries if "returns_return" in q["sql"]]
    (rows_sql,) = [sql for sql in selects if IDS_OPENING in sql]
    return _ids_subquery(rows_sql), rows_sql


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("", "return_created_id"),
        ("p=2", "return_created_id"),
        ("status__exact=requested", "return_status_created_id"),
        ("o=3&p=2", "return_status_created_id"),
        ("o=7&p=2", "return_created_id"),
    ],
    ids=["default order", "deep page", "status filter", "sorted by status", "oldest first"],
)
def test_the_page_is_read_through_the_index_of_its_order(as_agent, many_returns, query, index):
    # when
    ids_sql, rows_sql = _page_queries(as_agent, query)
    # then: the ids walk the index, nothing else computed for the rows skipped
    plan = _plan_of(ids_sql)
    assert re.search(rf"Index (Only )?Scan (Backward )?using {index}", plan), plan
    assert "SubPlan" not in plan, plan
    assert "Sort" not in plan, plan
    assert ("OFFSET 50" in ids_sql) == query.endswith("p=2")
    # the columns' subqueries run for the page's 50 ids only, found by primary key
    rows_plan = _plan_of(rows_sql)
    assert "returns_return_pkey" in rows_plan, rows_plan


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("channel__exact=backoffice", "return_backoffice_created"),
        ("refund_mode__exact=store_credit", "return_credit_created"),
        ("refund_mode__exact=exchange", "return_exchange_created"),
        ("delivery_option__exact=in_store", "return_in_store_created"),
    ],
)
def test_a_rare_value_is_read_through_its_partial_index(as_agent, many_returns, query, index):
    # when: no return has that value
    with CaptureQueriesContext(connection) as captured:
        ids_sql, _rows_sql = _page_queries(as_agent, query, rows=0)
    # then: its ids and its count walk only the partial index
    sqls = [q["sql"] for q in captured.captured_queries]
    (count_sql,) = [sql for sql in sqls if "COUNT(*)" in sql and "returns_return" in sql]
    for sql in (ids_sql, count_sql):
        plan = _plan_of(sql)
        assert f"using {index}" in plan, plan
