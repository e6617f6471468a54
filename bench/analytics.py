"""The analytics page measured in-process at the suite's two sizes, as bench/lists.py measures
the lists: requested with Django's test Client as the bench's staff user, with the production
settings, one process per database; the sizes in turn for --rounds rounds (the order swapped each
round), so that the machine's load weighs on both alike. Per round and size: the median wall
and CPU ms per request (this process's CPU: a loaded machine disturbs it less), and each of the
page's queries' execution time on the server (EXPLAIN ANALYZE, TIMING OFF: median of 7).
With --save DIR, the page's HTML (its CSRF token and CSP nonces blanked) for a few periods and
countries, in English and French, is written to DIR/<size>/ (--compare DIR1 DIR2 then says
whether two such folders hold the same pages).

    .venv/bin/python -m bench.analytics --databases returns_analytics --rounds 3
    .venv/bin/python -m bench.analytics --databases returns_analytics --save /tmp/before
    .venv/bin/python -m bench.analytics --compare /tmp/before /tmp/after

Nothing is left in the databases: the bench's staff user (bench/prepare.py) is made in a
transaction rolled back at the end.
"""

import json
import re
import statistics
import sys
import time
from pathlib import Path

from bench.inprocess import bench_plan, in_process_parser, run_child, setup_django
from bench.lists import SERVER_NAME

PATH = "/admin/insights/analytics/"
EXPLAIN_RUNS = 7
# Periods saved by --save: the default (12 weeks to today), a country, whole months, a year.
SAVED = [
    ("default", ""),
    ("country", "?since={weeks_ago}&until={today}&country=FR"),
    ("months", "?since={year}-01-01&until={year}-03-31"),
    ("year", "?since={last_year}-01-01&until={last_year}-12-31"),
    ("edges", "?since={last_year}-02-03&until={last_year}-05-09"),
]


class _Rollback(Exception):
    pass


def _child(requests: int, save: str) -> None:
    setup_django()
    from django.db import transaction
    from django.test import Client

    from bench import prepare
    from shop.models import User

    result: dict = {}
    try:
        with transaction.atomic():
            bench_plan()
            client = Client(SERVER_NAME=SERVER_NAME)
            client.force_login(User.objects.get(email=prepare.STAFF_EMAIL))
            if save:
                _save(client, Path(save))
            else:
                result = _measure(client, requests)
            raise _Rollback
    except _Rollback:
        pass
    print("ANALYTICS " + json.dumps(result))


def _get(client, path: str, **headers):
    answer = client.get(path, secure=True, **headers)
    if answer.status_code != 200:
        raise SystemExit(f"{path}: {answer.status_code}")
    return answer


def _measure(client, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _get(client, PATH)  # warm: templates compiled, caches filled
    times, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        _get(client, PATH)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as captured:
        html = _get(client, PATH).content
    queries = [
        {"sql": query["sql"][:90], "ms": _explained(connection, query["sql"])}
        for query in captured.captured_queries
    ]
    return {
        "ms": statistics.median(times),
        "cpu": statistics.median(cpu),
        "bytes": len(html),
        "queries": queries,
    }


def _explained(connection, sql: str) -> float | None:
    """The server's execution time of a read (median of EXPLAIN_RUNS), None for a write."""
    if not sql.lstrip().upper().startswith("SELECT"):
        return None
    found = []
    with connection.cursor() as cursor:
        for _ in range(EXPLAIN_RUNS):
            cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) {sql}")
            lines = [row[0] for row in cursor.fetchall()]
            found.append(float(next(x for x in lines if x.startswith("Execution Time")).split()[2]))
    return statistics.median(found)


def _save(client, folder: Path) -> None:
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    values = {
        "today": today.isoformat(),
        "weeks_ago": (today - timedelta(weeks=5)).isoformat(),
        "year": today.year,
        "last_year": today.year - 1,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, query in SAVED:
        for language in ("en", "fr"):
            html = _get(client, PATH + query.format(**values), HTTP_ACCEPT_LANGUAGE=language)
            text = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", html.content)
            text = re.sub(rb'nonce="[^"]*"', b"", text)  # the CSP's, new on every request
            (folder / f"{name}-{language}.html").write_bytes(text)


def compare(before: Path, after: Path) -> int:
    files = sorted(p.relative_to(before) for p in before.rglob("*.html"))
    differ = [
        rel
        for rel in files
        if not (after / rel).exists() or (before / rel).read_bytes() != (after / rel).read_bytes()
    ]
    for rel in differ:
        print(f"DIFF {rel}")
    print(f"{len(files)} pages compared, {len(differ)} differ")
    return 1 if differ or not files else 0


def main() -> int:
    parser = in_process_parser(__doc__, requests=40)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.compare:
        return compare(Path(args.compare[0]), Path(args.compare[1]))
    if args.child:
        _child(args.requests, args.save)
        return 0
    sizes = args.sizes.split(",")
    if args.save:
        for size in sizes:
            folder = str(Path(args.save).resolve() / size)
            run_child("bench.analytics", "ANALYTICS", f"{args.databases}_{size}", size,
                      ["--save", folder])  # fmt: skip
        print(f"saved under {args.save}")
        return 0
    rounds: dict[str, list[dict]] = {size: [] for size in sizes}
    for number in range(args.rounds):
        for size in sizes if number % 2 == 0 else sizes[::-1]:
            arguments = ["--requests", str(args.requests)]
            database = f"{args.databases}_{size}"
            figures = run_child("bench.analytics", "ANALYTICS", database, size, arguments)
            rounds[size].append(figures)
    _print(sizes, rounds)
    return 0


def _print(sizes: list[str], rounds: dict[str, list[dict]]) -> None:
    first, last = sizes[0], sizes[-1]
    heads = [
        f"{'ms ' + first:>9}",
        f"{'ms ' + last:>8}",
        f"{'cpu ' + first:>9}",
        f"{'cpu ' + last:>8}",
    ]
    print(f"{'round':<6} {' '.join(heads)}")
    for number, (small, big) in enumerate(zip(rounds[first], rounds[last], strict=True)):
        print(
            f"{number + 1:<6} {small['ms']:>9.1f} {big['ms']:>8.1f}"
            f" {small['cpu']:>9.1f} {big['cpu']:>8.1f}"
        )
    print(f"\nqueries (server ms, median over the rounds): {first} / {last}")
    counts = {size: len(rounds[size][0]["queries"]) for size in sizes}
    for index in range(min(counts.values())):
        small = [r["queries"][index]["ms"] for r in rounds[first]]
        big = [r["queries"][index]["ms"] for r in rounds[last]]
        ms = [f"{statistics.median(x):6.2f}" if None not in x else "     -" for x in (small, big)]
        print(f"{ms[0]} {ms[1]}  {rounds[first][0]['queries'][index]['sql']}")
    print(f"queries {counts}; bytes {[rounds[size][0]['bytes'] for size in sizes]}")


if __name__ == "__main__":
    sys.exit(main())
