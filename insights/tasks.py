"""Celery tasks of the insights app: thin, calling the services."""

import logging

from celery import shared_task

from insights.daily import refresh_recent

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def refresh_daily_figures() -> int:
    """Beat's refresh of the analytics page's recent daily figures (settings.CELERY_BEAT_SCHEDULE):
    the last days and the days of the returns that changed since (insights.daily.refresh_recent)."""
    done = refresh_recent()
    logger.info("daily figures: %d days, %d rows", done.days, done.rows)
    return done.rows
