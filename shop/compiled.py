"""A values query compiled to SQL once per database connection, then run again with other ids.

Django compiles a query to SQL each time it runs it; for a query of many subqueries (a return's
money columns) that costs more than the database's answer. A read of a fixed shape, run on
every page, is compiled here once per connection (a process keeps its connection) and number of
ids; each run then only binds the ids and converts the row values as the ORM would have (its
compiler's converters: decimals, booleans and dates come back as they would from values_list).
"""

import sys
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
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


class Parameter(NamedTuple):
    """A value a CompiledRows query takes: its stand-in while compiling (a value no caller
    passes) and how the ORM writes a value into the query's parameters (`adapt(value,
    connection)`: the field's get_db_prep_value, with the lookup's own step when it has one)."""

    stand_in: Any
    adapt: Callable[[Any, Any], Any]


def db_value(model, field: str) -> Callable[[Any, Any], Any]:
    """How the ORM writes a value of `model.field` into a query's parameters (a Parameter's
    `adapt`): the field's get_db_prep_value, for a lookup without a step of its own (exact)."""
    return lambda value, connection: model._meta.get_field(field).get_db_prep_value(
        value, connection, prepared=False
    )


class CompiledRows:
    """A values() query of a few shapes, compiled to SQL once per connection and shape, then
    run with other values, as CompiledValues does with ids (its filters, a cursor's position,
    a page's slice).

    `build(shape, stand_ins)` is the queryset, unsliced, made from the stand-ins of the
    parameters it takes (those of `values`); `rows(shape, values, low, high)` binds the values
    and the slice (LIMIT and OFFSET written as Django writes them) and answers the rows as
    values() does: dicts, each value converted by the ORM's own converters. A shape that can
    match no row (Django's EmptyResultSet) answers [] without a query, as the ORM does.
    `prepared`: on PostgreSQL, run as a prepared statement of the connection (_cursor)."""

    def __init__(
        self,
        name: str,
        build: Callable[[Hashable, dict[str, Any]], QuerySet[Any]],
        parameters: dict[str, Parameter],
        *,
        prepared: bool = False,
    ):
        self.name, self.build, self.parameters = name, build, parameters
        self.prepared = prepared

    def rows(
        self,
        shape: Hashable,
        values: dict[str, Any],
        low: int = 0,
        high: int | None = None,
        using: str = DEFAULT_DB_ALIAS,
    ) -> list[dict[str, Any]]:
        found = _fetched(self, "_compiled_rows", shape, values, low, high, using)
        if found is None:
            return []
        (compiler, _sql, _params, _slots, names), fetched = found
        return [
            dict(zip(names, row, strict=True))
            for row in compiler.results_iter(results=[fetched], tuple_expected=True)
        ]

    def _compile(self, shape: Hashable, taken: list[str], connection, using: str):
        stand_ins = {name: self.parameters[name].stand_in for name in taken}
        query = self.build(shape, stand_ins).query
        compiled = _with_slots(self.name, query, self.parameters, taken, connection, using)
        if compiled is None:
            return None
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        return (*compiled, names)


class CompiledModels:
    """A model queryset (select_related and annotations included) of a few shapes, compiled to
    SQL once per connection and shape, then run with other values as CompiledRows runs its own
    (`parameters`, `build(shape, stand_ins)`); `rows(shape, values, low, high)` answers the
    model instances the queryset (sliced) would, made as CompiledPage makes them. For a page's
    reads of one object by its id or number (the portal's return), or of a page of a list (My
    orders): Django compiled each of them on every request, which cost more than the
    database's answer."""

    def __init__(
        self,
        name: str,
        build: Callable[[Hashable, dict[str, Any]], QuerySet[Any]],
        parameters: dict[str, Parameter],
    ):
        self.name, self.build, self.parameters = name, build, parameters

    def rows(
        self,
        shape: Hashable,
        values: dict[str, Any],
        low: int = 0,
        high: int | None = None,
        using: str = DEFAULT_DB_ALIAS,
    ) -> list[Any]:
        found = _fetched(self, "_compiled_models", shape, values, low, high, using)
        if found is None:
            return []
        (reader, _sql, _params, _slots), fetched = found
        return reader.make(fetched, using)

    def _compile(self, shape: Hashable, taken: list[str], connection, using: str):
        stand_ins = {name: self.parameters[name].stand_in for name in taken}
        query = self.build(shape, stand_ins).query
        compiled = _with_slots(self.name, query, self.parameters, taken, connection, using)
        if compiled is None:
            return None
        compiler, sql, params, slots = compiled
        return _ModelReader.of(compiler, using), sql, params, slots


def _fetched(owner, memo_name: str, shape, values: dict, low: int, high: int | None, using: str):
    """`owner`'s query of `shape` run with `values`, sliced from `low` to `high` (a page): its
    compiled form and the rows the database answered; None for a query that can match
    nothing."""
    connection = connections[using]
    found = _compiled_and_bound(owner, memo_name, shape, values, connection, using)
    if found is None:
        return None
    compiled, bound = found
    sql = compiled[1]
    if low or high is not None:
        sql = f"{sql} {connection.ops.limit_offset_sql(low, high)}"
    with _cursor(connection, getattr(owner, "prepared", False)) as cursor:
        cursor.execute(sql, bound)
        return compiled, cursor.fetchall()


def _cursor(connection, prepared: bool):
    """The connection's cursor; `prepared` on PostgreSQL, one whose statements are prepared on
    the server (planned once per connection, psycopg keeping them), which Django's own never
    are: planning the API list's query cost the database as much as running it."""
    if not prepared or connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django's None turns psycopg's preparing off for the connection, even when asked; a
        # count never reached turns it on for this cursor's asking only (Django's own cursors
        # bind on the client and never prepare).
        raw.prepare_threshold = sys.maxsize
    with connection.wrap_database_errors:
        # Through Django's wrapper all the same: its execute wrappers and query log see it.
        return connection._prepare_cursor(_prepared_cursor_class()(raw))


def _compiled_and_bound(owner, memo_name: str, shape, values: dict, connection, using: str):
    """`owner`'s (CompiledRows', CompiledModels') query of `shape` for these values' names,
    compiled once per connection (kept under `memo_name`), and its parameters with `values` in
    their stand-ins' places; None for a query that can match nothing."""
    # Adapted first: a value the field refuses raises here, as the ORM's filter() would.
    adapted = {
        name: owner.parameters[name].adapt(value, connection) for name, value in values.items()
    }
    memo = connection.__dict__.setdefault(memo_name, {})
    key = (owner.name, shape, tuple(sorted(values)))
    if key not in memo:
        memo[key] = owner._compile(shape, sorted(values), connection, using)
    compiled = memo[key]
    if compiled is None:
        return None
    _head, _sql, params, slots, *_rest = compiled
    bound = list(params)
    for position, name in slots:
        bound[position] = adapted[name]
    return compiled, bound


def _with_slots(name: str, query, parameters: dict, taken: list[str], connection, using: str):
    """`query` (built with the stand-ins of the parameters `taken`) compiled: its compiler, SQL
    and parameters, and where each stand-in stands in them (position, name); None for a query
    that can match nothing (EmptyResultSet)."""
    compiler = query.get_compiler(using=using)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    where = {key: parameters[key].adapt(parameters[key].stand_in, connection) for key in taken}
    slots = [
        (position, key)
        for position, value in enumerate(params)
        for key, stand_in in where.items()
        if _same(value, stand_in)
    ]
    if {key for _position, key in slots} != set(taken):
        raise ValueError(f"{name}: the query does not take {taken} as parameters")
    return compiler, sql, tuple(params), slots


@dataclass(frozen=True)
class _ModelReader:
    """How a compiled model query's rows become instances, as Django's ModelIterable makes
    them: from_db, the select_related populators, the annotations, each value converted by the
    compiler's own converters."""

    compiler: Any
    model: Any
    model_columns: tuple[int, int]
    init_list: list[str]
    populators: list[Any]
    annotations: dict[str, int]

    @classmethod
    def of(cls, compiler, using: str) -> "_ModelReader":
        from django.db.models.query import get_related_populators

        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return cls(
            compiler=compiler,
            model=klass_info["model"],
            model_columns=(start, end),
            init_list=[column[0].target.attname for column in select[start:end]],
            # django-stubs describe a later Django's signature (its fetch_mode).
            populators=get_related_populators(klass_info, select, using),  # type: ignore[call-arg]
            annotations=dict(compiler.annotation_col_map),
        )

    def make(self, fetched: list, using: str) -> list[Any]:
        made = []
        start, end = self.model_columns
        for row in self.compiler.results_iter(results=[fetched]):
            obj = self.model.from_db(using, self.init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, column in self.annotations.items():
                setattr(obj, name, row[column])
            made.append(obj)
        return made


class CompiledPage:
    """`build(ids)` is a model queryset (select_related, annotations) filtered on `id IN ids`,
    where `ids` is a subquery that changes with each request (a list's page: its filters, sort,
    search and offset); `rows(page, order_by)` runs it with `page` (a values("pk") queryset) as
    that subquery and gives the model instances the queryset would.

    The query's fixed part (its columns, their subqueries) is compiled once per connection and
    ordering; each run compiles only `page`, a plain query, and puts its SQL where the ids go.
    The rows are made as Django's ModelIterable makes them (from_db, the select_related
    populators, the annotations), their values converted by the compiler's own converters.

    `stand_ins`: values the query takes besides the ids (`build(ids, *stand_ins)`), each a
    value no caller passes, found once among the compiled parameters; `rows(..., values=)`
    binds the run's values in their places, as the database adapts them (plain strings and
    numbers: no field's own preparation is applied).
    """

    def __init__(
        self, name: str, build: Callable[..., QuerySet[Any]], stand_ins: Sequence[Any] = ()
    ):
        self.name, self.build, self.stand_ins = name, build, tuple(stand_ins)

    def rows(
        self,
        page: QuerySet[Any],
        order_by: Sequence[str],
        using: str = DEFAULT_DB_ALIAS,
        values: Sequence[Any] = (),
    ) -> list[Any]:
        fetched, make = self.fetched(page, order_by, using, values)
        return make(fetched)

    def fetched(
        self,
        page: QuerySet[Any],
        order_by: Sequence[str],
        using: str = DEFAULT_DB_ALIAS,
        values: Sequence[Any] = (),
    ) -> tuple[list[tuple[Any, ...]], Callable[[list[tuple[Any, ...]]], list[Any]]]:
        """rows() in two steps: the rows' values as the database answered them, and what makes
        the instances of some of them (make(rows), in their order). A list that keeps what a
        row shows by its values makes only the rows it has not seen."""
        if len(values) != len(self.stand_ins):
            raise ValueError(f"{self.name}: {len(self.stand_ins)} values expected")
        connection = connections[using]
        memo = connection.__dict__.setdefault("_compiled_pages", {})
        key = (self.name, tuple(order_by))
        if key not in memo:
            memo[key] = self._compile(order_by, using)
        compiled = memo[key]
        # The page's query made a subquery as Django makes one for `pk__in` (its aliases apart
        # from the outer query's, its ordering's extra columns wrapped away), then compiled.
        inner = page.query.resolve_expression(page.model.objects.none().query)
        inner_sql, inner_params = inner.as_sql(compiled.compiler, connection)
        bound = list(compiled.params)
        for value_position, index in compiled.value_slots:
            bound[value_position] = values[index]
        position = compiled.slot
        params = [*bound[:position], *inner_params, *bound[position + 1 :]]
        sql = compiled.sql.replace(_PAGE_MARK, inner_sql, 1)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        return [tuple(row) for row in fetched], lambda rows: compiled.reader.make(rows, using)

    def _compile(self, order_by: Sequence[str], using: str) -> "_Compiled":
        from django.db.models.expressions import RawSQL

        ids = RawSQL(f"SELECT %s {_PAGE_COMMENT}", [_PLACEHOLDER])
        queryset = self.build(ids, *self.stand_ins)
        compiler = queryset.order_by(*order_by).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = [i for i, value in enumerate(params) if _same(value, _PLACEHOLDER)]
        if len(slots) != 1 or sql.count(_PAGE_MARK) != 1:
            raise ValueError(f"{self.name}: the query does not take its ids' subquery once")
        value_slots = [
            (position, index)
            for index, stand_in in enumerate(self.stand_ins)
            for position, value in enumerate(params)
            if _same(value, stand_in)
        ]
        if sorted(index for _position, index in value_slots) != list(range(len(self.stand_ins))):
            raise ValueError(f"{self.name}: the query does not take each value once")
        return _Compiled(
            compiler=compiler,
            sql=sql,
            params=tuple(params),
            slot=slots[0],
            value_slots=tuple(value_slots),
            reader=_ModelReader.of(compiler, using),
        )


@cache
def _prepared_cursor_class():
    """psycopg's server-binding cursor as Django makes it, every statement prepared (Django
    turns psycopg's automatic preparing off, and its cursor wrapper passes no `prepare`)."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparedCursor


def _same(value: Any, stand_in: Any) -> bool:
    # By type too: a stand-in -7340033 is not a Decimal or a float of the same value.
    return type(value) is type(stand_in) and value == stand_in


_PAGE_COMMENT = "/* page ids */"
_PAGE_MARK = f"(SELECT %s {_PAGE_COMMENT})"


@dataclass(frozen=True)
class _Compiled:
    compiler: Any
    sql: str
    params: tuple[Any, ...]
    slot: int
    value_slots: tuple[tuple[int, int], ...]
    reader: _ModelReader
