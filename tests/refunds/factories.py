"""Helpers for the refunds tests: returns made through the return services, as staff make them."""

from decimal import Decimal

from django.contrib.auth.models import Permission

from returns.models import Return
from returns.services import ReturnLineInput, return_create, return_receive
from tests.factories import ReturnReasonFactory, StaffFactory, UserFactory


def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


def refunds_manager(*, can_complete_returns: bool = True, extra: tuple[str, ...] = ()):
    """Staff holding the refund permission (and, by default, the one to complete returns)."""
    user = StaffFactory()
    codenames = ["manage_refund", *extra] + (["complete_return"] if can_complete_returns else [])
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return type(user).objects.get(pk=user.pk)  # a fresh instance: no stale permission cache


def make_return(
    order,
    quantities,
    *,
    fee="0.00",
    mode=Return.RefundMode.MONEY_BACK,
    received=None,
    exchange_variant=None,
    actor=None,
):
    """A return of `order` created approved by staff, then received unless received=False.

    `quantities` is a list of quantities, one per order line (in id order; 0 = not returned);
    `received` a list of received quantities in the same shape (None = as requested).
    """
    actor = actor or superuser()
    # Seeded by a data migration, but flushed after a transaction=True test: make sure of it.
    reason = ReturnReasonFactory(code="changed-mind")
    order_lines = list(order.lines.order_by("id"))
    inputs = [
        ReturnLineInput(order_line_id=line.id, quantity=quantity, reason_code=reason.code)
        for line, quantity in zip(order_lines, quantities, strict=True)
        if quantity
    ]
    ret = return_create(
        actor=actor,
        order=order,
        lines=inputs,
        refund_mode=mode,
        delivery_option=Return.DeliveryOption.LABEL,
        start_status="approved",
        return_fee=Decimal(fee),
        exchange_variant=exchange_variant,
    )
    if received is False:
        return ret
    by_order_line = {line.order_line_id: line for line in ret.lines.all()}
    counts = None
    if received is not None:
        counts = {
            by_order_line[order_line.id].id: (count, None)
            for order_line, count in zip(order_lines, received, strict=True)
            if order_line.id in by_order_line
        }
    return return_receive(actor=actor, ret=ret, received=counts)
