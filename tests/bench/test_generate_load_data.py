"""The benchmarks' load generator (returns/demo/load.py, `manage.py generate_load_data`): its rows
are what the services would have left, so pages and figures read them as real returns."""

import os
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum
from psycopg.errors import DivisionByZero

from notifications.models import Notification
from refunds.models import Refund, RefundStatus
from refunds.money import money_for_return, money_for_returns, with_money_columns
from refunds.quotes import quote_for_return
from returns.demo import keys, load
from returns.models import Return, ReturnEvent, ReturnLabel, ReturnStatus
from shop.models import Customer, Order
from tests.factories import make_order
from tests.fixtures import invariants

pytestmark = pytest.mark.django_db
RETURNS = 300


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in ("shop", "returns", "refunds", "notifications")
    }


def _load(count: int = RETURNS, **options) -> str:
    out = StringIO()
    options.setdefault("apply", True)
    call_command("generate_load_data", returns=count, stdout=out, **options)
    return out.getvalue()


def test_it_makes_the_returns_asked_in_every_status_each_with_its_emails():
    # when
    said = _load()

    # then
    per_status = dict(Return.objects.values_list("status").annotate(n=Count("id")))
    assert sum(per_status.values()) == RETURNS
    assert set(per_status) == set(ReturnStatus.values)
    assert f"{RETURNS} returns generated" in said
    # a fifth of the orders have no return; every return's order has 2 or 3 lines
    assert RETURNS < Order.objects.count() < RETURNS * 1.5
    lines = Order.objects.filter(returns__isnull=False).annotate(n=Count("lines"))
    assert set(lines.values_list("n", flat=True)) == {2, 3}
    # one email per status reached, the completion's being its refund's, all sent
    for ret in Return.objects.prefetch_related("notifications", "events"):
        statuses = [e.to_status for e in ret.events.all() if e.kind == ReturnEvent.Kind.STATUS]
        told = [status for status in statuses if status != ReturnStatus.COMPLETED]
        paid = ret.refunds.filter(status=RefundStatus.REFUNDED).count()
        assert paid == (ret.status == ReturnStatus.COMPLETED), ret.rma_number
        assert ret.notifications.count() == len(told) + paid, ret.rma_number
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_its_money_adds_up_as_the_services_would_have_left_it():
    # when
    _load()

    # then: the invariants the services guarantee hold for every order
    for order in Order.objects.all():
        invariants.no_order_refunds_more_than_it_paid(order)
        invariants.live_returns_hold_at_most_what_was_ordered(order)
        invariants.each_returns_money_adds_up(order)
        invariants.each_unit_is_refunded_at_most_once(order)
        invariants.no_row_in_a_forbidden_state(order)
        invariants.the_events_replay_to_each_status(order)
    # a completed return was refunded its quote exactly, nothing left; the list reads the same
    listed = money_for_returns(list(with_money_columns(Return.objects.select_related("order"))))
    for ret in Return.objects.filter(status=ReturnStatus.COMPLETED):
        money = money_for_return(ret)
        assert money.refunded == quote_for_return(ret).total > 0, ret.rma_number
        assert money.left_to_refund == 0, ret.rma_number
        assert money.settled, ret.rma_number
        assert listed[ret.pk] == money, ret.rma_number
    # a return that never reached the money has no refund
    early = Return.objects.exclude(status__in=[ReturnStatus.COMPLETED, ReturnStatus.RECEIVED])
    assert not Refund.objects.filter(ret__in=early).exists()


def test_labels_go_with_the_returns_sent_back_with_one():
    # when
    _load()

    # then: every label is of a return approved once, sent back with a label
    labelled = Return.objects.filter(labels__isnull=False)
    assert labelled.count() == ReturnLabel.objects.count() > 0
    assert set(labelled.values_list("delivery_option", flat=True)) == {"label"}
    never_approved = [ReturnStatus.REQUESTED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED]
    assert not labelled.filter(status__in=never_approved).exists()


def test_it_refuses_a_database_with_data_and_creates_nothing():
    # given: a shop's own order
    make_order([(1, "20.00")])
    before = _counts()

    # when
    with pytest.raises(CommandError, match="already has orders"):
        _load(10)

    # then
    assert _counts() == before


def test_append_adds_to_an_earlier_load_and_the_ids_go_on():
    # given
    _load(50)
    # when
    _load(70, append=True)
    # then
    assert Return.objects.count() == 120
    money = Refund.objects.aggregate(total=Sum("amount"))["total"]
    assert money > 0
    # the database's own ids carry on after the loaded ones (sequences moved past them)
    top = Customer.objects.order_by("-id").first().pk
    assert Customer.objects.create(email="after-load@example.com").pk > top


def test_it_refuses_a_production_database_unless_forced(settings):
    # given
    settings.PRODUCTION = True
    # when
    with pytest.raises(CommandError, match="production"):
        _load(10)
    # then
    assert Return.objects.count() == 0
    assert Customer.objects.count() == 0


def test_it_refuses_a_count_below_one():
    with pytest.raises(CommandError, match="at least 1"):
        _load(0)
    assert Return.objects.count() == 0


def test_without_apply_it_is_a_dry_run_that_writes_nothing():
    # given
    before = _counts()
    # when
    said = _load(apply=False)
    # then
    assert _counts() == before
    assert said.startswith("Dry run: nothing was created. With --apply, ")


# --- PostgreSQL: the forked process's COPY and the keys made after it ------------------------


def _loaded_tables() -> list[str]:
    return [table.model._meta.db_table for table in load._tables(lambda model: 1).values()]


@pytest.mark.postgres
def test_on_postgresql_a_few_thousand_in_several_batches_hold_every_invariant(monkeypatch):
    # given: batches small enough that the forked process hands over several of each table
    monkeypatch.setattr(load, "BATCH", 700)
    count = int(os.environ.get("LOAD_INVARIANTS_RETURNS", "2000"))

    # when
    _load(count)

    # then: every invariant the services guarantee, on orders spread over every batch (about
    # 800 of them: each order's checks are some fifty queries)
    assert Return.objects.count() == count
    assert set(Return.objects.values_list("status", flat=True)) == set(ReturnStatus.values)
    orders = Order.objects.order_by("id")
    every = max(1, orders.count() // 800)
    for order in orders[::every]:
        invariants.no_order_refunds_more_than_it_paid(order)
        invariants.live_returns_hold_at_most_what_was_ordered(order)
        invariants.each_returns_money_adds_up(order)
        invariants.each_unit_is_refunded_at_most_once(order)
        invariants.no_row_in_a_forbidden_state(order)
        invariants.the_events_replay_to_each_status(order)
    # the tables end as the schema makes them: every key checked, every index valid
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) "
            "AND NOT convalidated",
            [_loaded_tables()],
        )
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE indisvalid AND indisready) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[])",
            [_loaded_tables()],
        )
        indexes, valid = cursor.fetchone()
        assert indexes == valid > 2 * len(_loaded_tables())
    # each email has its own version 4 message id
    uuids = list(Notification.objects.values_list("message_uuid", flat=True))
    assert len(set(uuids)) == len(uuids) > count
    assert {value.version for value in uuids} == {4}


def _fail_in_second_batch(monkeypatch):
    """Batches of 100 returns; the 151st return made raises (in the forked process making it)."""
    monkeypatch.setattr(load, "BATCH", 100)
    made = iter(range(10**6))
    one = load.Generator.one

    def failing(self):
        if next(made) == 150:
            raise ValueError("made-up failure")
        one(self)

    monkeypatch.setattr(load.Generator, "one", failing)


@pytest.mark.postgres
def test_on_postgresql_a_failure_while_making_the_rows_leaves_nothing(monkeypatch):
    # given: the forked process fails in its second batch
    _fail_in_second_batch(monkeypatch)
    before = _counts()

    # when
    with pytest.raises(RuntimeError, match="made-up failure"):
        _load(300)

    # then: nothing of the first batch, already copied, is left, and the keys are all back
    assert _counts() == before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'returns_return'::regclass "
            "AND contype = 'f'"
        )
        assert cursor.fetchone()[0] > 0


# --- PostgreSQL, committed: the keys made after the commit on two connections ---------------
# (Transactional: after another transactional test's flush, the data migrations' reasons are
# seeded by the `reasons` fixture.)

_DEFINITIONS_SQL = """
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated
    FROM pg_constraint WHERE conrelid = ANY(%(tables)s::regclass[])
    UNION ALL
    SELECT indrelid::regclass::text, indexrelid::regclass::text, pg_get_indexdef(indexrelid),
           indisvalid AND indisready
    FROM pg_index WHERE indrelid = ANY(%(tables)s::regclass[])
    ORDER BY 1, 2, 3
"""


def _definitions() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_DEFINITIONS_SQL, {"tables": _loaded_tables()})
        return cursor.fetchall()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_committed_the_keys_are_made_again_as_they_were(monkeypatch, reasons):
    # given: no transaction around the load, so its keys are made after its commit
    monkeypatch.setattr(load, "BATCH", 700)
    migrated = _definitions()
    _load(50)
    # (a partial index's predicate reads back from PostgreSQL in another spelling of the same
    # expression once made again: the first load's definitions are the reference)
    before = _definitions()

    # when
    _load(1500, append=True)

    # then: every key, constraint and index as the schema made it, each checked and valid
    assert Return.objects.count() == 1550
    assert _definitions() == before
    assert [name for _, name, *_ in before] == [name for _, name, *_ in migrated]
    assert all(valid for *_, valid in before)
    assert sum(1 for _, _, definition, _ in before if definition.startswith("FOREIGN")) > 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_failure_while_making_the_keys_deletes_the_loaded_rows(
    monkeypatch, reasons
):
    # given: an earlier load, kept; then a key of the next one that fails once half are made
    _load(50)
    before, definitions = _counts(), _definitions()
    steps = keys._steps

    def failing(*args):
        made = steps(*args)
        return [*made[: len(made) // 2], keys.Step("SELECT 1 / 0", (), 0), *made[len(made) // 2 :]]

    monkeypatch.setattr(keys, "_steps", failing)

    # when
    with pytest.raises(DivisionByZero):
        _load(300, append=True)

    # then: the earlier load's rows alone, every key back as it was
    assert _counts() == before
    assert _definitions() == definitions


def test_two_statements_run_at_once_only_when_their_table_locks_agree():
    index = keys.Step("CREATE INDEX", (("a", keys.SHARE),), 1)
    unique = keys.Step("ADD UNIQUE", (("a", keys.ACCESS_EXCLUSIVE),), 1)
    validate_a = keys.Step(
        "VALIDATE", (("a", keys.SHARE_UPDATE_EXCLUSIVE), ("b", keys.ROW_SHARE)), 1
    )
    validate_b = keys.Step(
        "VALIDATE", (("b", keys.SHARE_UPDATE_EXCLUSIVE), ("a", keys.ROW_SHARE)), 1
    )
    index_b = keys.Step("CREATE INDEX", (("b", keys.SHARE),), 1)

    assert not index.conflicts(index)
    assert index.conflicts(unique)
    assert unique.conflicts(index)
    assert index.conflicts(validate_a)
    assert validate_a.conflicts(index)
    assert validate_a.conflicts(validate_a)
    assert not validate_a.conflicts(validate_b)
    assert not validate_a.conflicts(index_b)
    assert unique.conflicts(validate_b)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_committed_a_failure_while_making_the_rows_deletes_those_copied(
    monkeypatch, reasons
):
    # given: an earlier load, kept; then a forked process of the next fails in its second
    # batch, its first one's rows (and the other process's) copied on their own connections
    _load(50)
    before, definitions = _counts(), _definitions()
    _fail_in_second_batch(monkeypatch)

    # when
    with pytest.raises(RuntimeError, match="made-up failure"):
        _load(500, append=True)

    # then: the earlier load's rows alone, every key back as it was
    assert _counts() == before
    assert _definitions() == definitions
