"""The stock held for an exchange's replacement: taken out of what may be sold when the return
is approved (returns/services/exchanges.py), shipped with the replacement order or released
when the return closes or another item is chosen."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from returns.models.returns import Return, ReturnLine
from shop.models import Variant


class ReservationStatus(models.TextChoices):
    HELD = "held", _("held")
    SHIPPED = "shipped", _("shipped")
    RELEASED = "released", _("released")


class ExchangeReservation(models.Model):
    """`quantity` units of `variant` taken from its stock for the replacement of `line` (the
    line's quantity; one held at a time per return line, a partial unique index). The ledger
    rows are keyed by `stock_key`."""

    Status = ReservationStatus

    ret = models.ForeignKey(
        Return,
        verbose_name=_("return"),
        on_delete=models.CASCADE,
        related_name="exchange_reservations",
    )
    line = models.ForeignKey(
        ReturnLine,
        verbose_name=_("return line"),
        on_delete=models.CASCADE,
        related_name="exchange_reservations",
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReservationStatus.choices, default="held"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("exchange reservation")
        verbose_name_plural = _("exchange reservations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="exchange_reservation_quantity_min_1"
            ),
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(status="held"),
                name="exchange_reservation_one_held_per_line",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.variant_id} ({self.status})"

    def stock_key(self, step: str) -> str:
        """The ledger key of this reservation's `step` (take, release): each happens once."""
        return f"exchange-reservation:{self.pk}:{step}"
