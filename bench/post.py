"""The portal's create-return POST measured in-process, as bench/portal.py does the portal's
pages: the confirm of a draft (it makes the return and enqueues its email, handed to the
broker after the commit) sent through Django's test Client with the production settings
against the suite's two databases, one process each, interleaved with the logged-in minimal
page; ms per request (median), its number of queries, and with --profile where the CPU goes.

    .venv/bin/python -m bench.post --databases returns_portalpost --requests 100
    .venv/bin/python -m bench.post --databases returns_portalpost --profile

Each request has its own order and session (bench/prepare.py post_requests); the returns made
are deleted at the end, as the HTTP suite does after each run.
"""

import argparse
import json
import statistics
import sys
import time

from bench.inprocess import bench_plan, run_child, setup_django
from bench.inprocess import profiled as profile_of

SERVER_NAME = "127.0.0.1"


def _child(count: int, profile: bool) -> None:
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.prepare import post_requests, post_reset
    from shop.models import Customer

    plan = bench_plan()
    profiled = count if profile else 0
    requests = iter(post_requests(2 + 2 * count + profiled))
    customer = Customer.objects.select_related("user").get(email=plan["post"]["email"])
    minimal = Client(SERVER_NAME=SERVER_NAME)
    assert customer.user is not None
    minimal.force_login(customer.user)

    def post():
        cookie, path, _body = next(requests)
        client = Client(SERVER_NAME=SERVER_NAME)
        client.cookies["sessionid"] = cookie.split("sessionid=")[1]
        started = time.perf_counter()
        answer = client.post(path, secure=True)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 302 or not answer["Location"].startswith("/returns/"):
            raise SystemExit(f"create return: {answer.status_code} {answer.get('Location')}")
        return elapsed

    def minimal_page():
        started = time.perf_counter()
        minimal.get("/bench/minimal/", secure=True)
        return (time.perf_counter() - started) * 1000

    post(), minimal_page()  # warm: templates compiled, caches filled
    posts, minimals = [], []
    for _ in range(count):
        posts.append(post())
        minimals.append(minimal_page())
    with CaptureQueriesContext(connection) as captured:
        post()
    row = {
        "ms": statistics.median(posts),
        "minimal_ms": statistics.median(minimals),
        "queries": len(captured),
        "sql": [query["sql"][:160] for query in captured.captured_queries],
    }
    if profile:
        row["profile"] = profile_of(post, profiled, cumulative=90)
    post_reset(customer)
    print("POST " + json.dumps(row))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="returns_bench")
    parser.add_argument("--sizes", default="small,big")
    parser.add_argument("--requests", type=int, default=100, help="POSTs a size (median).")
    parser.add_argument("--profile", action="store_true", help="cProfile as many again.")
    parser.add_argument("--sql", action="store_true", help="Print one POST's queries.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.requests, args.profile)
        return 0
    arguments = ["--requests", str(args.requests)] + (["--profile"] if args.profile else [])
    sizes = args.sizes.split(",")
    rows = {
        size: run_child("bench.post", "POST", f"{args.databases}_{size}", size, arguments)
        for size in sizes
    }
    for size, row in rows.items():
        ratio = row["minimal_ms"] / row["ms"]
        print(
            f"{size}: create return {row['ms']:.2f} ms, {row['queries']} queries; minimal "
            f"{row['minimal_ms']:.2f} ms; minimal ÷ POST {ratio:.3f}"
        )
        if args.sql:
            print("\n".join(row["sql"]))
        if "profile" in row:
            print(f"\n--- {size}\n{row['profile']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
