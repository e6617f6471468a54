"""The export's queries per chunk are constant: one query for the returns (with their money
columns), then per chunk one for its lines and one for its refunds, whatever the rows."""

from decimal import Decimal

import pytest

from insights.exports import COLUMNS, export_rows
from returns.models import Return
from tests.insights.scenario import many

pytestmark = pytest.mark.django_db

CHUNK = 4


def _export(django_assert_num_queries, chunks: int) -> list[list]:
    list(export_rows(Return.objects.all(), chunk_size=CHUNK))  # the backend's one-off checks
    # the returns' query, then lines and refunds prefetched per chunk
    with django_assert_num_queries(1 + 2 * chunks):
        return list(export_rows(Return.objects.all(), chunk_size=CHUNK))


def test_one_chunk_of_returns_takes_three_queries(django_assert_num_queries):
    # given
    many(CHUNK)
    # when
    rows = _export(django_assert_num_queries, chunks=1)
    # then
    assert len(rows) == CHUNK
    assert len({row[0] for row in rows}) == CHUNK


def test_three_chunks_take_the_same_queries_per_chunk_and_the_same_amounts(
    django_assert_num_queries,
):
    # given
    many(3 * CHUNK)
    # when
    rows = _export(django_assert_num_queries, chunks=3)
    # then: every row's money comes from the money state, chunk after chunk
    column = {name: i for i, name in enumerate(COLUMNS)}
    assert len(rows) == 3 * CHUNK
    assert {row[column["line_amount"]] for row in rows} == {Decimal("40.00")}
    assert sum(row[column["refunded"]] for row in rows) == Decimal("40.00") * 6
    assert sum(row[column["left_to_refund"]] for row in rows) == Decimal("40.00") * 6
