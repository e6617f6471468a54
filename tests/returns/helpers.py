"""Helpers of the returns tests: building returns through the services, and a snapshot of
everything a refused service must leave untouched."""

import uuid

from django.contrib.auth.models import Permission

from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import (
    ReturnLineInput,
    return_create,
    return_mark_in_transit,
    return_receive,
    return_request,
)
from shop.models import Order, StockMovement, User, Variant

ALL_RETURN_PERMS = [
    "add_return",
    "change_return",
    "view_return",
    "approve_return",
    "receive_return",
    "cancel_return",
    "complete_return",
    "expire_return",
    "override_return_rules",
]


def grant(user, *codenames) -> User:
    permissions = Permission.objects.filter(
        content_type__app_label="returns", codename__in=codenames
    )
    assert permissions.count() == len(codenames)
    user.user_permissions.add(*permissions)
    return User.objects.get(pk=user.pk)  # a fresh instance: Django caches permissions


def lines_of(order: Order):
    return list(order.lines.order_by("id"))


def line_inputs(order: Order, *quantities, reason="wrong-size", exchange_variant=None, **extra):
    """One ReturnLineInput per order line (in id order) with the quantities given; 0 skips it.

    exchange_variant: the item every line wants in exchange (one Variant), or by order line id
    (a dict), or one per order line in id order (a list, None for none)."""
    lines = lines_of(order)
    if isinstance(exchange_variant, dict):
        wanted = exchange_variant
    elif isinstance(exchange_variant, list | tuple):
        wanted = {line.pk: v for line, v in zip(lines, exchange_variant, strict=False)}
    else:
        wanted = {line.pk: exchange_variant for line in lines}
    return [
        ReturnLineInput(
            order_line_id=line.pk,
            quantity=quantity,
            reason_code=reason,
            exchange_variant=wanted.get(line.pk),
            **extra,
        )
        for line, quantity in zip(lines, quantities, strict=False)
        if quantity
    ]


def request(
    order: Order,
    *quantities,
    reason="wrong-size",
    refund_mode="money_back",
    delivery_option="label",
    **extra,
) -> Return:
    """A return the order's customer requests from the portal (a new form: a new key)."""
    extra.setdefault("idempotency_key", uuid.uuid4().hex)
    return return_request(
        actor=order.customer.user,
        order=order,
        lines=line_inputs(
            order, *quantities, reason=reason, exchange_variant=extra.pop("exchange_variant", None)
        ),
        refund_mode=refund_mode,
        delivery_option=delivery_option,
        **extra,
    )


def create(
    staff,
    order: Order,
    *quantities,
    reason="wrong-size",
    refund_mode="money_back",
    delivery_option="label",
    **extra,
) -> Return:
    extra.setdefault("idempotency_key", uuid.uuid4().hex)
    return return_create(
        actor=staff,
        order=order,
        lines=line_inputs(
            order, *quantities, reason=reason, exchange_variant=extra.pop("exchange_variant", None)
        ),
        refund_mode=refund_mode,
        delivery_option=delivery_option,
        **extra,
    )


def return_in(status: str, staff, order: Order, *quantities, **extra) -> Return:
    """A return of `order` brought to `status` through the services."""
    quantities = quantities or (1,)
    if status == ReturnStatus.REQUESTED:
        return create(staff, order, *quantities, **extra)
    ret = create(staff, order, *quantities, start_status=ReturnStatus.APPROVED, **extra)
    if status == ReturnStatus.APPROVED:
        return ret
    if status == ReturnStatus.IN_TRANSIT:
        return return_mark_in_transit(actor=staff, ret=ret)
    if status == ReturnStatus.RECEIVED:
        return return_receive(actor=staff, ret=ret)
    raise ValueError(status)


def snapshot(ret: Return) -> dict:
    """What a refused service or page must not change: the return, its lines, events and
    refunds, the stock and its ledger, the orders."""
    fresh = Return.objects.get(pk=ret.pk)
    variant_ids = fresh.order.lines.values_list("variant_id", flat=True)
    return {
        "status": fresh.status,
        "status_changed_at": fresh.status_changed_at,
        "action": fresh.action_id,
        "staff_note": fresh.staff_note,
        "return_fee": fresh.return_fee,
        "rejection_reason": fresh.rejection_reason,
        "replacement_order": fresh.replacement_order_id,
        "events": list(ReturnEvent.objects.filter(ret=fresh).values_list("id", flat=True)),
        "lines": list(
            fresh.lines.order_by("id").values_list("quantity", "restock", "received_quantity")
        ),
        "refunds": list(fresh.refunds.values_list("id", "status")),
        "stock": dict(Variant.objects.values_list("sku", "stock_on_hand")),
        "movements": StockMovement.objects.count(),
        "orders": Order.objects.count(),
        "variants": sorted(variant_ids),
    }


def status_history(ret: Return) -> list[tuple[str, str]]:
    return list(
        ReturnEvent.objects.filter(ret=ret, kind=ReturnEvent.Kind.STATUS)
        .order_by("created_at", "id")
        .values_list("from_status", "to_status")
    )
