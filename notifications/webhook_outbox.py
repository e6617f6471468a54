"""The webhook outbox's writes: queue an event for every endpoint subscribed to it, in the
caller's transaction; send a delivery again; enable an endpoint again. Posting is in
webhook_delivery.py (the worker's side).

The app whose changes are told (returns) builds the payload's `data`; the outbox knows an event
by its type and the change (`return_event`) only, as it knows an email (registry.py)."""

import json
from collections.abc import Callable
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEventType,
)
from notifications.tasks import publish_webhook


class WebhookError(Exception):
    """The delivery or endpoint cannot be changed that way; the message says why."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


def max_attempts() -> int:
    """One attempt, then one per entry of the retry schedule."""
    return 1 + len(settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS)


def payload_body(event_type: str, occurred_at, data: dict[str, Any]) -> str:
    """The JSON posted: {"type", "timestamp", "data"} (README "Webhooks")."""
    payload = {
        "type": event_type,
        "timestamp": occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def webhook_enqueue(
    *, event_type: str, return_event, data: Callable[[], dict[str, Any]]
) -> list[WebhookDelivery]:
    """Queue one delivery of `event_type` per active endpoint subscribed to it, in the caller's
    transaction; each goes to the broker after commit (a rollback leaves no row and posts
    nothing). `data()` builds the payload's data, asked only when some endpoint listens.
    `return_event` (the change) makes a second call for the same change queue nothing."""
    if event_type not in WebhookEventType.values:
        raise ValueError(f"unknown webhook event {event_type!r}")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(active=True).order_by("pk")
        if endpoint.subscribes_to(event_type)
    ]
    if not endpoints:
        return []
    body = payload_body(event_type, return_event.created_at, data())
    deliveries = []
    for endpoint in endpoints:
        delivery, created = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            return_event=return_event,
            event_type=event_type,
            defaults={"body": body, "max_attempts": max_attempts()},
        )
        if created:
            _publish_after_commit(delivery.pk)
        deliveries.append(delivery)
    return deliveries


def _publish_after_commit(delivery_id: int) -> None:
    transaction.on_commit(lambda: publish_webhook(delivery_id))


def webhook_resend(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Post a delivered or failed delivery again (same webhook-id and body): one more series of
    attempts. Refused without the permission, to a disabled endpoint, or while it is queued
    or being sent."""
    if not actor.has_perm("notifications.resend_webhookdelivery"):
        raise WebhookError(_("You are not allowed to send webhook deliveries again."))
    if not WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, active=True).exists():
        raise WebhookError(_("The endpoint is disabled: enable it before sending again."))
    with transaction.atomic():
        # A conditional UPDATE: one of two clicks wins, and a row being sent is left alone.
        changed = WebhookDelivery.objects.filter(
            pk=delivery.pk,
            status__in=[WebhookDeliveryStatus.FAILED, WebhookDeliveryStatus.DELIVERED],
        ).update(
            status=WebhookDeliveryStatus.QUEUED,
            max_attempts=F("attempts") + max_attempts(),
            next_attempt_at=timezone.now(),
            claimed_at=None,
            updated_at=timezone.now(),
        )
        if not changed:
            raise WebhookError(
                _("Only a delivered or failed delivery can be sent again; this one is %(status)s.")
                % {"status": WebhookDeliveryStatus(delivery.status).label}
            )
        _publish_after_commit(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def endpoint_enable(*, endpoint: WebhookEndpoint) -> None:
    """A shop admin enables an endpoint again: its failure count starts over."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=True, consecutive_failures=0, disabled_at=None, updated_at=timezone.now()
    )
