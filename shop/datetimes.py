"""Dates someone outside gave us (a carrier's scans), shown whatever is stored.

Input is bounded (shop/limits.py, returns/services/tracking.py), but a row written before, or
by another way, may hold a date at the edge of what can be represented: year 9999 in UTC is
year 10000 in Paris, and PostgreSQL keeps years past 9999 that no Python datetime can hold. Such
a row must not break the pages that show it:

- `ReportedDateTimeField` reads such a date as a `StoredDateTime`: the same instant, which the
  templates and the admin show as stored (in UTC) instead of converting it to local time;
- on PostgreSQL, `register_lenient_timestamps` (connected when a connection opens) reads a
  date past year 9999 (or before year 1) as the last (first) instant Python can hold, marked
  the same way, instead of failing the whole query.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import models

from shop.limits import datetime_out_of_range


class StoredDateTime(datetime):
    """A datetime shown as stored: Django's templates and admin do not convert it to local
    time (the flag `django.utils.timezone.template_localtime` reads)."""

    convert_to_local_time = False

    @classmethod
    def of(cls, value: datetime) -> StoredDateTime:
        return cls(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=value.tzinfo,
            fold=value.fold,
        )


LAST = StoredDateTime.of(datetime.max.replace(tzinfo=UTC))
FIRST = StoredDateTime.of(datetime.min.replace(tzinfo=UTC))


def shown_as_stored(value: Any) -> Any:
    """`value`, marked to be shown as stored when local time cannot hold it."""
    if isinstance(value, datetime) and value.tzinfo is not None and datetime_out_of_range(value):
        return StoredDateTime.of(value)
    return value


class ReportedDateTimeField(models.DateTimeField):
    """A DateTimeField whose value came from outside: read back, an edge date is shown as
    stored instead of breaking the page (see the module)."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return shown_as_stored(value)


def register_lenient_timestamps(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On a new PostgreSQL connection (psycopg 3), read out-of-range timestamps as the edge
    instants instead of raising (connected to `connection_created` in shop/apps.py)."""
    if connection.vendor != "postgresql":
        return
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if not is_psycopg3:
        return
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg import DataError

    class LenientTzLoader(BaseTzLoader):
        # The same time zone as Django's own loader: Django then keeps this one on its cursors.
        timezone = connection.timezone

        def load(self, data: Any) -> datetime:
            try:
                return super().load(data)
            except DataError:
                # "10000-01-01 ..." or "0001-12-31 ... BC": past what Python can hold.
                return FIRST if bytes(data).rstrip().endswith(b"BC") else LAST

    connection.connection.adapters.register_loader("timestamptz", LenientTzLoader)
