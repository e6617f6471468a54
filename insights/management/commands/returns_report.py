"""manage.py returns_report: return rate, refunds, store credit, days to refund and top reasons
for the returns requested in a period, grouped by one dimension (insights/reports.py)."""

import csv
import json

from django.core.management.base import BaseCommand, CommandError

from insights.periods import PeriodError, period_of
from insights.reports import DIMENSIONS, Figures, report

FORMATS = ("table", "csv", "json")
COLUMNS = [
    "group",
    "sold_units",
    "returned_units",
    "return_rate_percent",
    "refunded",
    "store_credit",
    "refunded_returns",
    "avg_days_to_refund",
    "p90_days_to_refund",
    "top_reasons",
]


def _values(row: Figures) -> list:
    return [
        row.label,
        row.sold_units,
        row.returned_units,
        row.return_rate,
        row.refunded,
        row.store_credit,
        row.refunded_returns,
        row.avg_days,
        row.p90_days,
        "; ".join(f"{name} ({units})" for name, units in row.top_reasons),
    ]


def _text(value) -> str:
    return "-" if value is None else str(value)


class Command(BaseCommand):
    help = (
        "Report on the returns requested between two dates (both included): units sold and "
        "returned, return rate (returned units / sold units), refunded amount, store credit "
        "issued, average and 90th-percentile days from request to first refund, top reasons; "
        "grouped by product, variant, reason, country, channel or month, with a total row. "
        "Rejected, cancelled and expired returns are left out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--until", required=True, help="last day (included), YYYY-MM-DD")
        parser.add_argument("--by", default="product", help=f"one of {', '.join(DIMENSIONS)}")
        parser.add_argument("--country", default="", help="only orders shipped to this country")
        parser.add_argument(
            "--format",
            default="table",
            help="table (readable, the default), csv or json (for tools)",
        )

    def handle(self, *args, since, until, by, country, format, **options):
        try:
            period = period_of(since, until, country)
        except PeriodError as error:
            raise CommandError(str(error), returncode=2) from None
        if by not in DIMENSIONS:
            raise CommandError(
                f"--by: unknown {by!r}; choose one of {', '.join(DIMENSIONS)}.", returncode=2
            )
        if format not in FORMATS:
            raise CommandError(
                f"--format: unknown {format!r}; choose one of {', '.join(FORMATS)}.", returncode=2
            )
        result = report(period, by)
        rows = [*result.rows, result.total]
        if format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows([_text(v) if v is None else v for v in _values(r)] for r in rows)
        elif format == "json":
            data = {
                "since": period.since.isoformat(),
                "until": period.until.isoformat(),
                "country": period.country or None,
                "by": by,
                "rows": [self._json(r) for r in result.rows],
                "total": self._json(result.total),
            }
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            self._table(rows)

    @staticmethod
    def _json(row: Figures) -> dict:
        values = dict(zip(COLUMNS, _values(row), strict=True))
        values["top_reasons"] = [{"reason": n, "units": u} for n, u in row.top_reasons]
        for name in ("return_rate_percent", "refunded", "store_credit", "avg_days_to_refund"):
            values[name] = None if values[name] is None else str(values[name])
        return values

    def _table(self, rows: list[Figures]) -> None:
        headers = ["", "sold", "returned", "rate %", "refunded", "credit", "refunds", "avg d"]
        headers += ["p90 d", "top reasons"]
        cells = [[_text(v) for v in _values(row)] for row in rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
        widths[0] = min(widths[0], 40)

        def line(values: list[str]) -> str:
            first = values[0][: widths[0]].ljust(widths[0])
            middle = [v.rjust(w) for v, w in zip(values[1:-1], widths[1:-1], strict=True)]
            return "  ".join([first, *middle, values[-1]]).rstrip()

        self.stdout.write(line(headers))
        self.stdout.write("-" * (sum(widths[:-1]) + 2 * (len(widths) - 1) + 11))
        for i, row in enumerate(cells):
            if i == len(cells) - 1:
                self.stdout.write("-" * (sum(widths[:-1]) + 2 * (len(widths) - 1) + 11))
            self.stdout.write(line(row))
