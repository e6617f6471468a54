"""Writing an account (or staff) email's outbox row, without publishing it: services.py
publishes after commit; the webhook worker, which tasks.py imports, publishes through the
function it is given (so this module imports no task)."""

import uuid

from django.conf import settings

from notifications.events import ACCOUNT_EVENTS
from notifications.models import Notification


def supported_language(language: str) -> str:
    """The person's language if we have templates in it, else the shop's."""
    supported = {code for code, _name in settings.LANGUAGES}
    language = (language or "").split("-")[0]
    return language if language in supported else settings.LANGUAGE_CODE


def account_notification_row(
    *, user, event: str, dedup_key: str | None = None
) -> tuple[Notification, bool]:
    """The outbox row of an email to `user` about `event` (one per `dedup_key`), and whether
    this call created it."""
    if event not in ACCOUNT_EVENTS:
        raise ValueError(f"not an account email: {event!r}")
    key = dedup_key or f"once-{uuid.uuid4().hex}"
    return Notification.objects.get_or_create(
        dedup_key=f"account:{user.pk}:{event}:{key}"[:100],
        defaults={
            "user": user,
            "event": event,
            "recipient": user.email,
            "language": supported_language(user.language),
            "max_attempts": settings.NOTIFICATIONS_MAX_ATTEMPTS,
        },
    )
