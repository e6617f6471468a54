"""A return's page, staff's (the back-office) and the customer's (the portal), measured
in-process as bench/lists.py and bench/portal.py measure theirs: Django's test Client with the
production settings against the suite's two databases, one process each; ms per request
(median, interleaved with the minimal page: the machine's load weighs on both alike) and
this process's CPU ms (time.process_time, the database's aside) with their ratios, its
queries, with --profile where the CPU goes (cProfile), with --sql the queries themselves.

With --save DIR, the HTML of the staff page and of the portal's page of returns in every
status and refund mode (with and without refunds, labels, exchanges) is written to
DIR/<size>/, in English and French; --compare DIR1 DIR2 says whether two such folders match
(bench.portal's comparison: CSRF tokens and nonces aside).

    .venv/bin/python -m bench.return_page --databases returns_pages_bench
    .venv/bin/python -m bench.return_page --databases returns_pages_bench --profile staff
    .venv/bin/python -m bench.return_page --databases returns_pages_bench --save /tmp/before
    .venv/bin/python -m bench.return_page --compare /tmp/before /tmp/after

Nothing is written to the databases but the bench's users, key and sessions (bench/prepare.py).
"""

import json
import statistics
import sys
import time
from pathlib import Path

from bench.inprocess import bench_plan, in_process_parser, profiled, run_child, setup_django
from bench.portal import compare

SERVER_NAME = "127.0.0.1"
# The pages measured, by the plan's name (bench/prepare.py), with who asks them.
PAGES = {
    "a return's page": "staff",
    "minimal (staff)": "staff",
    "portal a return": "customer",
    "minimal (customer)": "customer",
}


def _clients(plan: dict, language: str = "en"):
    from django.test import Client

    from bench import prepare
    from shop.models import User

    clients = {}
    for who, email in (("staff", prepare.STAFF_EMAIL), ("customer", plan["customer"][0])):
        client = Client(SERVER_NAME=SERVER_NAME, HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(User.objects.get(email=email))
        clients[who] = client
    return clients


def _child(requests: int, profile: str, sql: bool, save: str, dump: str) -> None:
    setup_django()
    plan = bench_plan()
    clients = _clients(plan)
    paths = {name: plan["pages"][who][name] for name, who in PAGES.items()}

    def get(name: str):
        answer = clients[PAGES[name]].get(paths[name], secure=True)
        if answer.status_code != 200:
            raise SystemExit(f"{name}: {answer.status_code}")

    results = {name: _measure(get, name, requests, profile, sql, dump) for name in PAGES}
    if save:
        _save(Path(save), plan)
    print("RETURNPAGE " + json.dumps(results))


def _measure(get, name: str, count: int, profile: str, sql: bool, dump: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    minimal = "minimal (staff)" if "portal" not in name else "minimal (customer)"
    get(name)  # warm: templates compiled, caches filled
    get(minimal)
    times: list[float] = []
    minimal_times: list[float] = []
    cpu: list[float] = []
    minimal_cpu: list[float] = []
    for _ in range(count):
        for page, into, into_cpu in ((name, times, cpu), (minimal, minimal_times, minimal_cpu)):
            started, started_cpu = time.perf_counter(), time.process_time()
            get(page)
            into.append((time.perf_counter() - started) * 1000)
            # This process's CPU only (not the database's): on a loaded machine the wall
            # time mostly measures the other jobs, the CPU time much less.
            into_cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as captured:
        get(name)
    ms = statistics.median(times)
    row: dict = {
        "ms": ms,
        "queries": len(captured),
        "to_minimal": statistics.median(minimal_times) / ms,
        "cpu": statistics.median(cpu),
        "cpu_to_minimal": statistics.median(minimal_cpu) / statistics.median(cpu),
    }
    if sql:
        row["sql"] = [query["sql"] for query in captured.captured_queries]
    if profile and profile in name:
        # --dump: for pstats' callers and callees
        dumped = f"{dump}-{name.replace(' ', '_')}.prof" if dump else ""
        row["profile"] = profiled(lambda: get(name), count, dump=dumped)
    return row


def _picked():
    """Returns in every status and refund mode, and among them ones with refunds (pending,
    refunded, several), a label, an exchange's item: two of each, the oldest first."""
    from django.db.models import Count

    from returns.models import Return

    picked: dict[int, Return] = {}
    base = Return.objects.select_related("order").order_by("id")
    for status, mode in Return.objects.order_by().values_list("status", "refund_mode").distinct():
        for ret in base.filter(status=status, refund_mode=mode)[:2]:
            picked[ret.pk] = ret
        with_refunds = base.filter(status=status, refund_mode=mode).annotate(n=Count("refunds"))
        for ret in with_refunds.filter(n__gt=0).order_by("-n", "id")[:2]:
            picked[ret.pk] = ret
        for ret in base.filter(status=status, refund_mode=mode, labels__isnull=False)[:1]:
            picked[ret.pk] = ret
    return sorted(picked.values(), key=lambda ret: ret.pk)


def _save(folder: Path, plan: dict) -> None:
    """Each picked return's staff page, and its portal page seen as a guest who verified its
    order, in English and French."""
    from django.test import Client

    from portal.views.scope import GUEST_ORDER_KEY

    folder.mkdir(parents=True, exist_ok=True)
    picked = _picked()
    for language in ("en", "fr"):
        staff = _clients(plan, language)["staff"]
        for ret in picked:
            name = f"{language}-{ret.status}-{ret.refund_mode}-{ret.pk}"
            _write(folder / f"{name}-staff.html", staff.get(_staff_path(ret), secure=True))
            guest = Client(SERVER_NAME=SERVER_NAME, HTTP_ACCEPT_LANGUAGE=language)
            session = guest.session
            session[GUEST_ORDER_KEY] = {"order": ret.order_id, "until": time.time() + 3600}
            session.save()
            guest.cookies["sessionid"] = str(session.session_key)
            answer = guest.get(f"/returns/{ret.rma_number}/", secure=True)
            _write(folder / f"{name}-portal.html", answer)


def _staff_path(ret) -> str:
    return f"/admin/returns/return/{ret.pk}/change/"


def _write(path: Path, answer) -> None:
    body = answer.content.decode() if answer.status_code == 200 else ""
    path.write_text(f"{answer.status_code}\n{body}")


def main() -> int:
    parser = in_process_parser(__doc__, requests=40)
    parser.add_argument("--sql", action="store_true", help="Print each page's queries.")
    parser.add_argument("--dump", default="", help="Write each profile to <this>-<page>.prof.")
    args = parser.parse_args()
    if args.compare:
        return compare(Path(args.compare[0]), Path(args.compare[1]))
    if args.child:
        _child(args.requests, args.profile, args.sql, args.save, args.dump)
        return 0
    figures = {}
    sizes = args.sizes.split(",")
    for size in sizes:
        arguments = ["--requests", str(args.requests), "--profile", args.profile]
        arguments += ["--sql"] if args.sql else []
        arguments += ["--dump", f"{Path(args.dump).resolve()}-{size}"] if args.dump else []
        if args.save:
            arguments += ["--save", str(Path(args.save).resolve() / size)]
        database = f"{args.databases}_{size}"
        figures[size] = run_child("bench.return_page", "RETURNPAGE", database, size, arguments)
    _print(figures, sizes)
    return 0


def _print(figures: dict, sizes: list[str]) -> None:
    head = " ".join(
        f"{'ms ' + s:>9} {'q':>3} {'÷min':>6} {'cpu ' + s:>9} {'÷min':>6}" for s in sizes
    )
    print(f"{'page':<22} {head}")
    for name in figures[sizes[0]]:
        cells = " ".join(
            f"{figures[s][name]['ms']:>9.2f} {figures[s][name]['queries']:>3}"
            f" {figures[s][name]['to_minimal']:>6.3f}"
            f" {figures[s][name]['cpu']:>9.2f} {figures[s][name]['cpu_to_minimal']:>6.3f}"
            for s in sizes
        )
        print(f"{name[:22]:<22} {cells}")
    for size in sizes:
        for name, row in figures[size].items():
            for query in row.get("sql", []):
                print(f"{size} {name}: {query}")
            if "profile" in row:
                print(f"\n--- {size}: {name}\n{row['profile']}")


if __name__ == "__main__":
    sys.exit(main())
