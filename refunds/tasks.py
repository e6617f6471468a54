"""Celery tasks of the refunds app: thin, calling the services."""

import logging

from celery import shared_task

from refunds.credit import credit_codes_expire_due

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]  # celery has no types
def expire_store_credit() -> int:
    """Beat's write-off of expired store credit codes (settings.CELERY_BEAT_SCHEDULE)."""
    written = credit_codes_expire_due()
    if written:
        logger.info("store credit expiry: %d codes written off", len(written))
    return len(written)
