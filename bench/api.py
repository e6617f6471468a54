"""The API's list and retrieve measured in-process, as bench/lists.py measures the back-office
lists: each request through Django's test Client with the production settings against the
suite's two databases, one process each; ms per request (median, the pages interleaved) beside
the logged-in minimal page's, queries at 5 and 50 rows a page, and with --profile where the CPU goes
(cProfile). With --save DIR, the answers (status and body) of varied lists (page sizes,
every filter, cursors followed both ways, a customer's scope, refusals) and of returns in each
status (staff and a customer, English and French) are written to DIR/<size>/, to compare
before and after a change byte for byte (--compare DIR1 DIR2).

    .venv/bin/python -m bench.api --databases returns_pages_bench
    .venv/bin/python -m bench.api --databases returns_pages_bench --profile "API"
    .venv/bin/python -m bench.api --databases returns_pages_bench --save /tmp/api-before

Nothing is left in the databases: the bench's staff user and API key (bench/prepare.py) are
made in a transaction rolled back at the end.
"""

import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.inprocess import bench_plan, in_process_parser, run_child, setup_django
from bench.lists import SERVER_NAME, _measure


class _Rollback(Exception):
    pass


def _child(requests_per_page: int, profile: str, save: str) -> None:
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
            if save:
                _save(Path(save), api)
                raise _Rollback
            anonymous = Client(SERVER_NAME=SERVER_NAME)  # the API: its key, no session
            pages = {"minimal (staff)": (client, plan["pages"]["staff"]["minimal (staff)"], {})}
            pages |= {name: (anonymous, path, api) for name, path in plan["pages"]["api"].items()}
            for name, (who, path, extra) in pages.items():
                results[name] = _measure(who, name, path, extra, requests_per_page, profile)
            # The figures: the pages' requests interleaved, so that the machine's load weighs
            # on each alike (the medians of _measure ran one page after the other).
            times: dict[str, list[float]] = {name: [] for name in pages}
            cpu: dict[str, list[float]] = {name: [] for name in pages}
            for _ in range(requests_per_page):
                for name, (who, path, extra) in pages.items():
                    started, started_cpu = time.perf_counter(), time.process_time()
                    answer = who.get(path, secure=True, **extra)
                    times[name].append((time.perf_counter() - started) * 1000)
                    cpu[name].append((time.process_time() - started_cpu) * 1000)
                    assert answer.status_code == 200, (name, answer.status_code)
            for name, row in results.items():
                row["ms"] = statistics.median(times[name])
                row["cpu"] = statistics.median(cpu[name])
            raise _Rollback
    except _Rollback:
        pass
    print("API " + json.dumps(results))


class _Saver:
    """Every answer as `<status>\n<body bytes>`, one file each, named by what it asked."""

    def __init__(self, folder: Path, api: dict):
        from django.test import Client

        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.api, self.count = folder, api, 0
        self.client = Client(SERVER_NAME=SERVER_NAME)

    def write(self, name: str, path: str, **headers) -> bytes:
        answer = self.client.get(path, secure=True, **{**self.api, **headers})
        self.count += 1
        body = f"{answer.status_code}\n".encode() + answer.content
        (self.folder / f"{self.count:03d}-{name}.txt").write_bytes(body)
        return answer.content if answer.status_code == 200 else b""

    def walk(self, name: str, query: dict, steps: int = 3, **headers) -> None:
        """A list, its next pages, then back one from the last."""
        page = self._page(self.write(name, f"/api/v1/returns?{urlencode(query)}", **headers))
        for step in range(steps):
            if not page.get("next"):
                break
            page = self._page(self.write(f"{name}-next{step + 1}", page["next"], **headers))
        if page.get("previous"):
            self.write(f"{name}-previous", page["previous"], **headers)

    @staticmethod
    def _page(body: bytes) -> dict:
        return json.loads(body) if body else {}


def _save(folder: Path, api: dict) -> None:
    from returns.models import Return

    saver = _Saver(folder, api)
    returns = Return.objects.select_related("order__customer").order_by("id")
    picked = []
    for status in returns.order_by().values_list("status", flat=True).distinct():
        picked += list(returns.filter(status=status)[:2])
    picked.sort(key=lambda ret: ret.pk)
    since = returns.order_by("-status_changed_at")[20].status_changed_at.isoformat()
    _save_lists(saver, picked, since)
    _save_returns(saver, picked)


def _save_lists(saver: _Saver, picked: list, since: str) -> None:
    for size in (1, 5, 25, 100):
        saver.walk(f"list-size{size}", {"page_size": size})
    for ret in picked:
        saver.walk(f"list-status-{ret.status}", {"status": ret.status, "page_size": 10}, 1)
    for ret in picked[:4]:
        email = ret.order.customer.email
        saver.walk(f"list-order-{ret.order.number}", {"order": ret.order.number}, 1)
        saver.walk(f"list-customer-{ret.pk}", {"customer": email.upper()}, 1)
        saver.walk(f"list-as-customer-{ret.pk}", {"page_size": 3}, HTTP_X_CUSTOMER_EMAIL=email)
    saver.walk("list-updated-since", {"updated_since": since, "page_size": 7})
    saver.walk("list-status-and-since", {"updated_since": since, "status": picked[0].status})
    saver.write("list-bad-status", "/api/v1/returns?status=nope")
    saver.write("list-bad-cursor", "/api/v1/returns?cursor=nope")
    saver.write("list-bad-key", "/api/v1/returns", HTTP_AUTHORIZATION="Bearer rk_nope_nope")


def _save_returns(saver: _Saver, picked: list) -> None:
    for ret in picked:
        path = f"/api/v1/returns/{ret.rma_number}"
        for language in ("en", "fr"):
            saver.write(f"return-{ret.pk}-{language}", path, HTTP_ACCEPT_LANGUAGE=language)
        email = ret.order.customer.email
        saver.write(f"return-{ret.pk}-as-customer", path, HTTP_X_CUSTOMER_EMAIL=email)
        saver.write(f"return-{ret.pk}-as-another", path, HTTP_X_CUSTOMER_EMAIL=f"x{email}")
    saver.write("return-unknown", "/api/v1/returns/R-NOPE")


def compare(before: Path, after: Path) -> int:
    files = sorted(p.relative_to(before) for p in before.rglob("*.txt"))
    missing = [rel for rel in files if not (after / rel).exists()]
    differ = [
        rel
        for rel in files
        if rel not in missing and (before / rel).read_bytes() != (after / rel).read_bytes()
    ]
    for rel in [*missing, *differ]:
        print(f"DIFF {rel}")
    print(f"{len(files)} answers compared, {len(differ) + len(missing)} differ")
    return 1 if differ or missing else 0


def main() -> int:
    parser = in_process_parser(__doc__, requests=50, saved="the answers")
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
        figures[size] = run_child("bench.api", "API", f"{args.databases}_{size}", size, arguments)
    if args.save:
        print(f"saved under {args.save}")
        return 0
    first, last = sizes[0], sizes[-1]
    minimal = figures[last]["minimal (staff)"]
    print(
        f"{'page':<20} {'ms ' + first:>9} {'ms ' + last:>8} {'÷ minimal':>10}"
        f" {'cpu ' + last:>8} {'÷ minimal':>10}  queries 50/5 {first}, {last}"
    )
    for name, small in figures[first].items():
        big = figures[last][name]
        print(
            f"{name[:20]:<20} {small['ms']:>9.2f} {big['ms']:>8.2f}"
            f" {minimal['ms'] / big['ms']:>10.3f} {big['cpu']:>8.2f}"
            f" {minimal['cpu'] / big['cpu']:>10.3f}"
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
