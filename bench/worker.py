"""The worker's benchmark: one `celery -A config worker` process (prefork, one child) on
PostgreSQL and Redis, production settings (DEBUG off), emails to a local SMTP sink (aiosmtpd),
webhooks to a local HTTP receiver, all on 127.0.0.1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/returns_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/5 .venv/bin/python -m bench.worker

The database is a throwaway one (test_<name>, made and dropped here); the broker's Redis
database is emptied first: give the bench its own. Measured, in one run:
- single emails/s (one send_notification task each) ÷ no-op tasks/s, the two interleaved in
  ROUNDS alternations, the median of the ratios;
- batched emails/s (send_notifications_batch tasks, chained while full);
- outbound webhook deliveries/s (one post_webhook task each);
- new database sessions per 1,000 tasks (pg_stat_database.sessions over the whole run);
- PSS of the worker (main process + its child, /proc/PID/smaps_rollup) after 5,000 and
  20,000 tasks.
A rate is the tasks of a round ÷ the time from its first publish to the end of its last task
(a marker task, run after the round's tasks since one child takes them in order, records the
time in Redis; for the batches, the last row's `sent_at`).
"""

import argparse
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from celery import shared_task
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

ROOT = Path(__file__).resolve().parents[1]
MEMORY_AT = (5_000, 20_000)  # tasks run when the worker's PSS is read (--tasks: the second)
CURVE_EVERY = 2_500  # and every so many tasks, to show where it grows
# Past the measured rounds, the worker runs this mix up to MEMORY_AT's last figure.
FILL_NOOPS, FILL_EMAILS = 900, 100
GOALS = {
    "single_over_noop": 0.35,
    "batched_per_s": 2_000,
    "sessions_per_1000_tasks": 5,
    "pss_mb": 300,
    "pss_growth": 0.10,
}
MARK_KEY = "bench:worker:mark"


# --- What the worker runs besides the project's tasks (it imports this module: -I) ---------


@shared_task(name="bench.noop", ignore_result=True)
def noop() -> None:
    return None


@shared_task(name="bench.mark", ignore_result=True)
def mark(key: str) -> None:
    """Record when the tasks published before this one are done (one child: in order)."""
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).set(key, repr(time.time()))


class SinkBackend(SmtpBackend):
    """Django's SMTP backend, sending to the bench's sink (BENCH_SMTP_PORT on 127.0.0.1)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("port", int(os.environ["BENCH_SMTP_PORT"]))
        kwargs.setdefault("timeout", 10)
        super().__init__(**kwargs)


# --- The outside world: an SMTP sink and a webhook receiver, on loopback --------------------


class SmtpCounter:
    """Accepts every message; counts connections (one EHLO each) and messages."""

    def __init__(self):
        self.connections = 0
        self.messages = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.connections += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        return "250 Message accepted for delivery"


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def start_sinks():
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command

    smtp = SmtpCounter()
    with socket.socket() as probe:  # a free port (aiosmtpd wants one named)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(smtp, hostname="127.0.0.1", port=port)
    controller.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    return smtp, controller, http


# --- The run --------------------------------------------------------------------------------


def _configure() -> str:
    """Django on a fresh test_<name> database; returns <name> (to drop the copy at the end)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-worker-" + "x" * 50)
    url, broker = os.environ.get("DATABASE_URL", ""), os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("postgres") or not broker.startswith("redis"):
        sys.exit("bench.worker needs DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://...")
    import django

    django.setup()
    from django.db import connection

    name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    return name


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


class Worker:
    def __init__(self, smtp_port: int, log: Path):
        from django.conf import settings

        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "EMAIL_BACKEND": "bench.worker.SinkBackend",
            "BENCH_SMTP_PORT": str(smtp_port),
            "VAR_DIR": str(settings.VAR_DIR),
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-I", "bench.worker"]
        options = ["--pool", "prefork", "--concurrency", "1", "--loglevel", "warning"]
        quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [*command, *options, *quiet, "--hostname", f"bench-{os.getpid()}@%h"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.log = log

    def pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [self.process.pid, *(int(pid) for pid in children.read_text().split())]

    def pss_mb(self) -> float:
        return sum(self.pss_by_process_mb())

    def pss_by_process_mb(self) -> list[float]:
        """The PSS of the main process, then of its child."""
        sizes = []
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class Bench:
    def __init__(self, worker: Worker, redis_client):
        self.worker = worker
        self.redis = redis_client
        self.tasks = 0  # run by the worker so far
        self.memory_at = MEMORY_AT
        self.marks = 0
        self.pss: dict[int, float] = {}
        self.curve: dict[int, float] = {}
        # After each phase: (phase, tasks run, PSS MB of the main process, of the child).
        self.phases: list[tuple[str, int, float, float]] = []

    def phase(self, name: str) -> None:
        """Note the worker's PSS after a phase, to see which one (and which process) grows."""
        main, child = (round(mb, 1) for mb in self.worker.pss_by_process_mb())
        self.phases.append((name, self.tasks, main, child))

    def publish_and_wait(self, publish_all, count: int) -> float:
        """Tasks per second of `count` tasks published by `publish_all(producer)`."""
        from config.celery import app

        self.marks += 1
        key = f"{MARK_KEY}:{self.marks}"
        started = time.time()
        with app.producer_or_acquire() as producer:
            publish_all(producer)
            mark.apply_async((key,), producer=producer)
        finished = self._wait_for(key)
        self.ran(count + 1)
        return count / (finished - started)

    def _wait_for(self, key: str, timeout: float = 600) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.redis.get(key)
            if value is not None:
                return float(value)
            time.sleep(0.02)
        sys.exit(f"the worker did not finish (see {self.worker.log})")

    def ran(self, tasks: int) -> None:
        before, self.tasks = self.tasks, self.tasks + tasks
        for at in self.memory_at:
            if before < at <= self.tasks:
                self.pss[self.tasks] = self.worker.pss_mb()
        if before // CURVE_EVERY < self.tasks // CURVE_EVERY:
            self.curve[self.tasks] = round(self.worker.pss_mb(), 1)

    def noops(self, count: int) -> float:
        def publish_all(producer):
            for _ in range(count):
                noop.apply_async(producer=producer)

        return self.publish_and_wait(publish_all, count)

    def singles(self, ids: list[int]) -> float:
        from notifications.tasks import send_notification

        return self._rows(send_notification, release_emails(ids), ids)

    def webhooks(self, ids: list[int]) -> float:
        from notifications.tasks import post_webhook

        return self._rows(post_webhook, release_webhooks(ids), ids)

    def _rows(self, task, released: int, ids: list[int]) -> float:
        assert released == len(ids), "rows of another round"

        def publish_all(producer):
            for row_id in ids:
                task.apply_async((row_id,), producer=producer)

        return self.publish_and_wait(publish_all, len(ids))

    def batched(self, ids: list[int]) -> tuple[float, int]:
        """Emails/s of the batch tasks sending `ids`, and how many batch tasks ran."""
        from django.conf import settings
        from django.db.models import Max

        from notifications.models import Notification
        from notifications.tasks import send_notifications_batch

        release_emails(ids)
        started = time.time()
        send_notifications_batch.apply_async()
        rows = Notification.objects.filter(pk__in=ids)
        deadline = time.monotonic() + 600
        while rows.filter(status="sent").count() < len(ids):
            if time.monotonic() > deadline:
                sys.exit(f"the batches did not finish (see {self.worker.log})")
            time.sleep(0.1)
        last = rows.aggregate(last=Max("sent_at"))["last"].timestamp()
        # Full batches publish the next one: the last full one publishes one that finds none.
        tasks = len(ids) // settings.NOTIFICATIONS_BATCH_SIZE + 1
        time.sleep(0.5)  # the chain's last task ends after its last row is recorded
        self.ran(tasks)
        return len(ids) / (last - started), tasks


FAR = timedelta(days=365)


def make_rows(emails: int, webhooks: int, receiver_url: str) -> tuple[list[int], list[int]]:
    """`emails` queued emails about returns and `webhooks` queued deliveries, all due only in
    a year: each round makes its own rows due (release_*) just before it publishes them."""
    from django.utils import timezone

    from bench.data import grow_to, make_people
    from notifications.models import Notification, WebhookDelivery, WebhookEndpoint
    from returns.models import Return

    _staff, customer = make_people()
    grow_to(emails, customer)
    later = timezone.now() + FAR
    returns = Return.objects.select_related("order").order_by("pk")[:emails]
    notifications = Notification.objects.bulk_create(
        Notification(
            ret=ret,
            event="received",
            dedup_key=f"bench:{ret.pk}",
            recipient=ret.order.email,
            language="fr" if n % 2 else "en",
            max_attempts=6,
            next_attempt_at=later,
        )
        for n, ret in enumerate(returns)
    )
    endpoint = WebhookEndpoint.objects.create(url=receiver_url, events=["return.requested"])
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event_type="return.requested",
            body=json.dumps({"type": "return.requested", "data": {"n": n}}),
            max_attempts=3,
            next_attempt_at=later,
        )
        for n in range(webhooks)
    )
    return [row.pk for row in notifications], [row.pk for row in deliveries]


def release_emails(ids: list[int]) -> int:
    from django.utils import timezone

    from notifications.models import Notification

    return Notification.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())


def release_webhooks(ids: list[int]) -> int:
    from django.utils import timezone

    from notifications.models import WebhookDelivery

    return WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())


def sessions_opened() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def take(ids: list[int], count: int) -> list[int]:
    taken, ids[:] = ids[:count], ids[count:]
    return taken


def run(args) -> dict:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    smtp, controller, http = start_sinks()
    memory_at = (args.tasks // 4, args.tasks) if args.tasks != MEMORY_AT[1] else MEMORY_AT
    fill_emails = -(-memory_at[1] // (FILL_NOOPS + FILL_EMAILS)) * FILL_EMAILS
    emails = args.warmup + args.rounds * args.emails + args.batched + fill_emails
    print(f"making {emails:,} emails and {args.webhooks:,} webhook deliveries ...", flush=True)
    email_ids, webhook_ids = make_rows(
        emails, args.webhooks, f"http://127.0.0.1:{http.server_port}/h"
    )
    log = Path(settings.VAR_DIR) / "bench-worker.log"
    worker = Worker(controller.port, log)
    bench = Bench(worker, client)
    bench.memory_at = memory_at
    try:
        bench.publish_and_wait(lambda producer: None, 0)  # the worker is up
        bench.phase("started")
        sessions_before, tasks_before = sessions_opened(), bench.tasks
        bench.noops(args.warmup)
        bench.phase("warm-up no-ops")
        bench.singles(take(email_ids, args.warmup))
        bench.phase("warm-up emails")
        rounds = []
        for number in range(args.rounds):
            noop_rate = bench.noops(args.noops)
            single_rate = bench.singles(take(email_ids, args.emails))
            rounds.append({"noop_per_s": noop_rate, "single_per_s": single_rate})
            print(f"round {number + 1}: no-op {noop_rate:.0f}/s, single {single_rate:.0f}/s")
        bench.phase("rounds")
        batched_rate, batch_tasks = bench.batched(take(email_ids, args.batched))
        print(f"batched: {batched_rate:.0f} emails/s ({batch_tasks} tasks)", flush=True)
        bench.phase("batches")
        webhook_rate = bench.webhooks(webhook_ids)
        print(f"webhooks: {webhook_rate:.0f}/s", flush=True)
        bench.phase("webhooks")
        last = memory_at[1]
        while bench.tasks < last:
            bench.noops(min(FILL_NOOPS, last - bench.tasks - 1))
            if bench.tasks < last - 1:
                bench.singles(take(email_ids, min(FILL_EMAILS, last - bench.tasks - 1)))
        bench.phase("fill")
        time.sleep(1.5)  # PostgreSQL's statistics are flushed about every second
        sessions = sessions_opened() - sessions_before
        tasks = bench.tasks - tasks_before
    finally:
        worker.stop()
        controller.stop()
        http.shutdown()
    ratios = [r["single_per_s"] / r["noop_per_s"] for r in rounds]
    (small_at, small), (large_at, large) = sorted(bench.pss.items())[:2]
    return {
        "rounds": rounds,
        "single_over_noop": statistics.median(ratios),
        "noop_per_s": statistics.median(r["noop_per_s"] for r in rounds),
        "single_per_s": statistics.median(r["single_per_s"] for r in rounds),
        "batched_per_s": batched_rate,
        "batch_tasks": batch_tasks,
        "webhooks_per_s": webhook_rate,
        "sessions": sessions,
        "tasks": tasks,
        "sessions_per_1000_tasks": sessions / tasks * 1000,
        "pss_mb": {small_at: small, large_at: large},
        "pss_growth": large / small - 1,
        "pss_curve_mb": bench.curve,
        "pss_phases_mb": bench.phases,
        "smtp_connections": smtp.connections,
        "smtp_messages": smtp.messages,
        "webhooks_received": Receiver.received,
    }


def report(result: dict) -> bool:
    pss = list(result["pss_mb"].items())
    sessions = result["sessions_per_1000_tasks"]
    rows = [
        ("single emails/s ÷ no-op tasks/s", result["single_over_noop"], ">=", "single_over_noop"),
        ("batched emails/s", result["batched_per_s"], ">=", "batched_per_s"),
        ("new DB sessions per 1,000 tasks", sessions, "<=", "sessions_per_1000_tasks"),
        (f"PSS MB after {pss[1][0]:,} tasks", pss[1][1], "<=", "pss_mb"),
        (
            f"PSS growth {pss[0][0]:,} -> {pss[1][0]:,} tasks",
            result["pss_growth"],
            "<=",
            "pss_growth",
        ),
    ]
    met_all = True
    print(f"\n{'figure':<40} {'value':>10} {'goal':>10}  met")
    for name, value, sense, goal_key in rows:
        goal = GOALS[goal_key]
        met = value >= goal if sense == ">=" else value <= goal
        met_all &= met
        print(f"{name:<40} {value:>10.3f} {sense}{goal:>8}  {'yes' if met else 'NO'}")
    print(
        f"(no-op {result['noop_per_s']:.0f}/s, single {result['single_per_s']:.0f}/s, "
        f"webhooks {result['webhooks_per_s']:.0f}/s, PSS {pss[0][1]:.1f} MB after "
        f"{pss[0][0]:,} tasks, {result['sessions']} sessions for {result['tasks']:,} tasks, "
        f"{result['smtp_messages']:,} messages on {result['smtp_connections']:,} SMTP "
        "connections)"
    )
    print(
        "PSS MB by tasks run:",
        ", ".join(f"{n:,}: {mb}" for n, mb in result["pss_curve_mb"].items()),
    )
    print(
        "PSS MB after each phase (main + child):",
        ", ".join(
            f"{name} ({n:,}): {main} + {child}" for name, n, main, child in result["pss_phases_mb"]
        ),
    )
    return met_all


# --- In-process: the batch path under cProfile (--profile) ----------------------------------


def start_sink_process() -> tuple[subprocess.Popen, int]:
    """aiosmtpd's own Sink handler in a process of its own (its work stays out of the profile
    and off this process's GIL), on a free port; returns once it accepts connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink"]
    process = subprocess.Popen([*command, "-l", f"127.0.0.1:{port}"], start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as attempt:
            if attempt.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.05)
    process.kill()
    sys.exit("the SMTP sink did not start")


def profile_batches(args) -> None:
    """deliver_batch in this process on DATABASE_URL's own database (migrated here, its rows
    made once and reused), production settings, to an aiosmtpd sink in another process: ms an
    email and queries a batch (outside the profile), then cProfile over the same batches."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.inprocess import profiled
    from notifications.delivery import close_mail_connection, deliver_batch
    from notifications.models import Notification

    sink, port = start_sink_process()
    os.environ["BENCH_SMTP_PORT"] = str(port)
    settings.EMAIL_BACKEND = "bench.worker.SinkBackend"
    try:
        call_command("migrate", verbosity=0)
        size = settings.NOTIFICATIONS_BATCH_SIZE
        needed = size
        ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True)[:needed])
        if len(ids) < needed:
            Notification.objects.all().delete()
            ids, _ = make_rows(needed, 0, "http://127.0.0.1:1/h")

        def one_batch() -> None:
            Notification.objects.filter(pk__in=ids).update(
                status="queued", attempts=0, next_attempt_at=timezone.now(), sent_at=None
            )
            deliver_batch()

        one_batch()  # warm: templates compiled, connections open
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            for _ in range(args.profile):
                one_batch()
        elapsed = time.perf_counter() - started
        per_batch = len(queries) / args.profile - 1  # less the release UPDATE
        print(
            f"{args.profile} batches of {size}: {elapsed / args.profile / size * 1000:.2f} ms "
            f"an email (release UPDATE included), {per_batch:.0f} queries a batch"
        )
        if not args.time_only:
            print(profiled(one_batch, args.profile, dump=args.profile_dump or ""))
    finally:
        close_mail_connection()
        sink.terminate()
        sink.wait(timeout=10)


def best_of(repeat: int, runs: dict, count: int, *, before) -> dict[str, tuple[float, float]]:
    """Each of `runs` (name -> function doing `count` tasks) timed `repeat` times, interleaved,
    `before()` ahead of each: the best CPU ms (this process) and wall ms a task of each."""
    best: dict[str, tuple[float, float]] = {}
    for _ in range(repeat):
        for name, run in runs.items():
            before()
            cpu, wall = time.process_time(), time.perf_counter()
            run()
            figures = (
                (time.process_time() - cpu) / count * 1000,
                (time.perf_counter() - wall) / count * 1000,
            )
            best[name] = min(best.get(name, figures), figures)
    return best


def profile_singles(args) -> None:
    """send_notification tasks in this process as the worker's pool child runs them (Celery's
    tracer, not eager: the signals, config/celery.py's connection checks and the Django fix-up
    around each task), against bench.noop tasks traced the same way, interleaved, on
    DATABASE_URL's database itself, to an aiosmtpd sink in another process: CPU (this process)
    and wall ms a task, the email's cost above a no-op, queries a task; then cProfile."""
    from celery.app.trace import build_tracer
    from celery.fixups.django import DjangoWorkerFixup
    from celery.utils import uuid
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.inprocess import profiled
    from config.celery import app
    from notifications.delivery import close_mail_connection, forget_finished
    from notifications.models import Notification
    from notifications.tasks import send_notification

    sink, port = start_sink_process()
    os.environ["BENCH_SMTP_PORT"] = str(port)
    settings.EMAIL_BACKEND = "bench.worker.SinkBackend"
    DjangoWorkerFixup(app).install()  # what a worker's process has around each task
    logging.getLogger("celery").setLevel(logging.WARNING)  # the bench's --loglevel warning
    email = build_tracer(send_notification.name, send_notification, app=app)
    nothing = build_tracer(noop.name, noop, app=app)
    count = args.profile_singles
    try:
        call_command("migrate", verbosity=0)
        ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True)[:count])
        if len(ids) < count:
            Notification.objects.all().delete()
            ids, _ = make_rows(count, 0, "http://127.0.0.1:1/h")

        def release() -> None:
            forget_finished()
            Notification.objects.filter(pk__in=ids).update(
                status="queued", attempts=0, next_attempt_at=timezone.now(), sent_at=None
            )

        def emails() -> None:
            for pk in ids:
                email(uuid(), (pk,), {}, {"delivery_info": {}})

        def noops() -> None:
            for _ in ids:
                nothing(uuid(), (), {}, {"delivery_info": {}})

        release()
        emails()  # warm: templates compiled, connections open
        best = best_of(args.repeat, {"noop": noops, "email": emails}, count, before=release)
        release()
        with CaptureQueriesContext(connection) as queries:
            emails()
        (noop_cpu, noop_wall), (email_cpu, email_wall) = best["noop"], best["email"]
        print(
            f"{count} tasks, best of {args.repeat}: no-op {noop_cpu:.3f} ms CPU "
            f"({noop_wall:.3f} wall), email {email_cpu:.3f} ms CPU ({email_wall:.3f} wall), "
            f"above a no-op {email_cpu - noop_cpu:.3f} ms CPU ({email_wall - noop_wall:.3f} "
            f"wall); {len(queries) / count:.2f} queries an email"
        )
        if not args.time_only:
            release()
            print(profiled(emails, 1, dump=args.profile_dump or ""))
    finally:
        close_mail_connection()
        sink.terminate()
        sink.wait(timeout=10)


def _configure_in_place() -> None:
    """Django on DATABASE_URL's database itself (for --profile), production settings."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-worker-" + "x" * 50)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench.worker --profile needs DATABASE_URL=postgres://...")
    import django

    django.setup()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="BATCHES",
        help="instead: run BATCHES batches in this process under cProfile, on DATABASE_URL's "
        "database itself (migrated, its rows reused), to an aiosmtpd sink in another process",
    )
    parser.add_argument(
        "--profile-singles",
        type=int,
        default=0,
        metavar="EMAILS",
        help="instead: EMAILS send_notification tasks (and as many no-ops) traced in this "
        "process as the worker's child runs them, timed and under cProfile, as --profile",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="with --profile-singles: timed alternations"
    )
    parser.add_argument("--profile-dump", help="with --profile: the raw stats, for pstats")
    parser.add_argument(
        "--time-only", action="store_true", help="with --profile: the timing, no cProfile"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--rounds", type=int, default=5, help="alternations no-op / single")
    parser.add_argument("--noops", type=int, default=1_000, help="no-op tasks a round")
    parser.add_argument("--emails", type=int, default=500, help="single emails a round")
    parser.add_argument("--warmup", type=int, default=250, help="no-ops and emails first")
    parser.add_argument("--batched", type=int, default=5_000, help="emails sent in batches")
    parser.add_argument("--webhooks", type=int, default=2_000, help="webhook deliveries")
    parser.add_argument(
        "--tasks", type=int, default=MEMORY_AT[1], help="tasks in all (PSS at 1/4 and at the end)"
    )
    args = parser.parse_args(argv)
    if args.profile_singles:
        _configure_in_place()
        profile_singles(args)
        return 0
    if args.profile:
        _configure_in_place()
        profile_batches(args)
        return 0
    original_name = _configure()
    try:
        result = run(args)
    finally:
        from django.db import connection

        connection.creation.destroy_test_db(original_name, verbosity=0)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0 if report(result) else 1


if __name__ == "__main__":
    sys.exit(main())
