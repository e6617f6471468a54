"""The outbox (one Notification row per email to send) and the staff-edited email templates."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.template import Engine, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.events import NotificationEvent


def compile_template_source(source: str):
    """A template from staff's text; raises TemplateSyntaxError on a mistake. (Escaping is
    the context's business: see notifications/emails.py render_email.)"""
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
    """One email to a customer about one change of a return: the outbox row.

    Written in the transaction of the change; sent by the worker after commit. The status moves
    queued → sending (claimed by one worker) → sent, or back to queued for a retry, or failed.
    """

    Status = NotificationStatus
    Event = NotificationEvent

    # By name: the outbox does not import the returns app (see notifications/registry.py).
    ret = models.ForeignKey(
        "returns.Return",
        verbose_name=_("return"),
        on_delete=models.CASCADE,
        related_name="notifications",
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
        ]

    def __str__(self):
        return f"{self.ret} {self.event} → {self.recipient}"

    @property
    def can_resend(self):
        return self.status in RESENDABLE_STATUSES


class EmailTemplate(models.Model):
    """A template edited by staff. Without a row, the default file shipped with the code is used."""

    event = models.CharField(_("event"), max_length=30, choices=NotificationEvent.choices)
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
