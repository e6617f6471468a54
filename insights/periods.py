"""The period of an export, a report or the analytics page: two local dates, both included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext


class PeriodError(ValueError):
    """A period a person typed that cannot be used (the message says why, in their language)."""


@dataclass(frozen=True)
class Period:
    since: date
    until: date
    # An ISO country code of the order's shipping address, or "" for every country.
    country: str = ""

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.since, time.min))

    @property
    def end(self) -> datetime:
        """The first instant after the period (the last day is included whole)."""
        return timezone.make_aware(datetime.combine(self.until + timedelta(days=1), time.min))


def parse_date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(
            gettext("%(name)s: %(value)r is not a date (YYYY-MM-DD).")
            % {"name": name, "value": text}
        ) from None


def period_of(since: str, until: str, country: str = "") -> Period:
    """The period from two ISO dates as typed, refusing a reversed one."""
    first, last = parse_date(since, "--since"), parse_date(until, "--until")
    if first > last:
        raise PeriodError(
            gettext("--since (%(since)s) is after --until (%(until)s).")
            % {"since": first.isoformat(), "until": last.isoformat()}
        )
    return Period(first, last, country.strip().upper())
