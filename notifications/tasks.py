"""Celery tasks: thin, taking ids, calling delivery.py; and publishing a row to the broker,
which only this module does (services.py publishes after commit through it).

No autoretry: delivery decides what is transient and schedules the next attempt itself, so an
unexpected exception (a bug, a template error) marks the row failed instead of resending it.
"""

import logging
import time

from celery import shared_task
from kombu.exceptions import OperationalError

from notifications.delivery import deliver_notification, notifications_sweep

logger = logging.getLogger(__name__)

# After the broker failed, publishing is skipped for this long in this process: with a broker
# that times out instead of refusing, every status change would otherwise wait on it.
BROKER_PAUSE_SECONDS = 10.0
_broker_down_until = 0.0


def publish_send(
    notification_id: int, *, countdown: float | None = None, even_if_broker_down: bool = False
) -> bool:
    """Hand the notification to the broker. False when the broker cannot take it.

    A broker that is down must never fail the change that queued the email: the row stays
    queued and the sweep hands it over again once the broker is back (the sweep passes
    `even_if_broker_down`, to find out).
    """
    global _broker_down_until
    if not even_if_broker_down and time.monotonic() < _broker_down_until:
        logger.info("broker down a moment ago, notification %s left for the sweep", notification_id)
        return False
    try:
        send_notification.apply_async(
            (notification_id,),
            countdown=countdown,
            # Fail fast: the sweep is the retry, not this caller (often a web request).
            retry_policy={
                "max_retries": 1,
                "interval_start": 0,
                "interval_step": 0.2,
                "interval_max": 0.2,
            },
        )
    except (OperationalError, OSError) as exc:
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "broker unavailable, notification %s left for the sweep: %s", notification_id, exc
        )
        return False
    _broker_down_until = 0.0
    return True


# The time limits bound a provider that hangs; NOTIFICATIONS_STUCK_AFTER_SECONDS must exceed
# the hard one, so the sweep never takes a row back from a worker still sending it.
@shared_task(acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def send_notification(notification_id: int) -> str:
    outcome = deliver_notification(notification_id=notification_id)
    if outcome.retry_in is not None:
        # If the broker cannot take it, the row is queued with its time: the sweep retries it.
        publish_send(notification_id, countdown=outcome.retry_in)
    return outcome.status


@shared_task(ignore_result=True)
def sweep_notifications() -> dict:
    result = notifications_sweep(publish=publish_send)
    if result.requeued_stuck or result.failed_stuck or result.published or result.unpublished:
        logger.info("notifications sweep: %s", result)
    return result.__dict__
