"""The outbox's row lock: the last row of the project's one lock order (returns/locks.py). It
lives here because the outbox imports nothing from the returns app."""

from notifications.models import Notification


def lock_notification(notification_id: int) -> Notification:
    """The outbox row, locked until the end of the caller's transaction."""
    return Notification.objects.select_for_update().get(pk=notification_id)
