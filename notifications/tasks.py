"""Celery tasks: thin, taking ids, calling delivery.py.

No autoretry: delivery decides what is transient and schedules the next attempt itself, so an
unexpected exception (a bug, a template error) marks the row failed instead of resending it.
"""

import logging

from celery import shared_task

from notifications.delivery import deliver_notification, notifications_sweep

logger = logging.getLogger(__name__)


# The time limits bound a provider that hangs; NOTIFICATIONS_STUCK_AFTER_SECONDS must exceed
# the hard one, so the sweep never takes a row back from a worker still sending it.
@shared_task(acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def send_notification(notification_id: int) -> str:
    outcome = deliver_notification(notification_id=notification_id)
    if outcome.retry_in is not None:
        from notifications.services import publish_send

        # If the broker cannot take it, the row is queued with its time: the sweep retries it.
        publish_send(notification_id, countdown=outcome.retry_in)
    return outcome.status


@shared_task(ignore_result=True)
def sweep_notifications() -> dict:
    result = notifications_sweep()
    if result.requeued_stuck or result.failed_stuck or result.published or result.unpublished:
        logger.info("notifications sweep: %s", result)
    return result.__dict__
