"""Claiming outbox rows (emails and webhook deliveries) for this worker: one statement that
moves queued, due rows with attempts left to `sending` and reads them back.

PostgreSQL: `WITH claimed AS (UPDATE ... RETURNING *) SELECT ...`, the SELECT being the ORM's
own select_related query read from `claimed` instead of the table, so the row's values are the
ones the UPDATE wrote and its related rows come in the same round trip. (The main query of a
data-modifying WITH sees the table as it was before the statement: reading the table itself
would give the row's old values.) SQLite (>= 3.35): `UPDATE ... RETURNING id`, then that SELECT.

Why one worker wins a row, whatever runs at once:
- one row by id: under READ COMMITTED, an UPDATE that waited on a row another transaction
  changed evaluates its WHERE again on the new version; the second of two claimers sees
  `sending` and claims nothing;
- a batch: the ids come from a sub-select `FOR UPDATE SKIP LOCKED`, so concurrent claimers
  take disjoint rows without waiting on each other, and the UPDATE checks the conditions again;
- SQLite has one writer at a time, and an UPDATE statement holds the write lock from its
  start: its sub-select and its update are one step.
No row lock outlives the statement (autocommit): the claim is the `sending` status.

The outbox's bookkeeping (claim, hand-over, outcome) commits without waiting for the WAL to
reach the disk (`no_flush_wait`): that wait was most of an email's cost (8 to 12 ms a commit on
the bench machine, three commits an email). What it risks is bounded: a worker that dies loses
nothing (PostgreSQL has the commit), and only a crash of PostgreSQL itself may lose the last
fraction of a second of them: a claim or hand-over undone (the row is sent as if never claimed)
or a sent email's outcome (sent again by the sweep, with its one Message-ID), which is what a
worker dying after the hand-over already does.
"""

import re

from django.db import connection, models
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from shop.commits import NO_FLUSH_WAIT_CONDITION, commits_alone


def no_flush_wait(queryset):
    """`queryset`, whose UPDATE commits without waiting for the disk (see the docstring).
    Inside a caller's transaction nothing changes: the setting would be the whole
    transaction's, and the caller's writes are not the outbox's bookkeeping."""
    if not commits_alone():
        return queryset
    return queryset.filter(RawSQL(NO_FLUSH_WAIT_CONDITION, (), output_field=BooleanField()))


SENDING, QUEUED = "sending", "queued"  # the two outboxes' status values (models.py)


def claim_rows(
    model: type[models.Model],
    *,
    now,
    pk: int | None = None,
    limit: int = 1,
    reset: tuple[str, ...] = (),
    related: tuple[str, ...] = (),
    claimed: tuple[int, ...] = (),
) -> list:
    """Claim row `pk`, or up to `limit` due rows (oldest due first), for this worker: their
    attempts counted, `claimed_at` and `updated_at` set to `now`, the `reset` columns NULL.
    Returns the claimed rows with `related` selected, in id order ([] when none), and with
    them the rows of `claimed` (ids this worker claimed before, read in the same statement)."""
    update_sql, params = _update_sql(model, now=now, pk=pk, limit=limit, reset=reset)
    rows = model._default_manager.select_related(*related).order_by("pk")
    if connection.vendor == "postgresql":
        reading = _read_from_claimed(model, update_sql, params, claimed)
        with connection.execute_wrapper(reading):
            return list(rows)
    ids = [*claimed, *claim_ids(model, now=now, pk=pk, limit=limit, reset=reset)]
    return list(rows.filter(pk__in=ids)) if ids else []


def claim_ids(
    model: type[models.Model],
    *,
    now,
    pk: int | None = None,
    limit: int = 1,
    reset: tuple[str, ...] = (),
) -> list[int]:
    """claim_rows without reading the rows back: the ids claimed, in one `UPDATE ... RETURNING
    id` written here (no ORM query to build). A task whose row another worker's batch took
    already learns it in one cheap statement (delivery.deliver_notification's coalescing)."""
    update_sql, params = _update_sql(model, now=now, pk=pk, limit=limit, reset=reset)
    with connection.cursor() as cursor:
        cursor.execute(f"{update_sql} RETURNING id", params)
        return sorted(row[0] for row in cursor.fetchall())


def _update_sql(model, *, now, pk, limit, reset) -> tuple[str, list]:
    table = connection.ops.quote_name(model._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    due = "status = %s AND next_attempt_at <= %s AND attempts < max_attempts"
    if pk is not None:
        where, where_params = f"id = %s AND {due}", [pk, QUEUED, at]
    else:
        skips = connection.features.has_select_for_update_skip_locked
        skip_locked = " FOR UPDATE SKIP LOCKED" if skips else ""
        where = (
            f"id IN (SELECT id FROM {table} WHERE {due} ORDER BY next_attempt_at, id "
            f"LIMIT %s{skip_locked})"
        )
        where_params = [QUEUED, at, limit]
    if commits_alone():
        where = f"{where} AND {NO_FLUSH_WAIT_CONDITION}"
    cleared = "".join(f", {connection.ops.quote_name(column)} = NULL" for column in reset)
    sql = (
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, claimed_at = %s, "
        f"updated_at = %s{cleared} WHERE {where}"
    )
    return sql, [SENDING, at, at, *where_params]


def _read_from_claimed(model, update_sql: str, update_params: list, before: tuple[int, ...] = ()):
    """An execute wrapper turning the model's SELECT into one reading the rows just claimed,
    and the rows `before` (claimed by earlier statements, committed: the table has their new
    values)."""
    table = connection.ops.quote_name(model._meta.db_table)
    from_table = re.compile(rf"\bFROM {re.escape(table)}(?=\s|$)")
    claimed = f"claimed AS ({update_sql} RETURNING *)"
    if before:
        ids = ", ".join(["%s"] * len(before))
        claimed = (
            f"taken AS ({update_sql} RETURNING *), claimed AS (SELECT * FROM taken "
            f"UNION ALL SELECT * FROM {table} WHERE id IN ({ids}))"
        )

    def execute(run, sql, params, many, context):
        select, found = from_table.subn(f"FROM claimed AS {table}", sql, count=1)
        if not found:  # never run the unfiltered SELECT as if it were the claim
            raise RuntimeError(f"the claim's SELECT does not read {table}: {sql}")
        claim = f"WITH {claimed} {select}"
        return run(claim, (*update_params, *before, *params), many, context)

    return execute
