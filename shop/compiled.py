"""A values query compiled to SQL once per database connection, then run again with other ids.

Django compiles a query to SQL each time it runs it; for a query of many subqueries (a return's
money columns) that costs more than the database's answer. A read of a fixed shape, run on
every page, is compiled here once per connection (a process keeps its connection) and number of
ids; each run then only binds the ids and converts the row values as the ORM would have (its
compiler's converters: decimals, booleans and dates come back as they would from values_list).
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

# Stand-ins for the ids while compiling: no row has a negative id, so each one found among the
# compiled parameters is where an id goes.
_PLACEHOLDER = -7_340_033


class CompiledValues:
    """`build(ids)` is a values_list queryset filtered on `ids`; `rows(ids)` runs its SQL."""

    def __init__(self, name: str, build: Callable[[list[int]], QuerySet[Any]]):
        self.name, self.build = name, build

    def rows(self, ids: Sequence[int], using: str = DEFAULT_DB_ALIAS) -> list[tuple[Any, ...]]:
        if not ids:
            return []
        connection = connections[using]
        # Kept on the connection: a thread has its own, as it has its own compiled queries.
        memo = connection.__dict__.setdefault("_compiled_values", {})
        key = (self.name, len(ids))
        if key not in memo:
            memo[key] = self._compile(len(ids), using)
        compiler, sql, params, slots = memo[key]
        bound = list(params)
        for position, index in slots:
            bound[position] = ids[index]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            fetched = cursor.fetchall()
        return list(compiler.results_iter(results=[fetched], tuple_expected=True))

    def _compile(self, count: int, using: str):
        placeholders = [_PLACEHOLDER - index for index in range(count)]
        compiler = self.build(placeholders).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        where = {value: index for index, value in enumerate(placeholders)}
        slots = [
            (position, where[value])
            for position, value in enumerate(params)
            if isinstance(value, int) and value in where
        ]
        if {index for _position, index in slots} != set(range(count)):
            raise ValueError(f"{self.name}: the query does not take its ids as parameters")
        return compiler, sql, tuple(params), slots
