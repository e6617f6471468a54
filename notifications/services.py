"""The outbox's writes: queue an email in the caller's transaction, send one again, record what
the provider's tracking webhook reports. Sending itself is in delivery.py (the worker's side)."""

import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import registry
from notifications.events import ACCOUNT_EVENTS, NotificationEvent
from notifications.locks import lock_notification
from notifications.models import Notification, NotificationStatus
from notifications.outbox import (
    account_notification_row,
    insert_unless_keyed,
    supported_language,
)
from notifications.tasks import publish_send
from shop.limits import unsafe_text

logger = logging.getLogger(__name__)


class NotificationError(Exception):
    """The notification cannot be changed that way; the message says why. Nothing changed."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


def _publish_after_commit(notification_id: int) -> None:
    transaction.on_commit(lambda: publish_send(notification_id))


def _dedup_key(ret, event: str, return_event) -> str:
    # Without a change to key on (e.g. a label sent again on request), every call is its own email.
    change = return_event.pk if return_event is not None else f"once-{uuid.uuid4().hex}"
    return f"{ret.pk}:{event}:{change}"


def notification_enqueue(*, ret, event: str, return_event=None, actor=None):
    """Queue one email to the return's customer about `event`, in the caller's transaction.

    Called by the return and refund services only when the change is to be told to the
    customer. `event` is one of the codes of notifications/events (requested, approved,
    approved_with_label, rejected, in_transit, received, refunded, credited, exchanged,
    cancelled, expired, label_resent, refunded_early). `return_event` is the ReturnEvent row of
    the change: it makes the outbox row unique per change, so calling twice for one change
    queues one email.
    The email goes to the broker only after commit; a rollback leaves neither row nor email.
    Returns the Notification row.
    """
    if event not in NotificationEvent.values or event in ACCOUNT_EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    recipient = registry.provider().recipient(ret)
    dedup_key = _dedup_key(ret, event, return_event)
    notification = Notification(
        dedup_key=dedup_key,
        ret=ret,
        return_event=return_event,
        event=event,
        recipient=recipient.email,
        language=supported_language(recipient.language),
        max_attempts=settings.NOTIFICATIONS_MAX_ATTEMPTS,
        next_attempt_at=timezone.now(),
    )
    # One statement; the row of a change already told is read only then.
    if not insert_unless_keyed(notification):
        return Notification.objects.get(dedup_key=dedup_key)
    _publish_after_commit(notification.pk)
    return notification


def account_notification_enqueue(*, user, event: str, dedup_key: str | None = None):
    """Queue one account email to `user` (notifications/accounts.py says which), in the caller's
    transaction; it goes to the broker after commit, and the worker renders it when it sends it.

    `dedup_key` makes calls with the same key one email (None: every call is its own email).
    Returns the Notification row.
    """
    notification, created = account_notification_row(user=user, event=event, dedup_key=dedup_key)
    if created:
        _publish_after_commit(notification.pk)
    return notification


@transaction.atomic
def notification_resend(*, actor, notification) -> Notification:
    """Send a failed (or bounced) email again: one more series of attempts, and an event (the
    provider records it on the return).

    Raises NotificationError when the person lacks the permission or the email is not failed.
    """
    if not actor.has_perm("notifications.resend_notification"):
        raise NotificationError(_("You are not allowed to send notifications again."))
    locked = lock_notification(notification.pk)
    if not locked.can_resend:
        raise NotificationError(
            _("Only a failed or bounced email can be sent again; this one is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    previous_status = NotificationStatus(locked.status)
    locked.status = NotificationStatus.QUEUED
    locked.max_attempts = locked.attempts + settings.NOTIFICATIONS_MAX_ATTEMPTS
    locked.next_attempt_at = timezone.now()
    locked.claimed_at = None
    locked.save(
        update_fields=["status", "max_attempts", "next_attempt_at", "claimed_at", "updated_at"]
    )
    if locked.ret_id is not None:
        registry.provider().record_resend(locked, actor=actor, previous_status=previous_status)
    else:
        logger.info("account email %s (%s) sent again by %s", locked.pk, locked.event, actor.pk)
    _publish_after_commit(locked.pk)
    return locked


# Which statuses a tracking report may move a notification from: reports can arrive late or
# out of order, and a "delivered" must not hide an earlier bounce or complaint.
_TRACKING_TRANSITIONS = {
    "delivered": (NotificationStatus.DELIVERED, [NotificationStatus.SENT]),
    "bounced": (
        NotificationStatus.BOUNCED,
        [NotificationStatus.SENT, NotificationStatus.DELIVERED],
    ),
    "rejected": (NotificationStatus.BOUNCED, [NotificationStatus.SENT]),
    "complained": (
        NotificationStatus.COMPLAINED,
        [NotificationStatus.SENT, NotificationStatus.DELIVERED],
    ),
}


def notification_record_tracking(
    *, event_type: str, message_id: str | None, metadata: dict | None = None, description: str = ""
) -> int:
    """Apply a provider's delivery report to its notification. Returns the rows changed (0/1).

    The notification is found by the provider's message id, else by the id we put in the
    message's metadata. Reports of other kinds (opened, clicked, ...) change nothing.
    """
    if event_type not in _TRACKING_TRANSITIONS:
        return 0
    target, sources = _TRACKING_TRANSITIONS[event_type]
    # What the provider sent is read as text we can look up and store, or ignored.
    found_by = Q()
    message_id = _storable(message_id, MESSAGE_ID_MAX_LENGTH)
    if message_id:
        found_by |= Q(provider_message_id=message_id)
    notification_id = _storable(
        metadata.get("notification_id") if isinstance(metadata, dict) else None, 18
    )
    if notification_id.isascii() and notification_id.isdigit():
        found_by |= Q(pk=int(notification_id))
    if not found_by:
        return 0
    rows = Notification.objects.filter(found_by, status__in=sources)
    changes = {"status": target, "updated_at": timezone.now()}
    if target != NotificationStatus.DELIVERED:
        reason = _storable(description, 2000, cut=True)
        changes["last_error"] = f"{event_type}: {reason}".strip().rstrip(":")
    return rows.update(**changes)


MESSAGE_ID_MAX_LENGTH = Notification._meta.get_field("provider_message_id").max_length or 255


def _storable(value: object, longest: int, *, cut: bool = False) -> str:
    """`value` as text no longer than `longest` (cut, or "" when `cut` is false) and free of
    what no database column holds (shop.limits.unsafe_text: then "")."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    text = str(value).strip()
    if unsafe_text(text):
        return ""
    if len(text) > longest:
        return text[:longest] if cut else ""
    return text
