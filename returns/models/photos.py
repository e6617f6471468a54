"""Photos a customer adds to a returned line (returns/services/photos.py makes them): stored
through Django's storage API, re-encoded so no metadata of the customer's camera is kept."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from returns.models.returns import ReturnLine

MAX_PHOTOS_PER_LINE = 5


class ReturnPhoto(models.Model):
    line = models.ForeignKey(
        ReturnLine, verbose_name=_("return line"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("image"), upload_to="return-photos/%Y/%m/", max_length=200)
    content_type = models.CharField(_("content type"), max_length=20)
    size = models.PositiveIntegerField(_("size in bytes"))
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("return photo")
        verbose_name_plural = _("return photos")
        ordering = ["line", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=["image/jpeg", "image/png", "image/webp"]),
                name="return_photo_known_type",
            ),
        ]

    def __str__(self):
        return self.image.name
