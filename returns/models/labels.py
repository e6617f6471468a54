"""Return shipping methods, return labels and the carrier's tracking events of each label.

Exported by returns/models/__init__.py. A label's PDF is kept in the database (a BinaryField):
it is written in the same transaction as the label row, so a rolled back approval leaves no file
behind, and it is a few kilobytes.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from returns.models.returns import Return, TranslatedNameMixin
from shop.datetimes import ReportedDateTimeField


class ShippingMethod(TranslatedNameMixin):
    """How a parcel comes back: a carrier and, optionally, its service (e.g. drop-off point)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    carrier = models.CharField(
        _("carrier"), max_length=30, help_text=_("A carrier code of the RETURN_CARRIERS setting.")
    )
    service = models.CharField(_("carrier service"), max_length=50, blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("return shipping method")
        verbose_name_plural = _("return shipping methods")
        ordering = ["position", "id"]

    @classmethod
    def default(cls) -> "ShippingMethod | None":
        """The method a return comes back with when no rule chose one."""
        return cls.objects.filter(active=True).order_by("position", "id").first()

    def clean(self):
        if self.carrier and self.carrier not in settings.RETURN_CARRIERS:
            raise ValidationError(
                {
                    "carrier": _("Unknown carrier: choose one of %(codes)s.")
                    % {"codes": ", ".join(sorted(settings.RETURN_CARRIERS))}
                }
            )


class ParcelStatus(models.TextChoices):
    """What every carrier's own statuses are mapped to."""

    ANNOUNCED = "announced", _("announced")
    IN_TRANSIT = "in_transit", _("in transit")
    DELIVERED = "delivered", _("delivered")
    EXCEPTION = "exception", _("exception")
    RETURNED_TO_SENDER = "returned_to_sender", _("returned to sender")
    CANCELLED = "cancelled", _("cancelled")


class LabelStatus(models.TextChoices):
    CREATED = "created", _("created")
    CANCELLED = "cancelled", _("cancelled")


class ReturnLabel(models.Model):
    """A prepaid label of a return. At most one is live (created) per return."""

    Status = LabelStatus

    ret = models.ForeignKey(
        Return, verbose_name=_("return"), on_delete=models.CASCADE, related_name="labels"
    )
    shipping_method = models.ForeignKey(
        ShippingMethod,
        verbose_name=_("shipping method"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    carrier = models.CharField(_("carrier"), max_length=30)
    tracking_number = models.CharField(_("tracking number"), max_length=64, unique=True)
    carrier_reference = models.CharField(_("carrier's reference"), max_length=100, blank=True)
    pdf = models.BinaryField(_("PDF"), editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=LabelStatus.choices, default=LabelStatus.CREATED
    )
    # The latest carrier event's status (by when it happened); blank until the first event.
    parcel_status = models.CharField(
        _("parcel status"), max_length=30, blank=True, choices=ParcelStatus.choices
    )
    # The carrier's date: shown as stored, whatever it is (shop/datetimes.py).
    parcel_status_at = ReportedDateTimeField(_("parcel status at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("return label")
        verbose_name_plural = _("return labels")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("resend_label", _("Can email a return label again")),
            ("cancel_label", _("Can cancel a return label")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ret"],
                condition=Q(status="created"),
                name="return_label_one_live_per_return",
            ),
            models.CheckConstraint(
                condition=Q(status="created", cancelled_at__isnull=True)
                | Q(status="cancelled", cancelled_at__isnull=False),
                name="return_label_cancelled_at_iff_cancelled",
            ),
        ]

    def __str__(self):
        return f"{self.carrier} {self.tracking_number}"

    @property
    def is_live(self) -> bool:
        return self.status == LabelStatus.CREATED

    @property
    def is_used(self) -> bool:
        """The carrier has reported something about the parcel: the label may be in use."""
        return self.parcel_status_at is not None


class TrackingEvent(models.Model):
    """One event a carrier reported about a label's parcel, recorded once per carrier event id."""

    label = models.ForeignKey(
        ReturnLabel,
        verbose_name=_("label"),
        on_delete=models.CASCADE,
        related_name="tracking_events",
    )
    carrier = models.CharField(_("carrier"), max_length=30)
    event_id = models.CharField(_("carrier's event id"), max_length=100)
    raw_status = models.CharField(_("carrier's status"), max_length=60)
    # Blank when the carrier's status has no meaning for us: recorded, nothing else.
    status = models.CharField(_("status"), max_length=30, blank=True, choices=ParcelStatus.choices)
    occurred_at = ReportedDateTimeField(_("happened at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "event_id"], name="tracking_event_once_per_carrier"
            ),
        ]

    def __str__(self):
        return f"{self.label} {self.raw_status} {self.occurred_at:%Y-%m-%d %H:%M}"


class LabelAttemptStatus(models.TextChoices):
    PENDING = "pending", _("asking the carrier")
    SUCCEEDED = "succeeded", _("label made")
    FAILED = "failed", _("failed")


class LabelAttempt(models.Model):
    """One request of a return's label to its carrier, made after the approval's commit
    (returns/services/labels.py). At most one is pending per return: a second click, or a
    second worker, finds it and asks the carrier nothing. A failed one keeps the carrier's
    message for staff, who retry from the return's page."""

    Status = LabelAttemptStatus

    ret = models.ForeignKey(
        Return, verbose_name=_("return"), on_delete=models.CASCADE, related_name="label_attempts"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=LabelAttemptStatus.choices,
        default=LabelAttemptStatus.PENDING,
    )
    error = models.TextField(_("carrier's message"), blank=True)
    label = models.ForeignKey(
        ReturnLabel,
        verbose_name=_("label"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("label request")
        verbose_name_plural = _("label requests")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ret"],
                condition=Q(status="pending"),
                name="label_attempt_one_pending_per_return",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", finished_at__isnull=True)
                | (~Q(status="pending") & Q(finished_at__isnull=False)),
                name="label_attempt_finished_at_iff_finished",
            ),
        ]

    def __str__(self):
        return f"{self.ret_id} {self.status}"

    @property
    def is_pending(self) -> bool:
        return self.status == LabelAttemptStatus.PENDING
