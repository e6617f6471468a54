"""Outbound webhooks: queued by the services in the change's transaction, posted signed to a
real local HTTP receiver, retried on the schedule, endpoints disabled after repeated failures
(the shop admins told), and the back-office pages. Signatures are checked by the Standard
Webhooks reference library (standardwebhooks), never by our own code."""

import json
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from notifications.models import (
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)
from notifications.webhook_delivery import deliver_webhook, webhooks_sweep
from refunds.services import refund_create, refund_mark_refunded
from returns.models import ReturnStatus
from returns.services import return_approve
from tests.factories import make_order, superuser
from tests.fixtures.backoffice import with_role
from tests.notifications.webhook_receiver import Receiver, closed_port_url
from tests.returns.helpers import create

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status
ALL_EVENTS = list(WebhookEventType.values)


@pytest.fixture
def receiver():
    made = []

    def start(*statuses):
        made.append(Receiver(*statuses))
        return made[-1]

    yield start
    for each in made:
        each.stop()


@pytest.fixture(autouse=True)
def _short_schedule(settings):
    # Retries due at once, so a test drives every attempt itself (through the sweep).
    settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS = [0.0, 0.0]
    settings.WEBHOOKS_TIMEOUT_SECONDS = 2.0
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 1


def endpoint(url, events=None, **fields) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url=url, events=events or ALL_EVENTS, **fields)


def requested_return(boss, number=None):
    """A return of 1 of 2 items at 20.00, created by staff (quote 20.00)."""
    order = make_order([(2, "20.00")], shipping="0.00", number=number or uuid.uuid4().hex[:12])
    return create(boss, order, 1)


def deliver(delivery_id):
    return deliver_webhook(delivery_id=delivery_id, publish_email=lambda pk: None)


def sweep_and_deliver():
    """The sweep hands over the due retries; here the 'broker' delivers them at once."""
    outcomes = []

    def publish(delivery_id, **kwargs):
        outcomes.append(deliver(delivery_id).status)
        return True

    webhooks_sweep(publish=publish, grace=0)
    return outcomes


def test_each_change_queues_one_delivery_per_subscribed_active_endpoint(reasons):
    # given: two endpoints for status changes, one for labels only, one disabled
    boss = superuser()
    first = endpoint("https://a.example.com/hooks", ["return.status_changed"])
    second = endpoint("https://b.example.com/hooks", ["return.status_changed"])
    labels = endpoint("https://c.example.com/hooks", ["label.created"])
    endpoint("https://d.example.com/hooks", ALL_EVENTS, active=False)
    ret = requested_return(boss, "W-1001")
    # when
    return_approve(actor=boss, ret=ret, expected_status="requested", notify=False)
    # then: one row per listening endpoint, the same frozen body (and the label approval made)
    assert list(
        WebhookDelivery.objects.filter(endpoint=labels).values_list("event_type", flat=True)
    ) == ["label.created"]
    rows = list(WebhookDelivery.objects.exclude(endpoint=labels).order_by("endpoint_id"))
    assert [(row.endpoint_id, row.event_type) for row in rows] == [
        (first.pk, "return.status_changed"),
        (second.pk, "return.status_changed"),
    ]
    assert rows[0].body == rows[1].body
    assert rows[0].webhook_id != rows[1].webhook_id
    payload = json.loads(rows[0].body)
    event = ret.events.get(to_status="approved")
    assert payload == {
        "type": "return.status_changed",
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "id": ret.pk,
            "rma_number": ret.rma_number,
            "status": "approved",
            "previous_status": "requested",
            "order_number": "W-1001",
            "customer_email": ret.order.customer.email,
            "currency": "EUR",
            "amounts": {
                "quote_total": "20.00",
                "refunded": "0.00",
                "pending": "0.00",
                "left_to_refund": "20.00",
            },
            "updated_at": event.created_at.isoformat().replace("+00:00", "Z"),
        },
    }
    assert {row.status for row in rows} == {Status.QUEUED}


def test_the_event_types_of_a_return_s_life(reasons):
    # given: one endpoint for everything
    boss = superuser()
    endpoint("https://a.example.com/hooks")
    # when: requested, approved, refunded and marked refunded
    ret = requested_return(boss)
    return_approve(actor=boss, ret=ret, expected_status="requested", notify=False)
    refund = refund_create(actor=boss, ret=ret, idempotency_key=uuid.uuid4().hex)
    refund_mark_refunded(actor=boss, refund=refund, reference="RE-1")
    # then
    types = list(WebhookDelivery.objects.order_by("pk").values_list("event_type", flat=True))
    assert types == [
        "return.requested",
        "return.status_changed",
        "label.created",
        "refund.created",
        "return.refunded",
    ]
    label = json.loads(WebhookDelivery.objects.get(event_type="label.created").body)
    assert label["data"]["label"]["tracking_number"] == ret.labels.get().tracking_number
    refunded = json.loads(WebhookDelivery.objects.get(event_type="return.refunded").body)
    assert refunded["data"]["amounts"]["refunded"] == "20.00"
    assert refunded["data"]["refund"] == {"amount": "20.00", "mode": "money_back"}
    created = json.loads(WebhookDelivery.objects.get(event_type="refund.created").body)
    assert created["data"]["refund"]["amount"] == "20.00"
    assert created["data"]["amounts"]["pending"] == "20.00"


def test_nothing_is_queued_when_the_change_rolls_back(reasons, django_capture_on_commit_callbacks):
    # given
    boss = superuser()
    endpoint("https://a.example.com/hooks")
    ret = requested_return(boss)
    WebhookDelivery.objects.all().delete()

    class Boom(Exception):
        pass

    # when: the approval's transaction fails after the service ran
    def approve_then_fail():
        with transaction.atomic():
            return_approve(actor=boss, ret=ret, expected_status="requested", notify=False)
            raise Boom

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Boom):
        approve_then_fail()
    # then: no row, nothing published, the return still requested
    assert WebhookDelivery.objects.count() == 0
    assert callbacks == []
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REQUESTED


def test_a_delivery_is_signed_as_standard_webhooks_says(receiver, reasons):
    # given
    boss = superuser()
    target = receiver(200)
    hook = endpoint(target.url, ["return.requested"])
    ret = requested_return(boss)
    delivery = WebhookDelivery.objects.get()
    # when
    outcome = deliver(delivery.pk)
    # then: the reference library accepts the request with the endpoint's secret
    assert outcome.status == "delivered"
    (request,) = target.requests
    payload = Webhook(hook.secret).verify(request.body, request.headers)
    assert payload["type"] == "return.requested"
    assert payload["data"]["rma_number"] == ret.rma_number
    assert payload["data"]["previous_status"] is None
    assert request.headers["webhook-id"] == delivery.webhook_id
    assert request.headers["content-type"] == "application/json"
    assert request.body == delivery.body.encode()
    assert hook.secret.startswith("whsec_")
    # and another secret is refused by it
    with pytest.raises(Exception, match="signature"):
        Webhook(WebhookEndpoint().secret).verify(request.body, request.headers)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        Status.DELIVERED,
        1,
        200,
    )
    assert delivery.response_body == '{"answer": 200}'
    assert delivery.duration_ms is not None


def test_a_receiver_answering_500_then_200_gets_it_once_on_the_second_attempt(receiver, reasons):
    # given
    boss = superuser()
    target = receiver(500, 200)
    hook = endpoint(target.url, ["return.requested"])
    requested_return(boss)
    delivery = WebhookDelivery.objects.get()
    # when: the first attempt, then the retry the sweep hands over
    first = deliver(delivery.pk)
    delivery.refresh_from_db()
    after_first = (delivery.status, delivery.attempts, delivery.response_status)
    retried = sweep_and_deliver()
    # then
    assert first.status == "retry"
    assert after_first == (Status.QUEUED, 1, 500)
    assert retried == ["delivered"]
    assert [r.headers["webhook-id"] for r in target.requests] == [delivery.webhook_id] * 2
    assert target.requests[0].body == target.requests[1].body
    for request in target.requests:
        Webhook(hook.secret).verify(request.body, request.headers)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        Status.DELIVERED,
        2,
        200,
    )
    # and nothing more is posted
    assert sweep_and_deliver() == []
    assert len(target.requests) == 2
    hook.refresh_from_db()
    assert (hook.active, hook.consecutive_failures) == (True, 0)


def test_a_receiver_down_for_the_whole_backoff_disables_the_endpoint_and_tells_the_admins(
    reasons, client
):
    # given: a shop admin, a returns agent, and an endpoint nobody listens at
    boss = superuser()
    admin = with_role("shop_admin", full_name="Ada Admin")
    agent = with_role("returns_agent", full_name="Ali Agent")
    hook = endpoint(closed_port_url(), ["return.requested"])
    requested_return(boss)
    delivery = WebhookDelivery.objects.get()
    # when: the first attempt and both retries fail to connect
    outcomes = [deliver(delivery.pk).status, *sweep_and_deliver(), *sweep_and_deliver()]
    # then
    assert outcomes == ["retry", "retry", "failed"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        Status.FAILED,
        3,
        None,
    )
    assert "ConnectionError" in delivery.last_error
    hook.refresh_from_db()
    assert (hook.active, hook.consecutive_failures) == (False, 1)
    assert hook.disabled_at is not None
    told = Notification.objects.filter(event="webhook_disabled")
    assert sorted(told.values_list("recipient", flat=True)) == sorted([admin.email, boss.email])
    assert agent.email not in told.values_list("recipient", flat=True)
    assert set(told.values_list("status", flat=True)) == {Notification.Status.QUEUED}
    # and the back-office home says it to the admin
    client.force_login(admin)
    home = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert hook.url in home.content.decode()
    # and the next change queues nothing for it
    requested_return(boss)
    assert WebhookDelivery.objects.count() == 1


def test_the_endpoint_is_disabled_after_n_failed_deliveries_in_a_row_only(
    receiver, settings, reasons
):
    # given: two failures allowed; a 4xx fails a delivery at once (no retry)
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 2
    boss = superuser()
    target = receiver(400, 200, 400)
    hook = endpoint(target.url, ["return.requested"])
    outcomes = []
    # when: three deliveries: refused, accepted, refused
    for _n in range(3):
        requested_return(boss)
        outcomes.append(deliver(WebhookDelivery.objects.latest("pk").pk).status)
    # then: the success in between reset the count: still active
    assert outcomes == ["failed", "delivered", "failed"]
    hook.refresh_from_db()
    assert (hook.active, hook.consecutive_failures) == (True, 1)
    assert not Notification.objects.filter(event="webhook_disabled").exists()
    # when: one more refused
    target.statuses = [400]
    requested_return(boss)
    outcome = deliver(WebhookDelivery.objects.latest("pk").pk)
    # then
    assert outcome.endpoint_disabled
    hook.refresh_from_db()
    assert (hook.active, hook.consecutive_failures) == (False, 2)
    assert len(target.requests) == 4


def test_the_admin_email_renders_in_both_languages(reasons):
    # given: an endpoint the worker disabled
    from notifications.emails import render_notification

    admin = with_role("shop_admin", full_name="Ada Admin")
    hook = endpoint(closed_port_url(), ["return.requested"])
    requested_return(superuser())
    deliver(WebhookDelivery.objects.get().pk)
    sweep_and_deliver()
    sweep_and_deliver()
    notification = Notification.objects.get(event="webhook_disabled", recipient=admin.email)
    for language, words in (("en", "was disabled"), ("fr", "a été désactivé")):
        notification.language = language
        # when
        email = render_notification(notification)
        # then
        assert words in email.subject
        assert hook.url in email.text_body
        assert "/admin/notifications/webhookendpoint/" in email.html_body


def test_send_again_posts_the_same_webhook_id_once_more(receiver, reasons, client):
    # given: a delivered event and a shop admin
    admin = with_role("shop_admin", full_name="Ada Admin")
    target = receiver(200)
    endpoint(target.url, ["return.requested"])
    requested_return(superuser())
    delivery = WebhookDelivery.objects.get()
    deliver(delivery.pk)
    client.force_login(admin)
    url = f"/admin/notifications/webhookdelivery/{delivery.pk}/resend/"
    # when: the confirmation page, then the POST
    confirm = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    delivery.refresh_from_db()
    unchanged = delivery.status
    posted = client.post(url)
    # then
    assert confirm.status_code == 200
    assert delivery.webhook_id in confirm.content.decode()
    assert unchanged == Status.DELIVERED
    assert posted.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.max_attempts) == (Status.QUEUED, 1 + 3)
    assert deliver(delivery.pk).status == "delivered"
    assert [r.headers["webhook-id"] for r in target.requests] == [delivery.webhook_id] * 2


def test_a_returns_agent_may_not_send_again(receiver, reasons, client):
    # given
    agent = with_role("returns_agent", full_name="Ali Agent")
    endpoint(closed_port_url(), ["return.requested"], active=True)
    requested_return(superuser())
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.FAILED, attempts=3, max_attempts=3
    )
    client.force_login(agent)
    # when
    response = client.post(f"/admin/notifications/webhookdelivery/{delivery.pk}/resend/")
    # then
    assert response.status_code == 403
    delivery.refresh_from_db()
    assert (delivery.status, delivery.max_attempts) == (Status.FAILED, 3)


def test_the_deliveries_pages(reasons, client, django_assert_num_queries):
    # given: three deliveries
    admin = with_role("shop_admin", full_name="Ada Admin")
    endpoint("https://a.example.com/hooks", ["return.requested"])
    for _n in range(3):
        requested_return(superuser())
    delivery = WebhookDelivery.objects.order_by("pk").first()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        response_status=503, response_body="busy", status=Status.FAILED
    )
    client.force_login(admin)
    # the session and permissions cached, the shop settings memoised (shop.memo.page_settings)
    client.get("/admin/notifications/webhookdelivery/")
    # when
    with django_assert_num_queries(7):
        listing = client.get("/admin/notifications/webhookdelivery/", HTTP_ACCEPT_LANGUAGE="en")
    detail = client.get(
        f"/admin/notifications/webhookdelivery/{delivery.pk}/change/", HTTP_ACCEPT_LANGUAGE="en"
    )
    # then
    assert listing.status_code == 200
    assert listing.content.decode().count("return requested") == 3 + 1  # 3 rows and the filter
    page = detail.content.decode()
    assert "busy" in page
    assert "503" in page
    assert "&quot;rma_number&quot;" in page
    assert f"/admin/notifications/webhookdelivery/{delivery.pk}/resend/" in page


def test_only_shop_admins_manage_endpoints(client):
    # given
    admin = with_role("shop_admin", full_name="Ada Admin")
    agent = with_role("returns_agent", full_name="Ali Agent")
    form = {
        "url": "https://hooks.example.com/in",
        "description": "ERP",
        "events": ["label.created"],
        "active": "on",
    }
    # when
    client.force_login(agent)
    refused = client.post("/admin/notifications/webhookendpoint/add/", form)
    client.force_login(admin)
    added = client.post("/admin/notifications/webhookendpoint/add/", form)
    # then
    assert refused.status_code == 403
    assert added.status_code == 302
    (hook,) = WebhookEndpoint.objects.all()
    assert (hook.url, hook.events, hook.active) == (
        "https://hooks.example.com/in",
        ["label.created"],
        True,
    )
    assert hook.secret.startswith("whsec_")
    assert len(hook.secret) == 6 + 44


def test_enabling_an_endpoint_again_starts_its_count_over(client):
    # given: an endpoint the worker disabled
    from django.utils import timezone

    admin = with_role("shop_admin", full_name="Ada Admin")
    hook = endpoint(
        "https://a.example.com/hooks",
        ["label.created"],
        active=False,
        consecutive_failures=5,
        disabled_at=timezone.now(),
    )
    client.force_login(admin)
    # when
    response = client.post(
        f"/admin/notifications/webhookendpoint/{hook.pk}/change/",
        {"url": hook.url, "description": "", "events": ["label.created"], "active": "on"},
    )
    # then
    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.active, hook.consecutive_failures, hook.disabled_at) == (True, 0, None)


def test_the_payload_amounts_are_exact_strings():
    # given / when
    from datetime import UTC, datetime

    from notifications.webhook_outbox import payload_body

    body = payload_body(
        "refund.created",
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        {"amount": str(Decimal("12.30"))},
    )
    # then
    assert (
        body
        == '{"type":"refund.created","timestamp":"2026-01-02T03:04:05Z","data":{"amount":"12.30"}}'
    )
