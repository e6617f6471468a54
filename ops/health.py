"""The health of the site, one check per line: what `manage.py healthcheck` prints and
`/healthz` answers (for a load balancer or a monitor).

Our own small module rather than django-health-check: its checks know nothing of beat, of our
outbox's due times nor of the embedded filesystem broker, and each would be a plugin class of
its own around the same few lines; the registry of backlog sources below lets another app add
its outbox without touching this file.

A check's detail never carries a secret: no URL, host, password or exception message (which
may quote a URL), only what failed and the exception's class.
"""

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import timedelta

from celery import current_app as celery_app
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min, QuerySet
from django.utils import timezone


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BacklogSource:
    """Rows waiting to be sent (queued): `rows()` ordered oldest due first; a row's wait is
    measured from its `due_field`."""

    name: str
    rows: Callable[[], QuerySet]
    due_field: str


_BACKLOG_SOURCES: dict[str, BacklogSource] = {}


def register_backlog_source(
    name: str, rows: Callable[[], QuerySet], *, due_field: str = "created_at"
) -> None:
    """Add an outbox to the backlog check and the metrics (called from an app's ready())."""
    _BACKLOG_SOURCES[name] = BacklogSource(name, rows, due_field)


def backlog_sources() -> list[BacklogSource]:
    return list(_BACKLOG_SOURCES.values())


def _failure(what: str, error: BaseException) -> str:
    return f"{what} ({type(error).__name__})"


@dataclass(frozen=True)
class Backlog:
    due: int  # rows whose time has come
    oldest_wait_seconds: float  # how long the oldest of them has waited past its time (0: none)


def backlog_of(source: BacklogSource) -> Backlog:
    """One aggregate query: the due rows of `source` and the wait of the oldest."""
    now = timezone.now()
    figures = (
        source.rows()
        .filter(**{f"{source.due_field}__lte": now})
        .aggregate(due=Count("pk"), oldest=Min(source.due_field))
    )
    oldest = figures["oldest"]
    wait = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return Backlog(due=figures["due"], oldest_wait_seconds=wait)


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return CheckResult("database", False, _failure("unreachable", error))
    return CheckResult("database", True, f"reachable ({connection.vendor})")


def check_migrations() -> CheckResult:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        return CheckResult("migrations", False, _failure("cannot be read", error))
    if plan:
        return CheckResult("migrations", False, f"{len(plan)} not applied")
    return CheckResult("migrations", True, "all applied")


def _broker_connection():
    timeout = settings.HEALTH_BROKER_TIMEOUT_SECONDS
    return celery_app.connection_for_write(
        connect_timeout=timeout,
        transport_options={
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry_on_timeout": False,
            "max_retries": 0,
        },
    )


def _embedded_broker() -> bool:
    return (celery_app.conf.broker_write_url or celery_app.conf.broker_url).startswith("filesystem")


def check_broker() -> CheckResult:
    try:
        with _broker_connection() as conn:
            conn.ensure_connection(max_retries=0)
            if not _embedded_broker():
                # A connection is not an answer: Redis may accept it and refuse commands.
                conn.default_channel.client.ping()
    except Exception as error:
        return CheckResult("broker", False, _failure("unreachable", error))
    if _embedded_broker():
        return CheckResult("broker", True, "filesystem broker: its folders are there")
    return CheckResult("broker", True, f"reachable ({conn.transport_cls})")


def check_worker() -> CheckResult:
    """A worker answered celery's control ping within HEALTH_WORKER_TIMEOUT_SECONDS (the
    filesystem broker carries the ping too: its control folder is shared by the processes)."""
    timeout = settings.HEALTH_WORKER_TIMEOUT_SECONDS
    try:
        with _broker_connection() as conn:
            replies = celery_app.control.ping(timeout=timeout, connection=conn)
    except Exception as error:
        return CheckResult("worker", False, _failure("ping not sent", error))
    if not replies:
        return CheckResult("worker", False, f"no worker answered within {timeout:g} s")
    return CheckResult("worker", True, f"{len(replies)} worker(s) answered")


def check_beat() -> CheckResult:
    from ops.models import Heartbeat
    from ops.tasks import BEAT

    limit = settings.HEALTH_BEAT_MAX_AGE_SECONDS
    beat = Heartbeat.objects.filter(name=BEAT).first()
    if beat is None:
        return CheckResult("beat", False, "no heartbeat yet")
    age = (timezone.now() - beat.beat_at).total_seconds()
    if age > limit:
        return CheckResult("beat", False, f"last heartbeat {age:.0f} s ago (limit {limit:g} s)")
    return CheckResult("beat", True, f"last heartbeat {age:.0f} s ago")


def check_backlog() -> list[CheckResult]:
    limit = settings.HEALTH_BACKLOG_MAX_AGE_SECONDS
    results = []
    for source in backlog_sources():
        name = f"backlog:{source.name}"
        try:
            wait = backlog_of(source).oldest_wait_seconds
        except Exception as error:
            results.append(CheckResult(name, False, _failure("cannot be read", error)))
            continue
        detail = f"oldest due row waiting {wait:.0f} s"
        if wait > limit:
            results.append(CheckResult(name, False, f"{detail} (limit {limit:g} s)"))
        else:
            results.append(CheckResult(name, True, detail))
    return results


def check_failed_notifications() -> CheckResult:
    from notifications.models import Notification, NotificationStatus

    limit = settings.HEALTH_FAILED_NOTIFICATIONS_MAX
    since = timezone.now() - timedelta(days=1)
    failed = Notification.objects.filter(
        status=NotificationStatus.FAILED, updated_at__gte=since
    ).count()
    detail = f"{failed} failed in the last day"
    if failed > limit:
        return CheckResult("failed_notifications", False, f"{detail} (limit {limit})")
    return CheckResult("failed_notifications", True, detail)


CHECKS: dict[str, Callable[[], CheckResult | list[CheckResult]]] = {
    "database": check_database,
    "migrations": check_migrations,
    "broker": check_broker,
    "worker": check_worker,
    "beat": check_beat,
    "backlog": check_backlog,
    "failed_notifications": check_failed_notifications,
}
# Without a database nothing else can be read: the checks that need it are skipped.
NEEDS_DATABASE = {"migrations", "beat", "backlog", "failed_notifications"}


class UnknownCheck(ValueError):
    pass


def run_checks(names: Iterable[str] | None = None) -> list[CheckResult]:
    """The results of the checks `names` (default: all), in CHECKS' order."""
    wanted = list(CHECKS) if names is None else list(names)
    unknown = sorted(set(wanted) - set(CHECKS))
    if unknown:
        raise UnknownCheck(", ".join(unknown))
    results: list[CheckResult] = []
    database_ok = True
    for name in CHECKS:
        if name not in wanted:
            continue
        if name in NEEDS_DATABASE and not database_ok:
            results.append(CheckResult(name, False, "not checked: no database"))
            continue
        outcome = CHECKS[name]()
        results.extend(outcome if isinstance(outcome, list) else [outcome])
        if name == "database":
            database_ok = results[-1].ok
    return results


def healthy(results: Iterable[CheckResult]) -> bool:
    return all(result.ok for result in results)
