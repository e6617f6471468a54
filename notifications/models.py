"""The outbox (one Notification row per email to send) and the staff-edited email templates."""

import base64
import functools
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.template import Engine, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.events import EDITABLE_EVENT_CHOICES, NotificationEvent


@functools.lru_cache(maxsize=512)
def compile_template_source(source: str):
    """A template from staff's text; raises TemplateSyntaxError on a mistake. (Escaping is
    the context's business: see notifications/emails.py render_email.)

    Compiled once per text and process: the worker sends thousands of emails from a few dozen
    templates, and compiling was most of an email's cost. Keyed by the text itself, so an edited
    template is a new key, never a stale one."""
    return Engine.get_default().from_string(source)


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    # Reported later by the provider's tracking webhook.
    DELIVERED = "delivered", _("delivered")
    BOUNCED = "bounced", _("bounced")
    COMPLAINED = "complained", _("marked as spam")


# A person may ask for these to be sent again.
RESENDABLE_STATUSES = [NotificationStatus.FAILED, NotificationStatus.BOUNCED]


class Notification(models.Model):
    """One email to a customer about one change of a return, or to a person about their account
    (sign-up confirmation, password reset, a sign-up attempt with their address): the outbox row.

    Written in the transaction of the change; sent by the worker after commit. The status moves
    queued → sending (claimed by one worker) → sent, or back to queued for a retry, or failed.
    Exactly one of `ret` (a return's email) and `user` (an account email) is set.
    """

    Status = NotificationStatus
    Event = NotificationEvent

    # By name: the outbox does not import the returns app (see notifications/registry.py).
    ret = models.ForeignKey(
        "returns.Return",
        verbose_name=_("return"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # An account email: what it says is built from the user when it is sent (a reset link is
    # made then, never stored: notifications/account_emails.py).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="account_notifications",
    )
    return_event = models.ForeignKey(
        "returns.ReturnEvent",
        verbose_name=_("return event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    event = models.CharField(_("event"), max_length=30, choices=NotificationEvent.choices)
    # One email per (return, event, change): the key makes a second enqueue of the same change
    # a no-op, whatever calls it.
    dedup_key = models.CharField(
        _("deduplication key"), max_length=100, unique=True, editable=False
    )
    # The email's own Message-ID is made of the row's id and this: the same on every attempt and
    # resend, so a message sent twice is recognisable (mail clients fold it), and unique across
    # databases (ids restart in another installation).
    message_uuid = models.UUIDField(_("message UUID"), default=uuid.uuid4, editable=False)
    recipient = models.EmailField(_("recipient"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NotificationStatus.choices,
        default=NotificationStatus.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(
        _("attempt limit"), help_text=_("Transient errors are retried until this many attempts.")
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # Set, and committed, just before the attempt hands the email to the provider: a worker that
    # dies before it never sent it; one that dies after may have (delivery.py, the sweep).
    handed_over_at = models.DateTimeField(_("handed to the provider at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_message_id = models.CharField(
        _("provider message id"), max_length=255, blank=True, db_index=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        permissions = [("resend_notification", _("Can send a notification again"))]
        indexes = [
            # The sweep's two queries: queued past their time, sending for too long.
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["status", "claimed_at"], name="notification_claimed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(attempts__lte=models.F("max_attempts")),
                name="notification_attempts_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(ret__isnull=False, user__isnull=True)
                | Q(ret__isnull=True, user__isnull=False),
                name="notification_of_a_return_or_an_account",
            ),
        ]

    def __str__(self):
        about = self.ret if self.ret_id is not None else _("account")
        return f"{about} {self.event} → {self.recipient}"

    @property
    def message_id(self) -> str:
        """The Message-ID header of this email, on every attempt (see `message_uuid`)."""
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
        return f"<notification-{self.pk}-{self.message_uuid.hex}@{domain}>"

    @property
    def can_resend(self):
        return self.status in RESENDABLE_STATUSES


class EmailTemplate(models.Model):
    """A template edited by staff. Without a row, the default file shipped with the code is used.
    Only the return events' templates are editable (EDITABLE_EVENTS)."""

    event = models.CharField(_("event"), max_length=30, choices=EDITABLE_EVENT_CHOICES)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=255)
    text_body = models.TextField(_("text body"))
    html_body = models.TextField(_("HTML body"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("notification email")
        verbose_name_plural = _("notification emails")
        ordering = ["event", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "language"], name="email_template_once_per_language"
            ),
        ]

    def __str__(self):
        return f"{self.get_event_display()} ({self.language})"

    def clean(self):
        # A typo in a template must be caught when staff save it, not when the worker sends.
        errors = {}
        for field in ("subject", "text_body", "html_body"):
            try:
                compile_template_source(getattr(self, field))
            except TemplateSyntaxError as exc:
                errors[field] = _("Template error: %(error)s") % {"error": exc}
        if errors:
            raise ValidationError(errors)


# --- Outbound webhooks ----------------------------------------------------------------------


class WebhookEventType(models.TextChoices):
    """What an integration may subscribe to (README "Webhooks" lists each one's payload)."""

    RETURN_REQUESTED = "return.requested", _("return requested")
    RETURN_STATUS_CHANGED = "return.status_changed", _("return status changed")
    RETURN_REFUNDED = "return.refunded", _("return refunded")
    REFUND_CREATED = "refund.created", _("refund created")
    LABEL_CREATED = "label.created", _("label created")
    LABEL_CANCELLED = "label.cancelled", _("label cancelled")


def new_webhook_secret() -> str:
    """A signing secret as Standard Webhooks writes it: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class WebhookEndpoint(models.Model):
    """A URL of an integration that hears about the events it subscribed to, signed with its own
    secret. Disabled by the worker after WEBHOOKS_DISABLE_AFTER_FAILURES failed deliveries in a
    row (notifications/webhook_delivery.py); a shop admin enables it again."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(
        _("events"), default=list, help_text=_("The event types this endpoint receives.")
    )
    secret = models.CharField(
        _("signing secret"), max_length=100, default=new_webhook_secret, editable=False
    )
    active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("failed deliveries in a row"), default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["id"]

    def __str__(self):
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in (self.events or [])


class WebhookDeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint: the webhook outbox row, written in the transaction of the
    change, posted by the worker after commit with the same `webhook-id` on every attempt.

    queued → sending (claimed by one worker) → delivered, or back to queued for a retry, or
    failed (a 4xx, or the retries spent)."""

    Status = WebhookDeliveryStatus

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEventType.choices)
    # The change this event tells of: one delivery per endpoint and change, whoever calls twice.
    return_event = models.ForeignKey(
        "returns.ReturnEvent",
        verbose_name=_("return event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The webhook-id header: the same on every attempt and "send again", so receivers dedupe.
    message_uuid = models.UUIDField(_("message UUID"), default=uuid.uuid4, editable=False)
    # The exact JSON body posted, frozen when the change happened (text, not JSON: a database
    # may reorder a JSON object's keys, and every attempt posts the same bytes).
    body = models.TextField(_("payload"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempt limit"))
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.TextField(_("response body"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        permissions = [("resend_webhookdelivery", _("Can send a webhook delivery again"))]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["status", "claimed_at"], name="webhook_delivery_claimed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "return_event", "event_type"],
                name="webhook_delivery_once_per_change",
            ),
            models.CheckConstraint(
                condition=Q(attempts__lte=models.F("max_attempts")),
                name="webhook_delivery_attempts_within_limit",
            ),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.endpoint}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.message_uuid.hex}"

    @property
    def can_resend(self) -> bool:
        return self.status in (WebhookDeliveryStatus.FAILED, WebhookDeliveryStatus.DELIVERED)
