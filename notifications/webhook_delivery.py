"""The worker's side of the webhook outbox: claim a delivery, post it signed (outside any
transaction, with timeouts), record the answer; retry on the schedule; disable an endpoint that
keeps failing and tell the shop admins; and the sweep that hands lost or stuck rows over again.

A delivery is claimed by a conditional UPDATE that one worker wins. A worker that dies while
posting leaves the row `sending`; the sweep queues it again, so a receiver may get it twice,
with the same webhook-id (receivers dedupe on it, as Standard Webhooks says).
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.claims import claim_rows, no_flush_wait
from notifications.events import NotificationEvent
from notifications.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from notifications.outbox import account_notification_row
from notifications.webhook_signing import signed_headers

logger = logging.getLogger(__name__)

Status = WebhookDeliveryStatus

# The role whose members manage endpoints and are told when one is disabled (shop/roles.py).
ENDPOINT_PERMISSION = "change_webhookendpoint"


@dataclass(frozen=True)
class Attempt:
    """What one POST got: an HTTP status and body, or an error without any answer."""

    status_code: int | None
    body: str
    duration_ms: int
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def transient(self) -> bool:
        """Worth another attempt: no answer (timeout, refused), a 5xx or a 429."""
        if self.status_code is None:
            return True
        return self.status_code >= 500 or self.status_code == 429


@dataclass(frozen=True)
class Outcome:
    status: str  # "delivered", "retry", "failed", "skipped"
    retry_in: float | None = None
    endpoint_disabled: bool = False


def post(delivery: WebhookDelivery) -> Attempt:
    """POST the delivery's body, signed for this attempt. Never raises for the network."""
    body = delivery.body.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "returns-backoffice-webhooks/1",
        **signed_headers(
            secret=delivery.endpoint.secret,
            webhook_id=delivery.webhook_id,
            timestamp=int(time.time()),
            body=body,
        ),
    }
    started = time.monotonic()
    try:
        response = requests.post(
            delivery.endpoint.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
            # A redirect is an answer, not a place to post the event to.
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Attempt(None, "", elapsed, error=f"{type(exc).__name__}: {exc}"[:2000])
    elapsed = int((time.monotonic() - started) * 1000)
    text = response.text[: settings.WEBHOOKS_RESPONSE_BODY_MAX_CHARS]
    return Attempt(response.status_code, text, elapsed)


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery for this worker (one statement on PostgreSQL: claims.py), or None."""
    claimed = claim_rows(WebhookDelivery, now=timezone.now(), pk=delivery_id, related=("endpoint",))
    return claimed[0] if claimed else None


def _finish(delivery: WebhookDelivery, **changes) -> bool:
    """Record the outcome unless the sweep took the row back meanwhile."""
    changes["updated_at"] = timezone.now()
    return bool(
        no_flush_wait(
            WebhookDelivery.objects.filter(
                pk=delivery.pk, status=Status.SENDING, claimed_at=delivery.claimed_at
            )
        ).update(**changes)
    )


def _reset_failures(delivery: WebhookDelivery) -> None:
    """A delivery went through: the endpoint's failures in a row start again from 0. Only a
    count above 0 is written: on a healthy endpoint the statement changes no row, and a
    transaction that wrote nothing commits without waiting for the disk."""
    WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, consecutive_failures__gt=0).update(
        consecutive_failures=0
    )


def retry_delay(attempts: int) -> float:
    """The wait after the `attempts`-th failed attempt (the schedule's entry)."""
    schedule = settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS
    return float(schedule[min(attempts, len(schedule)) - 1])


def deliver_webhook(*, delivery_id: int, publish_email: Callable[[int], object]) -> Outcome:
    """Claim, post and record one delivery. `publish_email(notification_id)` hands the shop
    admins' email to the broker when this failure disables the endpoint (tasks.publish_send,
    passed in since the tasks build on this module)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return Outcome("skipped")
    if not delivery.endpoint.active:
        _finish(delivery, status=Status.FAILED, last_error="the endpoint is disabled")
        return Outcome("failed")
    attempt = post(delivery)
    recorded = {
        "response_status": attempt.status_code,
        "response_body": attempt.body,
        "duration_ms": attempt.duration_ms,
        "last_error": attempt.error,
    }
    if attempt.delivered:
        if _finish(delivery, status=Status.DELIVERED, delivered_at=timezone.now(), **recorded):
            _reset_failures(delivery)
        return Outcome("delivered")
    if attempt.transient and delivery.attempts < delivery.max_attempts:
        delay = retry_delay(delivery.attempts)
        _finish(
            delivery,
            status=Status.QUEUED,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            **recorded,
        )
        return Outcome("retry", retry_in=delay)
    with transaction.atomic():
        if not _finish(delivery, status=Status.FAILED, **recorded):
            return Outcome("skipped")
        disabled = _count_failure(delivery.endpoint, publish_email)
    logger.warning(
        "webhook delivery %s failed: %s", delivery.pk, attempt.error or attempt.status_code
    )
    return Outcome("failed", endpoint_disabled=disabled)


def _count_failure(endpoint: WebhookEndpoint, publish_email: Callable[[int], object]) -> bool:
    """One more failed delivery in a row; at the limit the endpoint is disabled (by this call
    only: a conditional UPDATE) and the shop admins told. True when this call disabled it."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    now = timezone.now()
    disabled = WebhookEndpoint.objects.filter(
        pk=endpoint.pk,
        active=True,
        consecutive_failures__gte=settings.WEBHOOKS_DISABLE_AFTER_FAILURES,
    ).update(active=False, disabled_at=now, updated_at=now)
    if not disabled:
        return False
    logger.error(
        "webhook endpoint %s (%s) disabled after repeated failures", endpoint.pk, endpoint.url
    )
    for admin in endpoint_admins():
        notification, created = account_notification_row(
            user=admin,
            event=NotificationEvent.WEBHOOK_DISABLED,
            dedup_key=f"endpoint-{endpoint.pk}-{int(now.timestamp())}",
        )
        if created:
            _publish_email_after_commit(publish_email, notification.pk)
    return True


def _publish_email_after_commit(publish_email: Callable[[int], object], pk: int) -> None:
    transaction.on_commit(lambda: publish_email(pk))


def endpoint_admins():
    """The active staff who manage endpoints: superusers and those holding the permission."""
    perm = Q(
        groups__permissions__codename=ENDPOINT_PERMISSION,
        groups__permissions__content_type__app_label="notifications",
    ) | Q(
        user_permissions__codename=ENDPOINT_PERMISSION,
        user_permissions__content_type__app_label="notifications",
    )
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    return users.filter(Q(is_superuser=True) | perm).distinct().order_by("pk")


@dataclass(frozen=True)
class WebhookSweepResult:
    requeued_stuck: int = 0
    failed_stuck: int = 0
    published: int = 0


def webhooks_sweep(
    *, publish: Callable[..., bool], stuck_after: float | None = None, grace: float | None = None
) -> WebhookSweepResult:
    """Take back deliveries a dead worker left sending, and publish the queued ones due for
    more than `grace` seconds (retries whose message the broker lost, rows queued while it was
    down). Same settings as the email sweep."""
    stuck_after = settings.NOTIFICATIONS_STUCK_AFTER_SECONDS if stuck_after is None else stuck_after
    grace = settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS if grace is None else grace
    now = timezone.now()
    stuck = WebhookDelivery.objects.filter(
        status=Status.SENDING, claimed_at__lte=now - timedelta(seconds=stuck_after)
    )
    failed_stuck = stuck.filter(attempts__gte=F("max_attempts")).update(
        status=Status.FAILED,
        updated_at=now,
        last_error="gave up: the worker stopped during the last attempt",
    )
    requeued = stuck.update(status=Status.QUEUED, next_attempt_at=now, updated_at=now)
    due = WebhookDelivery.objects.filter(status=Status.QUEUED).filter(
        Q(next_attempt_at__lte=now - timedelta(seconds=grace)) | Q(next_attempt_at=now)
    )
    ids = list(due.order_by("pk").values_list("pk", flat=True)[:500])
    WebhookDelivery.objects.filter(pk__in=ids, status=Status.QUEUED).update(next_attempt_at=now)
    published = 0
    for delivery_id in ids:
        if not publish(delivery_id, even_if_broker_down=True):
            break
        published += 1
    return WebhookSweepResult(
        requeued_stuck=requeued, failed_stuck=failed_stuck, published=published
    )
