"""The events a customer can be emailed about. Each has a default template per language in
templates/emails/<event>.<language>.{subject.txt,txt,html}."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationEvent(models.TextChoices):
    REQUESTED = "requested", _("return requested")
    APPROVED = "approved", _("return approved")
    APPROVED_WITH_LABEL = "approved_with_label", _("return approved, with a label")
    REJECTED = "rejected", _("return rejected")
    IN_TRANSIT = "in_transit", _("parcel in transit")
    RECEIVED = "received", _("parcel received")
    REFUNDED = "refunded", _("refunded")
    CREDITED = "credited", _("store credit issued")
    REFUNDED_EARLY = "refunded_early", _("refunded, parcel awaited")
    EXCHANGED = "exchanged", _("exchanged")
    CANCELLED = "cancelled", _("return cancelled")
    EXPIRED = "expired", _("return expired")
    LABEL_RESENT = "label_resent", _("label sent again")
