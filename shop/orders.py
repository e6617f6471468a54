"""What may still change on an order once it has returns or refunds.

A return's quantities, its quote and every refund were computed from the order's money, lines
and customer; changing them afterwards would rewrite that history (a refund larger than what was
paid, more returned than ordered, another customer able to open the return). So an order with
any return or refund keeps them; every surface that changes an order (the import, the API to
come) asks `order_change_refusals` before writing.

The shop app may not import the returns or refunds apps: their rows are counted through the
reverse relations on Order (`returns`, `refunds`), which need no import.
"""

from datetime import datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.models import Order, OrderLine
from shop.money import minor_unit

# Changing any of these would change what the returns and refunds of the order were built on.
FROZEN_FIELDS = (
    "currency",
    "amount_paid",
    "shipping_cost",
    "discount",
    "email",
    "placed_at",
    "shipping_country",
    "shipping_postcode",
    "shipping_address",
)
# May be filled in once, never changed: the delivery starts the return window.
SET_ONCE_FIELDS = ("delivered_at", "outbound_tracking_number")
# The parcel may still be reported further along its way, never back or cancelled.
STATUS_STEPS = (Order.Status.PLACED, Order.Status.SHIPPED, Order.Status.DELIVERED)


def has_returns_or_refunds(order: Order) -> bool:
    return order.returns.exists() or order.refunds.exists()


def order_change_refusals(
    order: Order,
    values: dict[str, object],
    customer_email: str,
    lines: dict[str, tuple[int, Decimal]],
) -> list[str]:
    """Why the order may not take these new values, one translated message per field; empty
    when it may (an order without returns or refunds may take any).

    `values` are the order's new field values by name, `customer_email` the email of its
    customer, `lines` the new lines as {SKU: (quantity, unit price paid)}.
    """
    if not has_returns_or_refunds(order):
        return []
    refusals = [
        _field_refusal(order, name, getattr(order, name), values[name])
        for name in FROZEN_FIELDS
        if name in values and values[name] != getattr(order, name)
    ]
    refusals += [
        _field_refusal(order, name, getattr(order, name), values[name])
        for name in SET_ONCE_FIELDS
        if name in values and getattr(order, name) and values[name] != getattr(order, name)
    ]
    if "status" in values and not _status_may_become(order.status, str(values["status"])):
        refusals.append(_field_refusal(order, "status", order.status, values["status"]))
    if customer_email.lower() != order.customer.email.lower():
        refusals.append(
            _field_refusal(order, "customer", order.customer.email, customer_email.lower())
        )
    return refusals + _line_refusals(order, lines)


def _status_may_become(current: str, new: str) -> bool:
    if new == current:
        return True
    if current not in STATUS_STEPS or new not in STATUS_STEPS:
        return False
    return STATUS_STEPS.index(new) > STATUS_STEPS.index(current)


def _line_refusals(order: Order, lines: dict[str, tuple[int, Decimal]]) -> list[str]:
    refusals = []
    existing = {line.variant.sku: line for line in order.lines.select_related("variant")}
    for sku, line in existing.items():
        if sku not in lines:
            refusals.append(
                _("order %(number)s has returns or refunds: its line %(sku)s cannot be removed")
                % {"number": order.number, "sku": sku}
            )
            continue
        quantity, unit_price_paid = lines[sku]
        for name, before, after in (
            ("quantity", line.quantity, quantity),
            ("unit_price_paid", line.unit_price_paid, unit_price_paid),
        ):
            if before != after:
                refusals.append(_line_refusal(order, sku, name, before, after))
    refusals += [
        _("order %(number)s has returns or refunds: a line %(sku)s cannot be added")
        % {"number": order.number, "sku": sku}
        for sku in lines
        if sku not in existing
    ]
    return refusals


def _field_refusal(order: Order, name: str, before: object, after: object) -> str:
    return _(
        "order %(number)s has returns or refunds: its %(field)s cannot change "
        "(%(before)s -> %(after)s)"
    ) % {
        "number": order.number,
        "field": _label(Order, name),
        "before": _shown(before, order.currency),
        "after": _shown(after, order.currency),
    }


def _line_refusal(order: Order, sku: str, name: str, before: object, after: object) -> str:
    return _(
        "order %(number)s has returns or refunds: its line %(sku)s cannot change its "
        "%(field)s (%(before)s -> %(after)s)"
    ) % {
        "number": order.number,
        "sku": sku,
        "field": _label(OrderLine, name),
        "before": _shown(before, order.currency),
        "after": _shown(after, order.currency),
    }


def _label(model: type[models.Model], name: str) -> str:
    """The field's name as staff read it, e.g. "amount paid"."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # a field of the model, never a reverse relation
    return str(field.verbose_name)


def _shown(value: object, currency: str) -> str:
    """A value as a person reads it in a message: amounts with the currency's decimals."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return str(value.quantize(minor_unit(currency)))
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)
