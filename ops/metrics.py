"""Prometheus metrics (prometheus_client) for /metrics: the requests (count and latency, by view
and status), and figures read from the database at each scrape (returns by status, the outbox
backlogs), one aggregate query each.

Under several processes (gunicorn workers), set PROMETHEUS_MULTIPROC_DIR to an empty folder
before the processes start: each process writes its request metrics there and a scrape adds them
up (prometheus_client's multiprocess mode, README "Operations"). The database figures are the
same whichever process answers.
"""

import os
import time
from collections.abc import Callable, Iterator

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from ops.health import backlog_of, backlog_sources
from returns.models import Return, ReturnStatus

REQUESTS = Counter(
    "http_requests",
    "HTTP requests answered, by method, view and status",
    ["method", "view", "status"],
)
LATENCY = Histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request, by view", ["method", "view"]
)


def view_name(request: HttpRequest) -> str:
    """The route's name (bounded: never the path, which holds ids)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"
    return match.view_name or match.route or "<unnamed>"


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_name(request)
        LATENCY.labels(request.method, view).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, view, str(response.status_code)).inc()
        return response


class DatabaseCollector(Collector):
    """Figures read at scrape time: one aggregate query for the returns, one per outbox."""

    def collect(self) -> Iterator[Metric]:
        by_status = GaugeMetricFamily("returns", "Returns by status", labels=["status"])
        counts = dict(
            Return.objects.order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        for status in ReturnStatus.values:
            by_status.add_metric([status], counts.get(status, 0))
        yield by_status
        due = GaugeMetricFamily(
            "outbox_due_rows", "Rows of an outbox whose time to be sent has come", labels=["source"]
        )
        wait = GaugeMetricFamily(
            "outbox_oldest_wait_seconds",
            "How long the oldest due row of an outbox has waited past its time",
            labels=["source"],
        )
        for source in backlog_sources():
            backlog = backlog_of(source)
            due.add_metric([source.name], backlog.due)
            wait.add_metric([source.name], backlog.oldest_wait_seconds)
        yield due
        yield wait


def scrape() -> bytes:
    """The text exposition of every metric: this process's (or, in multiprocess mode, every
    process's) request metrics, then the database's figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
        base = generate_latest(processes)
    else:
        base = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    return base + generate_latest(database)
