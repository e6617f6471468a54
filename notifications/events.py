"""The events a person can be emailed about. Each has a default template per language in
templates/emails/<event>.<language>.{subject.txt,txt,html}.

Most are about a return (the returns app queues them, notifications/services.py); the account
events are about a person's account (notifications/accounts.py queues them). Staff may edit the
templates of the return events; the account emails carry a sign-in or reset link, so their text
is the code's only (`EDITABLE_EVENTS`): an edited template could send the link elsewhere.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationEvent(models.TextChoices):
    REQUESTED = "requested", _("return requested")
    APPROVED = "approved", _("return approved")
    APPROVED_WITH_LABEL = "approved_with_label", _("return approved, with a label")
    REJECTED = "rejected", _("return rejected")
    IN_TRANSIT = "in_transit", _("parcel in transit")
    RECEIVED = "received", _("parcel received")
    KEPT = "kept", _("items kept, nothing to send back")
    REFUNDED = "refunded", _("refunded")
    CREDITED = "credited", _("store credit issued")
    REFUNDED_EARLY = "refunded_early", _("refunded, parcel awaited")
    EXCHANGED = "exchanged", _("exchanged")
    CANCELLED = "cancelled", _("return cancelled")
    EXPIRED = "expired", _("return expired")
    LABEL_RESENT = "label_resent", _("label sent again")
    # About an account, not a return.
    ACCOUNT_CONFIRM = "account_confirm", _("account: confirm the email address")
    PASSWORD_RESET = "password_reset", _("account: password reset")
    SIGNUP_NOTICE = "signup_notice", _("account: someone tried to sign up with this address")
    # To a shop admin, about the shop: not a return's email either.
    WEBHOOK_DISABLED = "webhook_disabled", _("staff: a webhook endpoint was disabled")


ACCOUNT_EVENTS = frozenset(
    {
        NotificationEvent.ACCOUNT_CONFIRM,
        NotificationEvent.PASSWORD_RESET,
        NotificationEvent.SIGNUP_NOTICE,
        NotificationEvent.WEBHOOK_DISABLED,
    }
)

# The events whose templates staff may edit (notifications/admin.py): the return events.
EDITABLE_EVENTS = [event for event in NotificationEvent if event not in ACCOUNT_EVENTS]
EDITABLE_EVENT_CHOICES = [(event.value, event.label) for event in EDITABLE_EVENTS]


def is_account_event(event: str) -> bool:
    return event in ACCOUNT_EVENTS
