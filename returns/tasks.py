"""Celery tasks of the returns app: thin, calling the services."""

import logging

from celery import shared_task

from returns.services.expiry import returns_expire_due

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def expire_returns() -> dict:
    """The beat's expiry sweep (settings.CELERY_BEAT_SCHEDULE["returns-expire"])."""
    run = returns_expire_due(apply=True)
    if run.expired or run.skipped:
        logger.info("returns expiry: %d expired, %d skipped", len(run.expired), len(run.skipped))
    return {
        "expired": [ret.rma_number for ret in run.expired],
        "skipped": [ret.rma_number for ret, _why in run.skipped],
    }
