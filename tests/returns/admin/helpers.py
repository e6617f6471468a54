"""Helpers of the back-office tests: staff by role, returns made through the services, and what a
page says."""

from django.urls import reverse

from returns.models import Return, ReturnEvent, ReturnStatus
from shop.models import StockMovement, Variant
from tests.factories import superuser
from tests.returns.helpers import return_in


def make_return(
    order, *quantities, status=ReturnStatus.REQUESTED, reason="wrong-size", actor=None, **extra
) -> Return:
    """A return of `order` (one quantity per order line, in id order; 0 skips the line) brought
    to `status` through the services, handed in at the shop unless `delivery_option` says."""
    extra.setdefault("delivery_option", Return.DeliveryOption.IN_STORE)
    return return_in(status, actor or superuser(), order, *quantities, reason=reason, **extra)


def page_url(ret: Return) -> str:
    return reverse("admin:returns_return_change", args=[ret.pk])


def snapshot(ret: Return) -> dict:
    """What a refused request must leave as it was."""
    fresh = Return.objects.get(pk=ret.pk)
    return {
        "status": fresh.status,
        "action": fresh.action_id,
        "staff_note": fresh.staff_note,
        "return_fee": fresh.return_fee,
        "rejection_reason": fresh.rejection_reason,
        "events": list(ReturnEvent.objects.filter(ret=fresh).values_list("id", flat=True)),
        "lines": list(fresh.lines.order_by("id").values_list("received_quantity", "restock")),
        "stock": dict(Variant.objects.values_list("sku", "stock_on_hand")),
        "movements": StockMovement.objects.count(),
        "refunds": list(fresh.refunds.values_list("id", "status")),
    }
