"""The API's list and retrieve measured in-process, as bench/lists.py measures the back-office
lists: each request through Django's test Client with the production settings against the
suite's two databases, one process each; ms per request (median, the pages interleaved) beside
the logged-in minimal page's, queries at 5 and 50 rows a page, and with --profile where the CPU goes
(cProfile).

    .venv/bin/python -m bench.api --databases returns_pages_bench
    .venv/bin/python -m bench.api --databases returns_pages_bench --profile "API"

Nothing is left in the databases: the bench's staff user and API key (bench/prepare.py) are
made in a transaction rolled back at the end.
"""

import argparse
import json
import statistics
import sys
import time

from bench.inprocess import bench_plan, run_child, setup_django
from bench.lists import SERVER_NAME, _measure


class _Rollback(Exception):
    pass


def _child(requests_per_page: int, profile: str) -> None:
    setup_django()
    from django.db import transaction
    from django.test import Client

    from bench import prepare
    from shop.models import User

    results: dict = {}
    try:
        with transaction.atomic():
            plan = bench_plan()
            client = Client(SERVER_NAME=SERVER_NAME)
            client.force_login(User.objects.get(email=prepare.STAFF_EMAIL))
            api = {"HTTP_AUTHORIZATION": f"Bearer {plan['api_key']}"}
            anonymous = Client(SERVER_NAME=SERVER_NAME)  # the API: its key, no session
            pages = {"minimal (staff)": (client, plan["pages"]["staff"]["minimal (staff)"], {})}
            pages |= {name: (anonymous, path, api) for name, path in plan["pages"]["api"].items()}
            for name, (who, path, extra) in pages.items():
                results[name] = _measure(who, name, path, extra, requests_per_page, profile)
            # The figures: the pages' requests interleaved, so that the machine's load weighs
            # on each alike (the medians of _measure ran one page after the other).
            times: dict[str, list[float]] = {name: [] for name in pages}
            for _ in range(requests_per_page):
                for name, (who, path, extra) in pages.items():
                    started = time.perf_counter()
                    answer = who.get(path, secure=True, **extra)
                    times[name].append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, (name, answer.status_code)
            for name, row in results.items():
                row["ms"] = statistics.median(times[name])
            raise _Rollback
    except _Rollback:
        pass
    print("API " + json.dumps(results))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="returns_bench")
    parser.add_argument("--requests", type=int, default=50, help="Requests a page (median).")
    parser.add_argument("--profile", default="", help="Profile the pages whose name has this.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.requests, args.profile)
        return 0
    figures = {}
    for size in ("small", "big"):
        arguments = ["--requests", str(args.requests), "--profile", args.profile]
        figures[size] = run_child("bench.api", "API", f"{args.databases}_{size}", size, arguments)
    print(f"{'page':<20} {'ms small':>9} {'ms big':>8} {'÷ minimal':>10}  queries 50/5 small, big")
    for name, small in figures["small"].items():
        big = figures["big"][name]
        minimal = figures["big"]["minimal (staff)"]["ms"]
        print(
            f"{name[:20]:<20} {small['ms']:>9.2f} {big['ms']:>8.2f} {minimal / big['ms']:>10.3f}"
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
