"""The portal's pages measured in-process, as bench/lists.py does the back-office lists: each
page requested through Django's test Client with the production settings against the suite's
two databases, one process each; ms per request (median), its number of queries, and with
--profile where the CPU goes (cProfile). With --save DIR, the HTML of the pages of a few orders
and returns in varied states, in English and French, is written to DIR/<size>/ (to compare
before and after a change: bench/portal.py --compare DIR1 DIR2).

    .venv/bin/python -m bench.portal --databases returns_pages_bench
    .venv/bin/python -m bench.portal --databases returns_pages_bench --profile "a return"
    .venv/bin/python -m bench.portal --databases returns_pages_bench --sql "guest lookup"
    .venv/bin/python -m bench.portal --databases returns_pages_bench --save /tmp/before

Nothing is written to the databases but the bench's users and sessions (bench/prepare.py).
"""

import json
import re
import statistics
import sys
import time
from pathlib import Path

from bench.inprocess import bench_plan, in_process_parser, profiled, run_child, setup_django

SERVER_NAME = "127.0.0.1"


def _child(requests_per_page: int, profile: str, save: str) -> None:
    setup_django()
    from django.test import Client

    from shop.models import User

    plan = bench_plan()
    customer = User.objects.get(email=plan["customer"][0])
    client = Client(SERVER_NAME=SERVER_NAME)
    client.force_login(customer)
    results = {
        name: _measure(client.get, name, path, requests_per_page, profile)
        for name, path in plan["pages"]["customer"].items()
    }
    guest = Client(SERVER_NAME=SERVER_NAME)
    results["portal guest lookup"] = _measure(
        lambda path, **kw: guest.post(path, plan["guest"], **kw),
        "portal guest lookup",
        "/lookup/",
        requests_per_page,
        profile,
        status=302,
    )
    if save:
        _save(Path(save), plan)
    print("PORTAL " + json.dumps(results))


def _measure(get, name: str, path: str, count: int, profile: str, status: int = 200) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def once():
        answer = get(path, secure=True)
        if answer.status_code != status:
            raise SystemExit(f"{name}: {answer.status_code}")

    once()  # warm: templates compiled, caches filled
    times, cpu = [], []
    for _ in range(count):
        started, started_cpu = time.perf_counter(), time.process_time()
        once()
        times.append((time.perf_counter() - started) * 1000)
        # This process's CPU only (not the database's): on a loaded machine the wall time
        # mostly measures the other jobs, the CPU time much less (as bench/lists.py).
        cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as captured:
        once()
    row: dict = {
        "ms": statistics.median(times),
        "cpu": statistics.median(cpu),
        "queries": len(captured),
        "sql": [query["sql"][:160] for query in captured.captured_queries],
    }
    if profile and profile in name:
        row["profile"] = profiled(once, count)
    return row


def _save(folder: Path, plan: dict) -> None:
    """The pages of the bench's customer, and of an order and a return in each status seen as
    a guest who verified the order, in English and French."""
    from django.test import Client

    from portal.views.scope import GUEST_ORDER_KEY
    from returns.models import Return

    folder.mkdir(parents=True, exist_ok=True)
    wanted = list(plan["pages"]["customer"].items())
    picked = []
    for status in Return.objects.order_by().values_list("status", flat=True).distinct():
        picked += list(
            Return.objects.filter(status=status).select_related("order").order_by("id")[:2]
        )
    for language in ("en", "fr"):
        client = Client(SERVER_NAME=SERVER_NAME, HTTP_ACCEPT_LANGUAGE=language)
        client.login(username=plan["customer"][0], password=plan["customer"][1])
        for name, path in wanted:
            if name.startswith("minimal"):
                continue
            _write(folder, f"{language}-{name}", client.get(path, secure=True))
        for ret in picked:
            guest = Client(SERVER_NAME=SERVER_NAME, HTTP_ACCEPT_LANGUAGE=language)
            session = guest.session
            session[GUEST_ORDER_KEY] = {"order": ret.order_id, "until": time.time() + 3600}
            session.save()
            guest.cookies["sessionid"] = str(session.session_key)
            for kind, path in (
                ("order", f"/orders/{ret.order.number}/"),
                ("return", f"/returns/{ret.rma_number}/"),
                ("label", f"/returns/{ret.rma_number}/label/"),
            ):
                _write(
                    folder, f"{language}-{ret.status}-{ret.pk}-{kind}", guest.get(path, secure=True)
                )


def _write(folder: Path, name: str, answer) -> None:
    body = answer.content.decode() if answer.status_code == 200 else ""
    (folder / f"{name.replace(' ', '_')}.html").write_text(f"{answer.status_code}\n{body}")


def normalise(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", html)
    html = re.sub(r'nonce="[^"]*"', "NONCE", html)
    html = re.sub(r'"csrfToken": "[^"]*"|csrf[-_]?token[^>]*', "CSRF", html, flags=re.I)
    return re.sub(r"\s+", " ", html).strip()


def compare(before: Path, after: Path) -> int:
    differ = 0
    files = sorted(p.relative_to(before) for p in before.rglob("*.html"))
    for rel in files:
        one, two = (normalise((root / rel).read_text()) for root in (before, after))
        if one != two:
            differ += 1
            at = (
                next(i for i, (a, b) in enumerate(zip(one, two, strict=False)) if a != b)
                if any(a != b for a, b in zip(one, two, strict=False))
                else min(len(one), len(two))
            )
            start = max(0, at - 80)
            print(f"DIFF {rel}: …{one[start : at + 80]}…\n  vs …{two[start : at + 80]}…")
    print(f"{len(files)} pages compared, {differ} differ")
    return 1 if differ else 0


def _cells(figures: dict, name: str) -> str:
    row, minimal = figures[name], figures["minimal (customer)"]["cpu"]
    return f"{row['ms']:>9.2f} {row['cpu']:>9.2f} {minimal / row['cpu']:>6.3f} {row['queries']:>3}"


def main() -> int:
    parser = in_process_parser(__doc__, requests=20)
    parser.add_argument("--sql", default="", help="Print the queries of the pages named so.")
    args = parser.parse_args()
    if args.compare:
        return compare(Path(args.compare[0]), Path(args.compare[1]))
    if args.child:
        _child(args.requests, args.profile, args.save)
        return 0
    figures = {}
    sizes = args.sizes.split(",")
    for size in sizes:
        arguments = ["--requests", str(args.requests), "--profile", args.profile]
        if args.save:
            arguments += ["--save", str(Path(args.save).resolve() / size)]
        database = f"{args.databases}_{size}"
        figures[size] = run_child("bench.portal", "PORTAL", database, size, arguments)
    # ÷min: the minimal customer page's CPU ms over the page's, in the same process.
    head = " ".join(f"{'ms ' + s:>9} {'cpu ' + s:>9} {'÷min':>6} {'q':>3}" for s in sizes)
    print(f"{'page':<28} {head}")
    for name in figures[sizes[0]]:
        cells = " ".join(_cells(figures[s], name) for s in sizes)
        print(f"{name[:28]:<28} {cells}")
    for size in sizes:
        for name, row in figures[size].items():
            if args.sql and args.sql in name:
                print(f"\n--- {size}: {name}, its queries\n" + "\n".join(row["sql"]))
            if "profile" in row:
                print(f"\n--- {size}: {name}\n{row['profile']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
