"""Helpers of the back-office tests: returns made through the services, and what a page says."""

from django.contrib.messages import get_messages
from django.urls import reverse

from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import (
    ReturnLineInput,
    return_create,
    return_mark_in_transit,
    return_receive,
)
from shop.models import Order, StockMovement, Variant
from tests.factories import UserFactory


def superuser():
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Super")


def make_return(
    order: Order,
    *quantities,
    status=ReturnStatus.REQUESTED,
    reason="wrong-size",
    actor=None,
    **extra,
) -> Return:
    """A return of `order` (one quantity per order line, in id order; 0 skips the line) brought
    to `status` through the services."""
    actor = actor or superuser()
    quantities = quantities or (1,)
    lines = [
        ReturnLineInput(order_line_id=line.pk, quantity=quantity, reason_code=reason)
        for line, quantity in zip(order.lines.order_by("id"), quantities, strict=False)
        if quantity
    ]
    extra.setdefault("refund_mode", Return.RefundMode.MONEY_BACK)
    extra.setdefault("delivery_option", Return.DeliveryOption.IN_STORE)
    start = ReturnStatus.REQUESTED if status == ReturnStatus.REQUESTED else ReturnStatus.APPROVED
    ret = return_create(actor=actor, order=order, lines=lines, start_status=start, **extra)
    if status in (ReturnStatus.REQUESTED, ReturnStatus.APPROVED):
        return ret
    if status == ReturnStatus.IN_TRANSIT:
        return return_mark_in_transit(actor=actor, ret=ret)
    if status == ReturnStatus.RECEIVED:
        return return_receive(actor=actor, ret=ret)
    raise ValueError(status)


def page_url(ret: Return) -> str:
    return reverse("admin:returns_return_change", args=[ret.pk])


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def status_events(ret: Return) -> list[tuple[str, str]]:
    return list(
        ReturnEvent.objects.filter(ret=ret, kind=ReturnEvent.Kind.STATUS)
        .order_by("created_at", "id")
        .values_list("from_status", "to_status")
    )


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
