"""The load's tables' keys (returns/demo/load.py): their foreign keys, unique constraints and
indexes (all but the primary keys) dropped for the COPY and made again after it, as pg_restore
does. Checking each row's keys one by one (the deferred foreign-key triggers at commit, every
index updated per row) was most of the load's time; made again, each is checked over every row
at once, and a broken key fails the load.

Made after the rows are committed (`make_apart`), they are one backend's work no more: two
connections make them at once, each statement given to the first connection free whose table
locks conflict with none of the other's (`Step.locks`, PostgreSQL's lock modes), the largest
first; then the ANALYZE of every table, on both. A foreign key is added NOT VALID first (at
once, nothing to check) and then validated: VALIDATE locks its own table against itself and
indexes only (SHARE UPDATE EXCLUSIVE) and the table it references against nothing the load
runs (ROW SHARE), where ADD FOREIGN KEY would lock both tables against each other's indexes
and every other foreign key to them. Inside a transaction that holds the rows (`make_here`:
the tests' own transaction; a failed load's recovery) other connections could neither see
the rows nor take the locks: there one connection makes them in turn, as before. A failure
in `make_apart` (Ctrl-C included) deletes the load's rows and makes every key again
(`remove_rows`); a process killed there leaves its rows with some keys missing: drop that
benchmark database and load it again.

On PostgreSQL only: the keys are the database's catalogue."""

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import connection, transaction

MEMORY = "1GB"  # to sort and join in memory when the keys are made
CONNECTIONS = 2  # the machine's cores: each statement is one backend's work
# Each key's check is one query over whole tables: compiling it (JIT) costs more than it
# saves, forty times over.
SETTINGS = {"maintenance_work_mem": MEMORY, "work_mem": MEMORY, "jit": "off"}

# PostgreSQL's table lock modes the statements take, and which of them conflict
# (https://www.postgresql.org/docs/15/explicit-locking.html#LOCKING-TABLES).
ROW_SHARE = "ROW SHARE"  # VALIDATE CONSTRAINT, on the table a foreign key references
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"  # VALIDATE CONSTRAINT on its own table, ANALYZE
SHARE = "SHARE"  # CREATE INDEX
ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"  # ADD CONSTRAINT UNIQUE
_CONFLICTS = {
    ROW_SHARE: {ACCESS_EXCLUSIVE},
    SHARE_UPDATE_EXCLUSIVE: {SHARE_UPDATE_EXCLUSIVE, SHARE, ACCESS_EXCLUSIVE},
    SHARE: {SHARE_UPDATE_EXCLUSIVE, ACCESS_EXCLUSIVE},
    ACCESS_EXCLUSIVE: {ROW_SHARE, SHARE_UPDATE_EXCLUSIVE, SHARE, ACCESS_EXCLUSIVE},
}

_KEYS_SQL = """
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), NULL,
           CASE contype WHEN 'f' THEN confrelid::regclass::text END
    FROM pg_constraint WHERE conrelid = ANY(%(tables)s::regclass[]) AND contype IN ('f', 'u')
    UNION ALL
    SELECT indrelid::regclass::text, indexrelid::regclass::text, NULL,
           pg_get_indexdef(indexrelid), NULL
    FROM pg_index WHERE indrelid = ANY(%(tables)s::regclass[]) AND NOT indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid
                      AND contype IN ('p', 'u', 'x'))
"""


@dataclass(frozen=True)
class Key:
    """A foreign key or unique constraint (`constraint`, its definition) or an index (`index`,
    its CREATE statement) of `table`; a foreign key `references` a table."""

    table: str
    name: str
    constraint: str | None
    index: str | None
    references: str | None

    def drop(self) -> str:
        if self.constraint is not None:
            return f'ALTER TABLE {self.table} DROP CONSTRAINT IF EXISTS "{self.name}"'
        return f"DROP INDEX IF EXISTS {self.name}"

    def make(self) -> str:
        if self.constraint is not None:
            return f'ALTER TABLE {self.table} ADD CONSTRAINT "{self.name}" {self.constraint}'
        assert self.index is not None
        return self.index


@dataclass(frozen=True)
class Step:
    """One statement of `make_apart`, the table locks it takes, and its size (the bytes it
    reads) to start the largest first."""

    sql: str
    locks: tuple[tuple[str, str], ...]
    size: int

    def conflicts(self, other: "Step") -> bool:
        return any(
            table == its_table and mode in _CONFLICTS[its_mode]
            for table, mode in self.locks
            for its_table, its_mode in other.locks
        )


def drop(tables: Iterable[str]) -> list[Key]:
    """Drop the keys of `tables` (in the caller's transaction) and say what they were."""
    with connection.cursor() as cursor:
        # The catalogue's rows, just made, have their key checks pending: ALTER TABLE waits
        # for none.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(_KEYS_SQL, {"tables": list(tables)})
        keys = [Key(*row) for row in cursor.fetchall()]
        for key in keys:
            cursor.execute(key.drop())
    return keys


def make_here(keys: Sequence[Key]) -> None:
    """Make `keys` on this connection in its transaction, one after the other, the foreign keys
    last (a unique constraint may be what one references)."""
    with connection.cursor() as cursor:
        for name, value in SETTINGS.items():
            cursor.execute(f"SET LOCAL {name} = '{value}'")
        for key in sorted(keys, key=lambda key: key.references is not None):
            cursor.execute(key.make())


def make_apart(keys: Sequence[Key], analyze: Sequence[str]) -> None:
    """Make `keys` of committed tables on CONNECTIONS connections of their own (autocommit:
    each statement its own transaction), then ANALYZE the tables `analyze` on them too. A
    failure cancels the other connection's statement and is raised once both have stopped,
    some keys made and others not."""
    connections = [_connect() for _ in range(CONNECTIONS)]
    try:
        sizes = _sizes(connections[0], [*analyze, *(key.table for key in keys)])
        # Every foreign key of the load references a primary key (never dropped): one to a
        # unique constraint would fail here, with PostgreSQL saying so.
        for key in keys:
            if key.references is not None:
                connections[0].execute(key.make() + " NOT VALID")
        _run(connections, _steps(keys, sizes))
        _run(connections, _analyses(analyze, sizes))
    finally:
        for each in connections:
            each.close()


def connection_params() -> dict[str, Any]:
    """psycopg's connect() arguments for a connection of our own to the database."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    return params


def _connect() -> psycopg.Connection:
    made = psycopg.connect(**connection_params(), autocommit=True)
    for name, value in SETTINGS.items():
        made.execute(f"SET {name} = '{value}'")
    return made


def _sizes(on: psycopg.Connection, tables: Iterable[str]) -> dict[str, int]:
    rows = on.execute(
        "SELECT name, pg_table_size(name::regclass) FROM unnest(%s::text[]) AS name",
        [sorted(set(tables))],
    )
    return dict(rows.fetchall())


def _analyses(tables: Sequence[str], sizes: dict[str, int]) -> list[Step]:
    steps = [
        Step(f'ANALYZE "{table}"', ((table, SHARE_UPDATE_EXCLUSIVE),), sizes[table])
        for table in tables
    ]
    return sorted(steps, key=lambda step: -step.size)


def _steps(keys: Sequence[Key], sizes: dict[str, int]) -> list[Step]:
    steps = []
    for key in keys:
        locks: tuple[tuple[str, str], ...]
        if key.references is not None:
            sql = f'ALTER TABLE {key.table} VALIDATE CONSTRAINT "{key.name}"'
            locks = ((key.table, SHARE_UPDATE_EXCLUSIVE), (key.references, ROW_SHARE))
            size = sizes[key.table] + sizes[key.references]
        else:
            mode = SHARE if key.constraint is None else ACCESS_EXCLUSIVE
            sql, locks, size = key.make(), ((key.table, mode),), sizes[key.table]
        steps.append(Step(sql, locks, size))
    return sorted(steps, key=lambda step: -step.size)


def _run(connections: Sequence[psycopg.Connection], steps: list[Step]) -> None:
    """Each connection in a thread of its own (the work is the server's) runs `steps`."""
    schedule = _Schedule(connections, steps)
    threads = [
        threading.Thread(target=schedule.work, args=(each,), daemon=True) for each in connections
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException as error:  # Ctrl-C: the statements stop, then the recovery
        schedule.stop(error)
        for thread in threads:
            thread.join()
    if schedule.failures:
        raise schedule.failures[0]


class _Schedule:
    """A connection takes the first step pending, largest first, that conflicts with no step
    running, or waits for one to end; after a failure none."""

    def __init__(self, connections: Sequence[psycopg.Connection], steps: list[Step]):
        self.connections = connections
        self.pending = list(steps)
        self.running: list[Step] = []
        self.failures: list[BaseException] = []
        self.changed = threading.Condition()

    def work(self, on: psycopg.Connection) -> None:
        while (step := self._take()) is not None:
            try:
                on.execute(step.sql)
            except BaseException as error:
                self.stop(error)
            finally:
                with self.changed:
                    self.running.remove(step)
                    self.changed.notify_all()

    def stop(self, error: BaseException) -> None:
        with self.changed:
            self.failures.append(error)
            self.changed.notify_all()
        for each in self.connections:
            each.cancel()

    def _take(self) -> Step | None:
        with self.changed:
            while self.pending and not self.failures:
                for step in self.pending:
                    if not any(step.conflicts(other) for other in self.running):
                        self.pending.remove(step)
                        self.running.append(step)
                        return step
                self.changed.wait()
            return None


def remove_rows(first_ids: dict[str, int], keys: Sequence[Key]) -> None:
    """After a failure once the keys were dropped and committed (making the rows on their own
    connections, or the keys in `make_apart`): the load's rows deleted (ids from `first_ids`, the
    earlier loads' kept) and every key made again, in one transaction. The keys are dropped
    first: a foreign key's check per row deleted, without the indexes not made yet, would scan
    a whole table each."""
    with transaction.atomic(), connection.cursor() as cursor:
        # The other tables' keys to these rows are checked at each DELETE: ALTER TABLE waits
        # for no check pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # A maker's connection killed in its COPY is rolled back by its backend once that sees
        # it: wait for it.
        cursor.execute(f"LOCK TABLE {', '.join(first_ids)} IN ACCESS EXCLUSIVE MODE")
        for key in keys:
            cursor.execute(key.drop())
        for table, first in first_ids.items():
            cursor.execute(f"DELETE FROM {table} WHERE id >= %s", [first])
        make_here(keys)
