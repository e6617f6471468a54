"""The back-office lists measured in-process, before the real-HTTP suite: each page requested
through Django's test Client with the production settings (DEBUG off, the cached template
loader) against the suite's two databases, one process each; ms per request (median; its CPU
time too, this process's, which a loaded machine disturbs less), the number of queries at 5
and 50 rows a page, and with --profile where the CPU goes (cProfile).
With --save DIR, the HTML of the overview and the orders list for varied queries (filters,
sorts, a search, page 2) in English and French is written to DIR/<size>/, and --compare DIR1
DIR2 says whether two such folders show the same lists (bench/list_html.py): a speed-up of a
list is proved to change nothing that way.

    .venv/bin/python -m bench.lists --databases returns_pages_bench          # both sizes
    .venv/bin/python -m bench.lists --databases returns_pages_bench --profile "overview"
    .venv/bin/python -m bench.lists --databases returns_pages_bench --only "overview,orders list"
    .venv/bin/python -m bench.lists --databases returns_pages_bench --save /tmp/before --requests 0
    .venv/bin/python -m bench.lists --compare /tmp/before /tmp/after
    .venv/bin/python -m bench.lists --databases returns_pages_bench --cold   # rows never seen

With --cold, the rows the lists keep (returns/admin/kept.py) and their filters' panels are
forgotten before each request: each page as if its rows had never been shown.

The databases are those `python -m bench` loads (<prefix>_small, <prefix>_big); nothing is
written to them but the bench's staff user and API key (bench/prepare.py).
"""

import json
import statistics
import sys
import time
from pathlib import Path

from bench.inprocess import bench_plan, in_process_parser, profiled, run_child, setup_django

SERVER_NAME = "127.0.0.1"


def _pages(plan: dict, only: list[str]) -> dict[str, tuple[str, str]]:
    """The lists of the plan (bench/prepare.py): name -> (path, who); with `only`, those named
    by one of its words, or whose name contains one that names no page (and the minimal
    page): "overview,sort" is the default overview and its sorts."""
    wanted = ("overview", "orders")
    pages = {
        name: (path, "staff")
        for name, path in plan["pages"]["staff"].items()
        if name.startswith(wanted) or name == "minimal (staff)"
    }
    pages["API returns list"] = (plan["pages"]["api"]["API returns list"], "api")
    names = [word for word in only if word in pages]
    parts = [word for word in only if word not in pages]
    return {
        name: page
        for name, page in pages.items()
        if not only
        or name.startswith("minimal")
        or name in names
        or any(word in name for word in parts)
    }


def _forget_kept() -> None:
    """--cold: the lists' kept rows and filters' panels forgotten (a page never seen)."""
    from returns.admin import lean, orders, returns

    returns._ROWS.clear()
    orders._ROWS.clear()
    lean._PANELS.clear()


def _child(
    requests_per_page: int, profile: str, only: list[str], save: str, cold: bool = False
) -> None:
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
    if save:
        from bench.list_html import save_lists

        save_lists(Path(save), plan, staff)
    results = {}
    for name, (path, who) in _pages(plan, only).items() if requests_per_page else ():
        extra = api if who == "api" else {}
        results[name] = _measure(client, name, path, extra, requests_per_page, profile, cold)
    print("LISTS " + json.dumps(results))


def _measure(
    client, name: str, path: str, extra: dict, count: int, profile: str, cold: bool = False
) -> dict:
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
    times, cpu = [], []
    for _ in range(count):
        if cold:
            _forget_kept()
        started, started_cpu = time.perf_counter(), time.process_time()
        get(path)
        times.append((time.perf_counter() - started) * 1000)
        # This process's CPU only (not the database's): on a loaded machine the wall time
        # mostly measures the other jobs, the CPU time much less.
        cpu.append((time.process_time() - started_cpu) * 1000)
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
    row: dict = {"ms": statistics.median(times), "cpu": statistics.median(cpu), "queries": queries}
    if profile and profile in name:
        row["profile"] = profiled(lambda: get(path), count, cumulative=60)
    return row


def main() -> int:
    parser = in_process_parser(__doc__, requests=20, saved="the lists' HTML")
    parser.add_argument("--only", default="", help="Comma-separated words of the pages' names.")
    parser.add_argument("--cold", action="store_true", help="Forget the lists' kept rows first.")
    args = parser.parse_args()
    only = [word for word in args.only.split(",") if word]
    if args.compare:
        from bench.list_html import compare

        return compare(Path(args.compare[0]), Path(args.compare[1]))
    if args.child:
        _child(args.requests, args.profile, only, args.save, args.cold)
        return 0
    figures = {}
    sizes = args.sizes.split(",")
    for size in sizes:
        arguments = ["--requests", str(args.requests), "--profile", args.profile]
        arguments += ["--only", args.only, *(["--cold"] if args.cold else [])]
        if args.save:
            arguments += ["--save", str(Path(args.save).resolve() / size)]
        figures[size] = run_child(
            "bench.lists", "LISTS", f"{args.databases}_{size}", size, arguments
        )
    if not args.requests:
        return 0
    first, last = sizes[0], sizes[-1]
    minimal = figures[last]["minimal (staff)"]["ms"]
    minimal_cpu = figures[last]["minimal (staff)"]["cpu"]
    print(
        f"{'page':<42} {'ms ' + first:>9} {'ms ' + last:>8} {'ratio':>6} {'÷min':>6}"
        f" {'cpu ' + last:>8} {'÷min':>6}  queries 50/5 {first}, {last}"
    )
    for name, small in figures[first].items():
        big = figures[last][name]
        print(
            f"{name[:42]:<42} {small['ms']:>9.1f} {big['ms']:>8.1f} {big['ms'] / small['ms']:>6.2f}"
            f" {minimal / big['ms']:>6.3f} {big['cpu']:>8.1f} {minimal_cpu / big['cpu']:>6.3f}"
            f"  {small['queries']['50']}/{small['queries']['5']}, "
            f"{big['queries']['50']}/{big['queries']['5']}"
        )
    for size in sizes:
        for name, row in figures[size].items():
            if "profile" in row:
                print(f"\n--- {size}: {name}\n{row['profile']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
