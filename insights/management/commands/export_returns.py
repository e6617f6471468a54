"""manage.py export_returns: every return requested in a period, one row per line, as CSV, JSON
or .xlsx (insights/exports.py), to standard output or to a file written whole or not at all."""

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from insights.exports import FORMATS, export_rows, line_count, returns_in, write_text, write_xlsx
from insights.periods import PeriodError, period_of


class Command(BaseCommand):
    help = (
        "Export every return requested between two dates (both included), whatever its status: "
        "one row per return line with the return's statuses, quote, fees and refunds (the "
        "columns are listed in the README). CSV or JSON go to standard output unless --output "
        "names a file; .xlsx needs --output. A file is written under a temporary name and "
        "renamed once complete: a failed export leaves no half-written file. A progress bar "
        "shows on a terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--until", required=True, help="last day (included), YYYY-MM-DD")
        parser.add_argument("--country", default="", help="only orders shipped to this country")
        parser.add_argument("--format", default="csv", help="csv (the default), json or xlsx")
        parser.add_argument("--output", default=None, help="the file to write (default: stdout)")

    def handle(self, *args, since, until, country, format, output, **options):
        try:
            period = period_of(since, until, country)
        except PeriodError as error:
            raise CommandError(str(error), returncode=2) from None
        if format not in FORMATS:
            raise CommandError(
                f"--format: unknown {format!r}; choose one of {', '.join(FORMATS)}.", returncode=2
            )
        if format == "xlsx" and not output:
            raise CommandError("--format xlsx needs --output FILE.", returncode=2)
        if output and not Path(output).resolve().parent.is_dir():
            raise CommandError(f"--output: no directory {Path(output).parent}.", returncode=2)
        returns = returns_in(period)
        rows = self._with_progress(export_rows(returns), returns)
        if output is None:
            write_text(rows, format, self.stdout)
            return
        self._write_whole(rows, format, Path(output))
        self.stderr.write(f"Wrote {output}.")

    @staticmethod
    def _with_progress(rows: Iterator[list], returns) -> Iterator[list]:
        if not sys.stderr.isatty():
            yield from rows
            return
        with tqdm(total=line_count(returns), unit="row", file=sys.stderr) as bar:
            for row in rows:
                bar.update(1)
                yield row

    @staticmethod
    def _write_whole(rows: Iterator[list], format: str, output: Path) -> None:
        """Write to a temporary file beside `output`, renamed to it only once complete."""
        handle, temporary = tempfile.mkstemp(
            dir=output.resolve().parent, prefix=f".{output.name}.", suffix=".part"
        )
        try:
            if format == "xlsx":
                os.close(handle)
                write_xlsx(rows, temporary)
            else:
                with open(handle, "w", encoding="utf-8", newline="") as out:
                    write_text(rows, format, out)
            os.replace(temporary, output)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
