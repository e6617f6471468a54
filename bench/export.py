"""Benchmark of the returns export: its peak memory at a small and a large number of returns
(10,000 then 100,000 by default), which should stay flat, and the CSV read back.

    .venv/bin/python -m bench.export                                   # SQLite, var/bench.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/returns .venv/bin/python -m bench.export
    .venv/bin/python -m bench.export --small 1000 --large 10000        # quicker

The database is a throwaway one (bench/inprocess.py). The peak is what
Python allocated while the export ran (tracemalloc), the rows going to a file; the CSV is then
read back with the csv module to the same row count and units as the database holds.
"""

import argparse
import csv
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

from bench.inprocess import configure

GOAL_RATIO = 1.5  # the large export's peak may not exceed the small one's by more than this


def _export_peak(path: Path) -> tuple[float, float]:
    """(peak MiB, seconds) of export_rows over every return, written as CSV to `path`."""
    from insights.exports import csv_chunks, export_rows
    from returns.models import Return

    tracemalloc.start()
    started = time.perf_counter()
    with path.open("w", encoding="utf-8", newline="") as out:
        for chunk in csv_chunks(export_rows(Return.objects.all())):
            out.write(chunk)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, seconds


def _read_back(path: Path) -> tuple[int, int, Decimal]:
    """(rows, units, sum of line amounts) of the CSV, read with the csv module."""
    rows = units = 0
    amount = Decimal(0)
    with path.open(encoding="utf-8", newline="") as source:
        for row in csv.DictReader(source):
            rows += 1
            units += int(row["quantity"])
            amount += Decimal(row["line_amount"] or 0)
    return rows, units, amount


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    configure()

    from django.db.models import Count, Sum

    from bench.data import grow_to, make_people
    from returns.models import ReturnLine

    _, customer = make_people()
    peaks = []
    with tempfile.TemporaryDirectory() as folder:
        for size in (args.small, args.large):
            grow_to(size, customer)
            path = Path(folder) / f"returns-{size}.csv"
            peak, seconds = _export_peak(path)
            rows, units, amount = _read_back(path)
            expected = ReturnLine.objects.aggregate(rows=Count("id"), units=Sum("quantity"))
            same = (rows, units) == (expected["rows"], expected["units"])
            print(
                f"{size:>9,} returns: peak {peak:7.1f} MiB, {seconds:6.1f} s, "
                f"{rows:,} rows / {units:,} units / {amount} read back "
                f"({'same as the database' if same else 'DIFFERENT from the database'})",
                flush=True,
            )
            peaks.append(peak)
            if not same:
                return 1
    ratio = peaks[1] / peaks[0]
    verdict = "met" if ratio <= GOAL_RATIO else "NOT met"
    print(f"\npeak memory large/small: {ratio:.2f} (goal <= {GOAL_RATIO}: {verdict})")
    return 0 if ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
