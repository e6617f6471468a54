"""The performance suite: the pages staff, customers and integrations use most, served over real
HTTP by gunicorn with the production settings, at a small and a big number of returns.

    make bench                              # 1,000 vs 20,000 returns
    make bench BENCH_RETURNS=1000000        # vs a million
    .venv/bin/python -m bench --big 100000 --seconds 3 --rounds 5 --reuse

Two PostgreSQL databases (returns_bench_small, returns_bench_big) are loaded by
`generate_load_data` (--reuse keeps them when they already hold that many returns), then
bench/prepare.py makes the staff user, the customer and the API key and lists the pages (and the
portal's create-return POST: an order and a session with its draft for each request, its returns
deleted after every run). Two gunicorn servers (production's config/gunicorn_conf.py, 2 sync
workers each, DEBUG=false) serve them on
127.0.0.1, as behind an HTTPS proxy (X-Forwarded-Proto) with BENCH_VIEWS=true: the logged-in
minimal page and the query-count header. wrk loads each page for --seconds with the session cookie
of a logged-in user (or the API key), small and big in turn, --rounds times, the order swapped each
round; every figure is the median over the rounds of a ratio whose two sides were measured side by
side, so the machine's speed cancels:

1. p95 at big / p95 at small (goal <= 1.25);
2. requests/s at big / the minimal page's at big (goals per kind of page, TARGETS);
3. queries per page at small and big (equal);
4. PSS of each gunicorn worker after the load (goal <= 90 MB), and of its master.

The table is printed and written to bench/results/<date>-<big>.json with the machine. The
in-process export benchmark is `python -m bench.export`.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import requests

from bench.prepare import POST_EMAIL, POST_ORDERS

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/4")
PORTS = {"small": 8711, "big": 8712}  # --ports changes them
FLAT_GOAL = 1.25
PROBES = 3  # requests of each page after the rounds, for its queries (measure)
PSS_GOAL_MB = 90
# requests/s against the minimal page's, by kind of page (issue 17).
TARGETS = {
    "back-office list": 0.30,
    "a return's page": 0.45,
    "portal": 0.45,
    "portal POST": 0.33,  # the create-return POST, with its enqueue
    "API list": 0.40,
}
POST_PAGE = "portal create return (POST)"
LOG_DIR = ROOT / "var" / "bench"


@dataclass
class Server:
    name: str
    database: str
    returns: int
    process: subprocess.Popen | None = None
    plan: dict = field(default_factory=dict)
    headers: dict[str, list[str]] = field(default_factory=dict)
    post_orders: int = POST_ORDERS

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{PORTS[self.name]}"

    @property
    def database_url(self) -> str:
        return f"{PG_SERVER}/{self.database}"


def production_env(server: Server) -> dict[str, str]:
    """DEBUG=false with made-up secrets (as .ci/run's check --deploy), on loopback: behind an
    HTTPS proxy as in production (the X-Forwarded-Proto header each request sends)."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "bench-made-up-Kq8#vR2!mZ7pW4xT9nB3cF6hJ1sL5dG0-not-a-real-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": server.base,
        "DATABASE_URL": server.database_url,
        "CACHE_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"bench-{server.name}",
        "CELERY_BROKER_URL": REDIS_URL,
        "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
        "ANYMAIL_MAILGUN_API_KEY": "bench-made-up-key",
        "ANYMAIL_WEBHOOK_SECRET": "bench-user:bench-made-up-webhook-password",
        "CARRIER_WEBHOOK_SECRET": "bench-made-up-carrier-secret",
        "VAR_DIR": str(LOG_DIR / server.name),
        # wrk is one client address: the API's per-minute allowance would answer 429.
        "API_REQUESTS_PER_MINUTE": "100000000",
        "BENCH_VIEWS": "true",
        "LOG_LEVEL": "WARNING",
    }


def _returns_in(database: str) -> int | None:
    """The loaded returns: without the create-return POST's (its customer's), should a run have
    stopped before deleting them."""
    bench_returns = """SELECT count(*) FROM returns_return r JOIN shop_order o ON o.id = r.order_id
        JOIN shop_customer c ON c.id = o.customer_id WHERE c.email = %s"""
    try:
        with psycopg.connect(f"{PG_SERVER}/{database}") as conn:
            query = f"SELECT (SELECT count(*) FROM returns_return) - ({bench_returns})"
            return conn.execute(query, [POST_EMAIL]).fetchone()[0]
    except psycopg.Error:
        return None


def load(server: Server, reuse: bool) -> None:
    """A fresh database with `returns` returns, or the one already there (--reuse)."""
    if reuse and _returns_in(server.database) == server.returns:
        print(f"{server.database}: {server.returns:,} returns already there", flush=True)
        return
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{server.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{server.database}"')
    env = {**os.environ, "DATABASE_URL": server.database_url, "VAR_DIR": str(LOG_DIR)}
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    command = [*manage, "generate_load_data", "--apply", "--returns", str(server.returns)]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    # The analytics page reads daily figures: filled as beat would fill them on its first run.
    figures = [*manage, "analytics_refresh", "--all", "--apply"]
    subprocess.run(figures, cwd=ROOT, env=env, check=True)
    # A live database's tables have long been vacuumed; tables just written by COPY have no
    # visibility map, so an index-only count (the home's queues, the lists' capped counts)
    # would read the heap for every entry until autovacuum comes by: measured, that was the
    # home's 583 ms at a million returns.
    with psycopg.connect(server.database_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def prepare(server: Server) -> None:
    env = {**os.environ, "DATABASE_URL": server.database_url, "VAR_DIR": str(LOG_DIR)}
    command = [PYTHON, "-m", "bench.prepare", "--post-orders", str(server.post_orders)]
    out = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    server.plan = json.loads(out.stdout)


def post_list(server: Server) -> Path:
    return LOG_DIR / f"post-{server.name}.tsv"


def post_reset(server: Server) -> None:
    """The create-return POST's returns deleted and a fresh list of its requests written (one
    session with its draft per order): after every run of it, so that no other page's run nor
    the next --reuse sees its returns (bench/prepare.py). With the servers' settings: the
    sessions are signed with their SECRET_KEY."""
    env = production_env(server)
    command = [PYTHON, "-m", "bench.prepare", "--post-orders", str(server.post_orders)]
    command += ["--post", str(post_list(server))]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def start(server: Server) -> None:
    (LOG_DIR / server.name).mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / f"gunicorn-{server.name}.log").open("w")
    # Production's configuration (config/gunicorn_conf.py: the application preloaded in the
    # master, shared by its forked workers), with the bench's workers, address and timeout.
    command = [PYTHON, "-m", "gunicorn", "-c", "config/gunicorn_conf.py", "--workers", "2"]
    command += ["--bind", f"127.0.0.1:{PORTS[server.name]}", "--timeout", "120"]
    command += ["--no-control-socket"]  # its default path is one per machine
    server.process = subprocess.Popen(
        command, cwd=ROOT, env=production_env(server), stdout=log, stderr=subprocess.STDOUT
    )
    for _ in range(120):
        try:
            requests.get(server.base + "/bench/minimal/", headers=PROXY, timeout=30)
            return
        except requests.ConnectionError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn {server.name} did not start: see {log.name}")


def stop(server: Server) -> None:
    if server.process is not None:
        server.process.terminate()
        server.process.wait(timeout=30)


PROXY = {"X-Forwarded-Proto": "https"}


def _cookie_header(jar) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def login(server: Server, path: str, email: str, password: str) -> str:
    """Log in through the form, as a browser would; the session's Cookie header."""
    url = server.base + path
    origin = {"Referer": url.replace("http://", "https://"), **PROXY}
    page = requests.get(url, headers=PROXY, timeout=30)
    token = page.cookies["csrftoken"]
    answer = requests.post(
        url,
        data={"username": email, "password": password, "csrfmiddlewaretoken": token},
        headers={**origin, "Cookie": f"csrftoken={token}"},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302 or "sessionid" not in answer.cookies:
        raise SystemExit(f"{server.name}: logging in at {path} failed ({answer.status_code})")
    return f"csrftoken={token}; sessionid={answer.cookies['sessionid']}"


def guest_form(server: Server) -> tuple[list[str], str]:
    """The guest lookup: headers and the form's body of a POST wrk can send again and again."""
    url = server.base + "/lookup/"
    token = requests.get(url, headers=PROXY, timeout=30).cookies["csrftoken"]
    body = urlencode({**server.plan["guest"], "csrfmiddlewaretoken": token})
    headers = [f"Cookie: csrftoken={token}", f"Referer: {url.replace('http://', 'https://')}"]
    return headers, body


@dataclass
class Page:
    name: str
    path: str
    headers: list[str]
    kind: str
    minimal: str
    body: str | None = None
    post_list: Path | None = None  # the create-return POST: its requests, each used once


def pages(server: Server) -> list[Page]:
    plan = server.plan
    staff = [f"Cookie: {login(server, '/admin/login/', *plan['staff'])}"]
    customer = [f"Cookie: {login(server, '/login/', *plan['customer'])}"]
    api = [f"Authorization: Bearer {plan['api_key']}"]
    found = []
    for name, path in plan["pages"]["staff"].items():
        kind = "back-office list" if ("overview" in name or "orders" in name) else name
        found.append(Page(name, path, staff, kind, "minimal (staff)"))
    for name, path in plan["pages"]["customer"].items():
        found.append(Page(name, path, customer, "portal", "minimal (customer)"))
    for name, path in plan["pages"]["api"].items():
        found.append(
            Page(name, path, api, "API list" if "list" in name else "API", "minimal (staff)")
        )
    guest_headers, body = guest_form(server)
    found.append(
        Page("portal guest lookup", "/lookup/", guest_headers, "portal", "minimal (customer)", body)
    )
    # Each request's path is the list's; this one only names the page.
    post = Page(POST_PAGE, "/orders/", [], "portal POST", "minimal (customer)")
    post.post_list = post_list(server)
    found.append(post)
    return found


def probe(server: Server, page: Page) -> int:
    """One request: it must answer 200 (a redirect for the lookup); its number of queries."""
    if page.post_list is not None:
        return _probe_post(server, page)
    headers = dict(h.split(": ", 1) for h in page.headers) | PROXY
    if page.body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    method = "POST" if page.body else "GET"
    answer = requests.request(
        method, server.base + page.path, headers=headers, data=page.body,
        allow_redirects=False, timeout=120,
    )  # fmt: skip
    expected = 302 if page.body else 200
    if answer.status_code != expected:
        raise SystemExit(f"{server.name} {page.name}: {answer.status_code}, not {expected}")
    return int(answer.headers["X-Bench-Queries"])


def _probe_post(server: Server, page: Page) -> int:
    """The first create-return POST of a fresh list: a redirect to the new return's page."""
    assert page.post_list is not None
    post_reset(server)
    cookie, path, body = page.post_list.read_text().splitlines()[0].split("\t")
    url = server.base + path
    headers = {"Cookie": cookie, "Referer": url.replace("http://", "https://"), **PROXY}
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    answer = requests.post(url, headers=headers, data=body, allow_redirects=False, timeout=120)
    if answer.status_code != 302 or not answer.headers["Location"].startswith("/returns/"):
        raise SystemExit(f"{server.name} {page.name}: {answer.status_code}, not a new return")
    post_reset(server)
    return int(answer.headers["X-Bench-Queries"])


def wrk(server: Server, page: Page, seconds: int) -> dict:
    # As many connections as workers: no request waits in the listen queue, so the latency is
    # the page's, and the workers are busy all the time (the ceiling).
    command = ["wrk", "-t2", "-c2", f"-d{seconds}s", "--timeout", "60s", "-s", "bench/wrk.lua"]
    for header in [*page.headers, "X-Forwarded-Proto: https"]:
        command += ["-H", header]
    env = {**os.environ}
    if page.body:
        env |= {"BENCH_METHOD": "POST", "BENCH_BODY": page.body}
    if page.post_list is not None:
        env |= {"BENCH_LIST": str(page.post_list), "BENCH_EXPECT": "/returns/"}
        env |= {"BENCH_THREADS": "2"}
    out = subprocess.run(
        [*command, server.base + page.path], cwd=ROOT, env=env, capture_output=True, text=True
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk failed on {page.name}: {out.stdout}{out.stderr}")
    result = json.loads(line[6:])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    _drain(result, seconds)
    if page.post_list is not None:
        # After the drain (a request left in flight still makes its return): its returns
        # deleted before any other page's run, and a fresh list for its next run.
        post_reset(server)
    return result


def _drain(result: dict, seconds: int) -> None:
    """Wait for the requests wrk left in flight: a sync worker finishes a request whose client
    went away, and would slow the next page's run (a page answering nothing in its time may
    still be at work for that long)."""
    busy = result["p99_us"] / 1e6 if result["requests"] else seconds
    time.sleep(min(60.0, busy + 0.1))


def _pss_of(pid: int | str) -> float:
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    kb = int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.M).group(1))
    return round(kb / 1024, 1)


def pss_mb(server: Server) -> list[float]:
    """PSS of each worker of the gunicorn master (its children), from smaps_rollup."""
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    return [_pss_of(pid) for pid in children.read_text().split()]


def master_pss_mb(server: Server) -> float:
    """PSS of the gunicorn master: with the application preloaded it holds the pages its workers
    share, each process counted its share of them, so the server's memory is the master's and
    the workers' together."""
    return _pss_of(server.process.pid)


def _chosen(page: Page, only: list[str]) -> bool:
    return not only or page.name.startswith("minimal") or any(word in page.name for word in only)


def measure(small: Server, big: Server, rounds: int, seconds: int, only: list[str]) -> dict:
    lists = {
        server.name: [page for page in pages(server) if _chosen(page, only)]
        for server in (small, big)
    }
    names = [page.name for page in lists["small"]]
    by_name = {s: {page.name: page for page in lists[s]} for s in lists}
    runs: dict[str, dict[str, list[dict]]] = {name: {"small": [], "big": []} for name in names}
    servers = (("small", small), ("big", big))
    # A first probe checks each page answers before it is loaded; its count may include a
    # per-process memo's fill (brand, rules, menu, a filter's choices: shop/memo.py, filled
    # again every MEMO_SECONDS) in the worker that took it, and the other worker's may differ:
    # the queries compared are the fewest of PROBES probes after the rounds, when both workers
    # have served the page thousands of times (the page's own queries, not a memo's refill).
    # The first probe's and the most of those after are kept beside them.
    first = {name: {s: probe(srv, by_name[s][name]) for s, srv in servers} for name in names}
    for round_number in range(rounds):
        order = (small, big) if round_number % 2 == 0 else (big, small)
        print(f"round {round_number + 1}/{rounds}", flush=True)
        for name in names:
            for server in order:
                runs[name][server.name].append(wrk(server, by_name[server.name][name], seconds))
    after = {
        name: {s: [probe(srv, by_name[s][name]) for _ in range(PROBES)] for s, srv in servers}
        for name in names
    }
    queries = {name: {s: min(counts) for s, counts in after[name].items()} for name in names}
    most = {name: {s: max(counts) for s, counts in after[name].items()} for name in names}
    pages_kind = {page.name: page for page in lists["small"]}
    return {
        "runs": runs,
        "queries": queries,
        "queries_first": first,
        "queries_most": most,
        "pages": pages_kind,
    }


def _median_ratio(tops: list[float], bottoms: list[float]) -> float:
    """The median of the rounds' ratios; a round where a side had no answer in its time (0)
    makes none, and a page without any is nan (a miss, counted in unanswered_runs)."""
    pairs = zip(tops, bottoms, strict=True)
    ratios = [top / bottom for top, bottom in pairs if top and bottom]
    return statistics.median(ratios) if ratios else float("nan")


def _median_answered(values: list[float]) -> float:
    answered = [value for value in values if value]
    return statistics.median(answered) if answered else float("nan")


def figures(measured: dict) -> list[dict]:
    runs, rows = measured["runs"], []
    for name, page in measured["pages"].items():
        small, big = runs[name]["small"], runs[name]["big"]
        minimal = runs[page.minimal]["big"]
        errors = sum(sum(r["errors"].values()) for r in small + big)
        rows.append(
            {
                "page": name,
                "kind": page.kind,
                "p95_small_ms": _median_answered([r["p95_us"] for r in small]) / 1000,
                "p95_big_ms": _median_answered([r["p95_us"] for r in big]) / 1000,
                "p95_ratio": _median_ratio(
                    [r["p95_us"] for r in big], [r["p95_us"] for r in small]
                ),
                "rps_big": statistics.median(r["rps"] for r in big),
                "rps_vs_minimal": _median_ratio(
                    [r["rps"] for r in big], [r["rps"] for r in minimal]
                ),
                "rps_goal": TARGETS.get(page.kind),
                "queries_small": measured["queries"][name]["small"],
                "queries_big": measured["queries"][name]["big"],
                "queries_first_small": measured["queries_first"][name]["small"],
                "queries_first_big": measured["queries_first"][name]["big"],
                "queries_most_small": measured["queries_most"][name]["small"],
                "queries_most_big": measured["queries_most"][name]["big"],
                "errors": errors,
                "unanswered_runs": sum(1 for r in small + big if not r["requests"]),
            }
        )
    return rows


def verdict(row: dict) -> str:
    if row["page"].startswith("minimal"):
        return ""
    missed = []
    if row["unanswered_runs"]:
        missed.append(f"{row['unanswered_runs']} runs without an answer")
    if not row["p95_ratio"] <= FLAT_GOAL:  # nan (no answer) misses too
        missed.append("flat")
    if row["rps_goal"] is not None and not row["rps_vs_minimal"] >= row["rps_goal"]:
        missed.append("ceiling")
    if row["queries_small"] != row["queries_big"]:
        missed.append("queries")
    if row["errors"]:
        missed.append("errors")
    return "met" if not missed else "MISSED " + ",".join(missed)


def print_table(rows: list[dict], small: int, big: int, pss: dict, master_pss: dict) -> None:
    print(f"\n{'page':<40} {'p95 ' + format(small, ','):>10} {'p95 ' + format(big, ','):>12} "
          f"{'ratio':>6} {'rps':>7} {'÷min':>6} {'goal':>5} {'queries':>9}  verdict")  # fmt: skip
    for row in rows:
        goal = "" if row["rps_goal"] is None else f"{row['rps_goal']:.2f}"
        print(
            f"{row['page'][:40]:<40} {row['p95_small_ms']:>8.1f}ms {row['p95_big_ms']:>10.1f}ms "
            f"{row['p95_ratio']:>6.2f} {row['rps_big']:>7.1f} {row['rps_vs_minimal']:>6.3f} "
            f"{goal:>5} {row['queries_small']:>4}/{row['queries_big']:<4}  {verdict(row)}"
        )
    for name, sizes in pss.items():
        worst = max(sizes)
        state = "met" if worst <= PSS_GOAL_MB else "MISSED"
        print(f"PSS of the {name} server's workers: {sizes} MB (goal <= {PSS_GOAL_MB}: {state})")
        together = round(master_pss[name] + sum(sizes), 1)
        print(f"  its master: {master_pss[name]} MB; master and workers together: {together} MB")


def machine() -> dict:
    memory = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    with psycopg.connect(f"{PG_SERVER}/postgres") as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(int(memory) / 2**20, 1),
        "postgresql": version,
        "load_average": os.getloadavg(),
        "commit": commit.stdout.strip(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    default_big = int(os.environ.get("BENCH_RETURNS") or 20_000)
    parser.add_argument("--big", type=int, default=default_big)
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 5)))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 2)))
    parser.add_argument("--reuse", action="store_true", help="Keep databases of the right size.")
    parser.add_argument(
        "--databases",
        default="returns_bench",
        help="Prefix of the two databases' names (<prefix>_small, <prefix>_big): another "
        "checkout benchmarking on the same server uses its own.",
    )
    parser.add_argument(
        "--ports",
        default="8711,8712",
        help="The small and the big server's ports on 127.0.0.1, comma-separated.",
    )
    parser.add_argument(
        "--only",
        default="",
        help="Measure only the pages whose name contains one of these comma-separated words "
        "(the minimal pages are always measured: every ceiling is against them).",
    )
    args = parser.parse_args()
    if args.rounds < 5:
        parser.error("--rounds must be at least 5: each figure is a median of 5 alternations")
    small_port, big_port = (int(port) for port in args.ports.split(","))
    PORTS.update(small=small_port, big=big_port)
    # Orders enough for one run of the create-return POST at 500 requests/s.
    post_orders = max(POST_ORDERS, 500 * args.seconds)
    small = Server("small", f"{args.databases}_small", args.small, post_orders=post_orders)
    big = Server("big", f"{args.databases}_big", args.big, post_orders=post_orders)
    started = datetime.now(UTC)
    for server in (small, big):
        load(server, args.reuse)
        prepare(server)
    try:
        for server in (small, big):
            start(server)
        only = [word for word in args.only.split(",") if word]
        measured = measure(small, big, args.rounds, args.seconds, only)
        pss = {server.name: pss_mb(server) for server in (small, big)}
        master_pss = {server.name: master_pss_mb(server) for server in (small, big)}
    finally:
        for server in (small, big):
            stop(server)
    raw = {key: measured[key] for key in ("runs", "queries", "queries_first", "queries_most")}
    (LOG_DIR / "last-run.json").write_text(json.dumps(raw, indent=1))
    rows = figures(measured)
    print_table(rows, args.small, args.big, pss, master_pss)
    result = {
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "small": args.small,
        "big": args.big,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "wrk": "-t2 -c2",
        "gunicorn": "2 sync workers, config/gunicorn_conf.py (preloaded)",
        "pages": [row | {"verdict": verdict(row)} for row in rows],
        "pss_mb": pss,
        "master_pss_mb": master_pss,
    }
    out = ROOT / "bench" / "results" / f"{started:%Y-%m-%d}-{args.big}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
