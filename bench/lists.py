"""The back-office lists measured in-process, before the real-HTTP suite: each page requested
through Django's test Client with the production settings (DEBUG off, the cached template
loader) against the suite's two databases, one process each; ms per request (median), the
number of queries at 5 and 50 rows a page, and with --profile where the CPU goes (cProfile).

    .venv/bin/python -m bench.lists --databases returns_pages_bench          # both sizes
    .venv/bin/python -m bench.lists --databases returns_pages_bench --profile "overview"

The databases are those `python -m bench` loads (<prefix>_small, <prefix>_big); nothing is
written to them but the bench's staff user and API key (bench/prepare.py).
"""

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time

from bench.inprocess import bench_plan, run_child, setup_django

SERVER_NAME = "127.0.0.1"


def _pages(plan: dict) -> dict[str, tuple[str, str]]:
    """The lists of the plan (bench/prepare.py): name -> (path, who)."""
    wanted = ("overview", "orders")
    pages = {
        name: (path, "staff")
        for name, path in plan["pages"]["staff"].items()
        if name.startswith(wanted) or name == "minimal (staff)"
    }
    pages["API returns list"] = (plan["pages"]["api"]["API returns list"], "api")
    return pages


def _child(requests_per_page: int, profile: str) -> None:
    """In the database's process: each page's ms per request, its queries at 50 and 5 rows."""
    setup_django()
    from django.test import Client

    from bench import prepare
    from shop.models import User

    plan = bench_plan()
    staff = User.objects.get(email=prepare.STAFF_EMAIL)
    client = Client(SERVER_NAME=SERVER_NAME)
    client.force_login(staff)
    api = {"HTTP_AUTHORIZATION": f"Bearer {plan['api_key']}"}
    results = {
        name: _measure(client, name, path, api if who == "api" else {}, requests_per_page, profile)
        for name, (path, who) in _pages(plan).items()
    }
    print("LISTS " + json.dumps(results))


def _measure(client, name: str, path: str, extra: dict, count: int, profile: str) -> dict:
    """One page: ms per request (median of `count`), queries at 50 and 5 rows a page."""
    from django.contrib.admin import site
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from returns.models import Return
    from shop.models import Order

    def get(url):
        answer = client.get(url, secure=True, **extra)
        if answer.status_code != 200:
            raise SystemExit(f"{name}: {answer.status_code}")
        return answer

    get(path)  # warm: templates compiled, caches filled
    times = []
    for _ in range(count):
        started = time.perf_counter()
        get(path)
        times.append((time.perf_counter() - started) * 1000)
    queries = {}
    admins = [site._registry[Return], site._registry[Order]]
    saved = [admin.list_per_page for admin in admins]
    for rows in (50, 5):
        for admin in admins:
            setattr(admin, "list_per_page", rows)  # noqa: B010 (a ClassVar on the instance)
        url = path
        if extra:  # the API: its page size is a parameter
            url = f"{path}{'&' if '?' in path else '?'}page_size={rows}"
        try:
            with CaptureQueriesContext(connection) as captured:
                get(url)
        finally:
            for admin, per_page in zip(admins, saved, strict=True):
                setattr(admin, "list_per_page", per_page)  # noqa: B010
        queries[rows] = len(captured)
    row: dict = {"ms": statistics.median(times), "queries": queries}
    if profile and profile in name:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            get(path)
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)
        row["profile"] = text.getvalue()
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="returns_bench")
    parser.add_argument("--requests", type=int, default=20, help="Requests a page (median).")
    parser.add_argument("--profile", default="", help="Profile the pages whose name has this.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.requests, args.profile)
        return 0
    figures = {}
    for size in ("small", "big"):
        arguments = ["--requests", str(args.requests), "--profile", args.profile]
        figures[size] = run_child(
            "bench.lists", "LISTS", f"{args.databases}_{size}", size, arguments
        )
    print(f"{'page':<42} {'ms small':>9} {'ms big':>8} {'ratio':>6}  queries 50/5 small, big")
    for name, small in figures["small"].items():
        big = figures["big"][name]
        print(
            f"{name[:42]:<42} {small['ms']:>9.1f} {big['ms']:>8.1f} {big['ms'] / small['ms']:>6.2f}"
            f"  {small['queries']['50']}/{small['queries']['5']}, "
            f"{big['queries']['50']}/{big['queries']['5']}"
        )
    for size in ("small", "big"):
        for name, row in figures[size].items():
            if "profile" in row:
                print(f"\n--- {size}: {name}\n{row['profile']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
