"""/metrics: refused without its token, the exact figures with it, a fixed number of queries."""

from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from returns.models import ReturnStatus
from tests.factories import bare_return
from tests.ops.test_health import queued_notification

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-0123456789abcdef"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN


def scrape(client, token=TOKEN):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def samples(response) -> dict:
    """{(name, labels as a sorted tuple): value} of a scrape."""
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_are_a_404_when_off(client, settings):
    settings.METRICS_ENABLED = False
    settings.METRICS_TOKEN = TOKEN

    assert scrape(client).status_code == 404


def test_metrics_are_a_404_when_on_without_a_token(client, settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""

    assert scrape(client, token="").status_code == 404


@pytest.mark.usefixtures("metrics_on")
@pytest.mark.parametrize(
    "authorization", ["", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"]
)
def test_metrics_without_the_token_are_a_401_with_no_figure(client, authorization):
    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"returns" not in response.content


@pytest.mark.usefixtures("metrics_on")
def test_returns_by_status_and_the_outbox_backlog_are_exact(client, django_assert_num_queries):
    # given: 2 requested, 1 approved; two notifications due 10 and 4 minutes ago, one later
    bare_return()
    bare_return()
    bare_return(status=ReturnStatus.APPROVED)
    now = timezone.now()
    queued_notification(due_at=now - timedelta(minutes=10))
    queued_notification(due_at=now - timedelta(minutes=4))
    queued_notification(due_at=now + timedelta(hours=1))
    # when: one query for the returns, one for the outbox
    with django_assert_num_queries(2):
        response = scrape(client)
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    figures = samples(response)
    by_status = {
        dict(labels)["status"]: value
        for (name, labels), value in figures.items()
        if name == "returns"
    }
    assert by_status == {
        "requested": 5.0,  # the three returns of the notifications are requested too
        "approved": 1.0,
        "rejected": 0.0,
        "in_transit": 0.0,
        "received": 0.0,
        "completed": 0.0,
        "cancelled": 0.0,
        "expired": 0.0,
    }
    assert figures[("outbox_due_rows", (("source", "notifications"),))] == 2.0
    assert 600 <= figures[("outbox_oldest_wait_seconds", (("source", "notifications"),))] < 660


@pytest.mark.usefixtures("metrics_on")
def test_requests_are_counted_by_view_and_status(client):
    def healthz_count(figures):
        key = ("http_requests_total", (("method", "GET"), ("status", "200"), ("view", "healthz")))
        return figures.get(key, 0.0)

    before = healthz_count(samples(scrape(client)))
    client.get("/healthz?checks=database")
    client.get("/healthz?checks=database")

    figures = samples(scrape(client))
    assert healthz_count(figures) == before + 2
    assert (
        figures[("http_request_duration_seconds_count", (("method", "GET"), ("view", "healthz")))]
        >= 2
    )


def test_production_refuses_metrics_on_without_a_token(settings):
    settings.DEBUG = False
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""

    assert "ops.E001" in [message.id for message in run_checks(include_deployment_checks=True)]

    settings.METRICS_TOKEN = TOKEN
    assert "ops.E001" not in [message.id for message in run_checks(include_deployment_checks=True)]
