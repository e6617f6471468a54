"""Helpers for the refunds tests: returns made through the return services, as staff make them."""

from decimal import Decimal

from django.contrib.auth.models import Permission

from returns.models import Return, ReturnStatus
from returns.services import return_receive
from tests.factories import ReturnReasonFactory, StaffFactory, make_order, superuser
from tests.returns.helpers import create, lines_of


def refunds_manager(*, can_complete_returns: bool = True, extra: tuple[str, ...] = ()):
    """Staff holding the refund permission (and, by default, the one to complete returns)."""
    user = StaffFactory()
    codenames = ["manage_refund", *extra] + (["complete_return"] if can_complete_returns else [])
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return type(user).objects.get(pk=user.pk)  # a fresh instance: no stale permission cache


def received_return(
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
    ret = create(
        actor,
        order,
        *quantities,
        reason=reason.code,
        refund_mode=mode,
        start_status=ReturnStatus.APPROVED,
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
            for order_line, count in zip(lines_of(order), received, strict=True)
            if order_line.id in by_order_line
        }
    return return_receive(actor=actor, ret=ret, received=counts)


def worked_example(**return_kwargs):
    """19.99 + 12.74 + original shipping 6.00 - return fee 5.00 = 33.73 EUR, received."""
    order = make_order([(1, "19.99"), (1, "12.74")], shipping="6.00")
    return received_return(order, [1, 1], fee="5.00", **return_kwargs)


def goodwill_parts(staff, ret: Return, count: int = 3, paid: int = 1) -> list:
    """`count` partial refunds of 1.00 on `ret` (received), the first `paid` of them marked
    refunded: a return whose page lists refunds in both states."""
    from refunds.services import refund_create, refund_mark_refunded

    refunds = [
        refund_create(
            actor=staff,
            ret=Return.objects.get(pk=ret.pk),
            idempotency_key=f"part-{n}",
            amount="1.00",
            reason="A goodwill part",
        )
        for n in range(count)
    ]
    for refund in refunds[:paid]:
        refund_mark_refunded(actor=staff, refund=refund, reference=f"PSP-{refund.pk}")
    return refunds
