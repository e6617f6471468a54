"""The guest lookup and the back-office home's queue counts read an index, not the table, on
PostgreSQL: their cost stays the same at a million orders and returns (issue of scale)."""

import pytest
from django.db import connection

from config.dashboard import QUEUE_COUNT_CAP, work_queues
from portal.selectors.orders import order_for_guest
from tests.factories import OrderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _plan_of(sql: str) -> str:
    """EXPLAIN of a query as psycopg sent it (its literals inline)."""
    with connection.cursor() as cursor:
        # A test table is tiny, where a sequential scan is always cheapest: forbid it, so the
        # plan shows which index the planner has for the query at any size.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_guest_lookup_finds_the_number_through_its_case_insensitive_index(
    django_assert_num_queries,
):
    order = OrderFactory(number="SHOP-10042", email="ana@example.com")
    # A customer of many orders, and statistics of this table, not of what an earlier test
    # (a bulk load) left in pg_class: else the planner may as well walk the email's index.
    OrderFactory.create_batch(150, email="ana@example.com")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE shop_order")
    with django_assert_num_queries(1) as captured:
        assert order_for_guest(" shop-10042 ", "Ana@Example.com") == order
    (query,) = captured.captured_queries
    sql = query["sql"]
    assert "UPPER" in sql
    assert "placed_at" not in sql.split("ORDER BY")[-1]
    plan = _plan_of(sql)
    assert "order_number_upper" in plan, plan


def test_an_unknown_number_is_none_through_the_same_index():
    OrderFactory(number="SHOP-1")
    assert order_for_guest("SHOP-2", "ana@example.com") is None


def test_the_home_counts_its_queues_with_count_star_over_the_status_index(
    django_assert_num_queries,
):
    with django_assert_num_queries(1) as captured:
        work_queues()
    sql = captured.captured_queries[0]["sql"]
    assert sql.count("COUNT(*)") == 5
    # each queue's count stops at the cap: the home costs the same at a million returns
    assert sql.count(f"LIMIT {QUEUE_COUNT_CAP + 1}") == 5
    plan = _plan_of(sql)
    assert "return_status_created_id" in plan, plan
