"""Celery tasks: thin, taking ids, calling delivery.py; and publishing a row to the broker,
which only this module does (services.py publishes after commit through it).

No autoretry: delivery decides what is transient and schedules the next attempt itself, so an
unexpected exception (a bug, a template error) marks the row failed instead of resending it.
"""

import gc
import logging
import os
import threading
import time

from celery import current_app, shared_task
from celery.signals import worker_process_shutdown
from django.conf import settings
from kombu.exceptions import OperationalError

from notifications.delivery import (
    close_mail_connection,
    deliver_batch,
    deliver_notification,
    notifications_sweep,
)
from notifications.webhook_delivery import deliver_webhook, webhooks_sweep

logger = logging.getLogger(__name__)


def publish_transport_options() -> dict:
    """The broker connection options of a publish: short timeouts, no retry. A broker that is
    down, or hung (it accepts the connection and never answers), costs a request at most about
    NOTIFICATIONS_PUBLISH_TIMEOUT_SECONDS per command; the sweep hands the row over later. (The
    worker's own consuming connection keeps CELERY_BROKER_TRANSPORT_OPTIONS.)"""
    timeout = settings.NOTIFICATIONS_PUBLISH_TIMEOUT_SECONDS
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry_on_timeout": False,
        # kombu's connection retries (establishing the connection): none.
        "max_retries": 0,
    }


_publisher = threading.local()


def _forget_publisher() -> None:
    connection = getattr(_publisher, "connection", None)
    _publisher.connection = None
    if connection is not None:
        try:
            connection.collect()  # drop its sockets without talking to the broker
        except Exception:
            logger.debug("publisher connection dropped", exc_info=True)


def _publisher_connection():
    """This thread's publishing connection (kombu connections are not thread-safe), made with
    the short timeouts above; made again after a failure, and in a forked child."""
    connection = getattr(_publisher, "connection", None)
    if connection is None:
        connection = current_app.connection_for_write(
            connect_timeout=settings.NOTIFICATIONS_PUBLISH_TIMEOUT_SECONDS,
            transport_options=publish_transport_options(),
        )
        _publisher.connection = connection
    return connection


os.register_at_fork(after_in_child=lambda: setattr(_publisher, "connection", None))


def freeze_before_fork() -> None:
    """Keep the objects a forking process has (the worker's main process, before each pool
    child) out of the garbage collector's reach, in it and in the child: a collection in the
    child writes to every object it inherited, and each page written is copied, the pages the
    two processes shared becoming two private copies. The bench saw that as a step of about
    50 MB of PSS (main + child) at the child's first full collection, after some hundreds to
    thousands of tasks (bench/README.md, Worker). What is frozen is never collected: garbage
    is collected first, and a process forks rarely (the pool's start, a child replaced)."""
    gc.collect()
    gc.freeze()


os.register_at_fork(before=freeze_before_fork)

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
    return _publish(send_notification, (notification_id,), countdown, even_if_broker_down)


def publish_webhook(
    delivery_id: int, *, countdown: float | None = None, even_if_broker_down: bool = False
) -> bool:
    """Hand a webhook delivery to the broker, as publish_send does an email."""
    return _publish(post_webhook, (delivery_id,), countdown, even_if_broker_down)


def publish_batch(*, even_if_broker_down: bool = False) -> bool:
    """Hand the broker a batch task (send_notifications_batch): it claims due rows itself."""
    return _publish(send_notifications_batch, (), None, even_if_broker_down)


def _publish(task, args: tuple, countdown: float | None, even_if_broker_down: bool) -> bool:
    global _broker_down_until
    if not even_if_broker_down and time.monotonic() < _broker_down_until:
        logger.info("broker down a moment ago, %s%s left for the sweep", task.name, args)
        return False
    try:
        task.apply_async(
            args,
            countdown=countdown,
            connection=_publisher_connection(),
            # Fail fast: the sweep is the retry, not this caller (often a web request).
            retry=False,
        )
    except (OperationalError, OSError) as exc:
        _forget_publisher()
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning("broker unavailable, %s%s left for the sweep: %s", task.name, args, exc)
        return False
    _broker_down_until = 0.0
    return True


# The time limits bound a provider that hangs; NOTIFICATIONS_STUCK_AFTER_SECONDS must exceed
# the hard one, so the sweep never takes a row back from a worker still sending it.
@shared_task(bind=True, acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def send_notification(self, notification_id: int) -> str:
    """Send the row, and other due rows with it (NOTIFICATIONS_COALESCE): each one put back
    for a retry is published again with its countdown. A worker's task (not an eager one, run
    in its caller's process and transaction) remembers the rows it took along and finished,
    so that their own tasks in this process stop at once (delivery.py, `remember`)."""
    outcome = deliver_notification(
        notification_id=notification_id,
        coalesce=settings.NOTIFICATIONS_COALESCE,
        remember=not self.request.is_eager,
    )
    retries = outcome.along.retries if outcome.along is not None else ()
    if outcome.retry_in is not None:
        retries = ((notification_id, outcome.retry_in), *retries)
    for pk, delay in retries:
        # If the broker cannot take it, the row is queued with its time: the sweep retries it.
        publish_send(pk, countdown=delay)
    return outcome.status


# A batch's time limits: about two seconds an email at the default size, the hard one still
# under NOTIFICATIONS_STUCK_AFTER_SECONDS. At the soft one the rows not yet sent are put back.
@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=270)
def send_notifications_batch() -> dict:
    """Send a batch of due emails on one mail connection (delivery.deliver_batch); a full
    batch means more are waiting: the next batch task is published."""
    outcome = deliver_batch()
    for notification_id, delay in outcome.retries:
        publish_send(notification_id, countdown=delay)
    if outcome.claimed >= settings.NOTIFICATIONS_BATCH_SIZE:
        publish_batch(even_if_broker_down=True)
    return outcome.__dict__


# The POST's own timeout (WEBHOOKS_TIMEOUT_SECONDS) is well under these limits.
@shared_task(acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def post_webhook(delivery_id: int) -> str:
    outcome = deliver_webhook(delivery_id=delivery_id, publish_email=publish_send)
    if outcome.retry_in is not None:
        # If the broker cannot take it, the row is queued with its time: the sweep retries it.
        publish_webhook(delivery_id, countdown=outcome.retry_in)
    return outcome.status


@worker_process_shutdown.connect
def close_kept_mail_connection(**kwargs):
    """A pool child stopping says QUIT to its kept mail connection (delivery.py)."""
    close_mail_connection()


@shared_task(ignore_result=True)
def sweep_notifications() -> dict:
    result = notifications_sweep(publish=publish_send, publish_batch=publish_batch)
    if result.requeued_stuck or result.failed_stuck or result.published or result.unpublished:
        logger.info("notifications sweep: %s", result)
    hooks = webhooks_sweep(publish=publish_webhook)
    if hooks.requeued_stuck or hooks.failed_stuck or hooks.published:
        logger.info("webhooks sweep: %s", hooks)
    return {**result.__dict__, "webhooks": hooks.__dict__}
