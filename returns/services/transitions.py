"""Moving a return through its statuses. One function per use case; each one, in a single
transaction: re-reads the return locked, refuses when it is stale (`expected_status`, the status
the person's page showed, is no longer the return's), when the transition cannot run from its
status or when the actor lacks its permission, then changes it, writes the ReturnEvent and queues
the customer's email. Locks are taken in the order of returns/locks.py."""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from refunds.money import money_for_return, unsettled_reason
from returns import policy
from returns.errors import ReturnError, ReturnPermissionError
from returns.events import TEXT, money_param
from returns.locks import lock_order, lock_return
from returns.models import Return, ReturnAction, ReturnEvent, ReturnLine
from returns.services._common import (
    check_action,
    record_event,
    record_status_event,
    require_transition,
    save_transition,
    tell_customer,
)
from returns.services.rules import approval_label, closing_label
from shop.models import Order, OrderLine, StockMovement, User
from shop.money import quantize
from shop.services import StockError, stock_move


def _run(
    ret: Return,
    name: str,
    *,
    actor: User | None,
    note: str,
    notify: bool | None,
    expected_status: str | None,
    notice: str | None = None,
    system_may: bool = False,
    allowed: Callable[[Return, User | None], bool] | None = None,
    order_first: bool = False,
    before: Callable[[Return], None] | None = None,
    after: Callable[[Return, ReturnEvent], None] | None = None,
    fields: tuple[str, ...] = (),
    event_code: str = TEXT,
    event_params: dict[str, Any] | None = None,
) -> Return:
    """The shape every status change shares; `before(locked)` does its own work first and may
    change the `fields` named. `order_first`: that work touches the order (its money or
    quantities), so the order is locked before the return. `event_code` and
    `event_params` name the message the status event shows before the typed `note`
    (returns/events.py). `notice`: the email, when not the change's own
    (returns.notify.status_change_email, which tell_customer asks)."""
    with transaction.atomic():
        if order_first:
            lock_order(ret.order_id)
        locked = lock_return(ret.pk, expected_status=expected_status)
        require_transition(locked, name, actor, system_may=system_may, allowed=allowed)
        if before is not None:
            before(locked)
        from_status = locked.status
        getattr(locked, name)()
        save_transition(locked, *fields)
        event = record_status_event(
            locked,
            actor=actor,
            from_status=from_status,
            note=note.strip(),
            code=event_code,
            params=event_params,
        )
        if after is not None:  # its own work once the status changed (it tells the customer)
            after(locked, event)
        else:
            tell_customer(locked, code=notice, event=event, actor=actor, notify=notify)
    return locked


def return_approve(
    *,
    actor: User | None,
    ret: Return,
    action: ReturnAction | None = None,
    note: str = "",
    notify: bool | None = None,
    expected_status: str | None = None,
) -> Return:
    def choose_action(locked: Return) -> None:
        if action is not None:
            check_action(action)
            locked.action = action

    return _run(
        ret,
        "approve",
        after=approval_label(actor, notify),
        actor=actor,
        note=note,
        notify=notify,
        expected_status=expected_status,
        before=choose_action,
        fields=("action",),
    )


def return_reject(
    *,
    actor: User | None,
    ret: Return,
    reason: str,
    notify: bool | None = None,
    expected_status: str | None = None,
) -> Return:
    """Refuse a request, or a parcel after inspection; the customer is told the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ReturnError(
            gettext("Give the reason for rejecting the return: the customer will read it.")
        )
    with transaction.atomic():
        locked = lock_return(ret.pk, expected_status=expected_status)
        require_transition(locked, "reject", actor)
        _refuse_if_refunded(locked, "reject")
        from_status = locked.status
        locked.reject(reason)
        save_transition(locked, "rejection_reason")
        event = record_status_event(locked, actor=actor, from_status=from_status, note=reason)
        tell_customer(locked, event=event, actor=actor, notify=notify)
    return locked


def return_cancel(
    *,
    actor: User | None,
    ret: Return,
    note: str = "",
    notify: bool | None = None,
    guest_order_verified: bool = False,
    expected_status: str | None = None,
) -> Return:
    """The customer before the parcel ships, or staff with the permission.

    guest_order_verified: the portal checked that this session's guest knows the return's
    order; actor=None may then cancel it as its customer would (before it ships).
    """
    return _run(
        ret,
        "cancel",
        before=_unless_refunded("cancel", then=closing_label(actor)),
        actor=actor,
        note=note,
        notify=notify,
        expected_status=expected_status,
        allowed=_may_cancel(guest_order_verified),
    )


def _may_cancel(guest_order_verified: bool) -> Callable[[Return, User | None], bool]:
    """Who may cancel, asked of the policy on the locked row: staff with the permission, the
    customer who owns the return, or the guest who verified its order, before it ships."""

    def allowed(ret: Return, actor: User | None) -> bool:
        if actor is None:
            return guest_order_verified and policy.customer_may_cancel(ret)
        return policy.may_cancel(ret, actor)

    return allowed


def _refuse_if_refunded(locked: Return, transition: policy.Closing) -> None:
    """Refuse to close a return a refund was made for (returns.policy.closing_refusal). Read
    under the return's lock: refund_create locks it too, so no refund slips in meanwhile."""
    refusal = policy.closing_refusal(transition, locked, money_for_return(locked))
    if refusal is not None:
        raise ReturnError(refusal.message, code=refusal.code)


def _unless_refunded(
    transition: policy.Closing, *, then: Callable[[Return], object]
) -> Callable[[Return], None]:
    """The `before` step of a closing transition: refuse a refunded return, then `then`."""

    def before(locked: Return) -> None:
        _refuse_if_refunded(locked, transition)
        then(locked)

    return before


def return_mark_in_transit(
    *,
    actor: User | None,
    ret: Return,
    note: str = "",
    notify: bool | None = None,
    event_code: str = TEXT,
    event_params: dict[str, Any] | None = None,
    expected_status: str | None = None,
) -> Return:
    # The customer sent the parcel themselves: the change has no email (returns.notify).
    return _run(
        ret,
        "mark_in_transit",
        actor=actor,
        note=note,
        notify=notify,
        system_may=True,
        event_code=event_code,
        event_params=event_params,
        expected_status=expected_status,
    )


def return_receive(
    *,
    actor: User | None,
    ret: Return,
    received: dict[int, tuple[int, bool | None]] | None = None,
    note: str = "",
    notify: bool | None = None,
    event_code: str = TEXT,
    event_params: dict[str, Any] | None = None,
    expected_status: str | None = None,
) -> Return:
    """Record what came back per line and put back in stock the lines to restock.

    `received` maps a ReturnLine id to (quantity received, restock or None for the line's
    choice); lines it leaves out, or all lines when it is None, came back as requested.
    """
    with transaction.atomic():
        locked = lock_return(ret.pk, expected_status=expected_status)
        require_transition(locked, "receive", actor, system_may=True)
        lines = _record_received(locked, received or {})
        from_status = locked.status
        locked.receive()
        save_transition(locked)
        event = record_status_event(
            locked,
            actor=actor,
            from_status=from_status,
            note=note.strip(),
            code=event_code,
            params=event_params,
        )
        restock_lines(lines, actor=actor)
        _record_owed_back(locked)
        tell_customer(locked, event=event, actor=actor, notify=notify)
    return locked


def _record_owed_back(ret: Return) -> None:
    """Refunded before its parcel arrived, then received short: the timeline tells staff what
    the customer owes back (settled by refunds.services.repayment_record)."""
    owed = money_for_return(ret).owed_back
    if owed:
        record_event(
            ret,
            kind=ReturnEvent.Kind.REFUND,
            actor=None,
            code="refund.owed_back",
            params={"amount": money_param(owed, ret.order.currency)},
        )


def return_complete(
    *,
    actor: User | None,
    ret: Return,
    note: str = "",
    notify: bool | None = None,
    notification_event: str | None = None,
    event_code: str = TEXT,
    event_params: dict[str, Any] | None = None,
    expected_status: str | None = None,
) -> Return:
    """The refund, credit or exchange is settled. An exchange ships its replacement order.

    Refused while money is left to settle (refunds/money.py): marking the refund refunded (or
    the exchange difference paid) completes the return instead.
    """

    def settle(locked: Return) -> None:
        _require_settled(locked)
        _ship_exchange(locked, actor=actor)

    return _run(
        ret,
        "complete",
        actor=actor,
        note=note,
        notify=notify,
        notice=notification_event,
        expected_status=expected_status,
        system_may=True,
        # The replacement order is numbered and counted under the order's lock.
        order_first=True,
        before=settle,
        fields=("replacement_order",),
        event_code=event_code,
        event_params=event_params,
    )


def _require_settled(ret: Return) -> None:
    reason = unsettled_reason(money_for_return(ret))
    if reason:
        raise ReturnError(
            gettext("Return %(rma)s cannot be completed yet: %(reason)s")
            % {"rma": ret.rma_number, "reason": reason}
        )


def return_expire(
    *,
    actor: User | None,
    ret: Return,
    note: str = "",
    notify: bool | None = None,
    event_code: str = TEXT,
    event_params: dict[str, Any] | None = None,
    expected_status: str | None = None,
) -> Return:
    """An approved return never sent back in time (the sweep runs this as actor=None)."""
    return _run(
        ret,
        "expire",
        before=_unless_refunded("expire", then=closing_label(actor)),
        actor=actor,
        note=note,
        notify=notify,
        expected_status=expected_status,
        system_may=True,
        event_code=event_code,
        event_params=event_params,
    )


def return_add_note(
    *, actor: User | None, ret: Return, note: str, expected_status: str | None = None
) -> ReturnEvent:
    """An internal note on the return's timeline, for staff only."""
    if actor is None or not actor.has_perm("returns.change_return"):
        raise ReturnPermissionError(gettext("You are not allowed to add notes to returns."))
    note = (note or "").strip()
    if not note:
        raise ReturnError(gettext("The note is empty."))
    with transaction.atomic():
        locked = lock_return(ret.pk, expected_status=expected_status)
        return record_event(
            locked, kind=ReturnEvent.Kind.NOTE, actor=actor, note=note, visible_to_customer=False
        )


# --- receiving -------------------------------------------------------------------------------


def _record_received(ret: Return, received: dict[int, tuple[int, bool | None]]) -> list[ReturnLine]:
    lines = list(ret.lines.select_related("order_line__variant"))
    unknown = set(received) - {line.pk for line in lines}
    if unknown:
        raise ReturnError(
            gettext("Return %(rma)s has no line %(line)s.")
            % {"rma": ret.rma_number, "line": sorted(unknown)[0]}
        )
    for line in lines:
        quantity, restock = received.get(line.pk, (line.quantity, None))
        if (
            not isinstance(quantity, int)
            or isinstance(quantity, bool)
            or not 0 <= quantity <= line.quantity
        ):
            raise ReturnError(
                gettext("The quantity received of “%(item)s” must be between 0 and %(count)d.")
                % {"item": line.order_line.variant, "count": line.quantity}
            )
        line.received_quantity = quantity
        if restock is not None:
            line.restock = bool(restock)
        if line.order_line.variant.stock_managed_by_pos:
            line.restock = False  # the point of sale owns that stock
        line.save(update_fields=["received_quantity", "restock"])
    return lines


def restock_lines(lines: list[ReturnLine], *, actor: User | None) -> None:
    """Put back in stock the lines to restock, in variant id order: a transaction moving the
    stock of several variants moves them in that order (returns/locks.py, rank 7)."""
    for line in sorted(lines, key=lambda line: (line.order_line.variant_id, line.pk)):
        _restock(line, actor=actor)


def _restock(line: ReturnLine, *, actor: User | None) -> StockMovement | None:
    variant = line.order_line.variant
    if not line.restock or not line.received_quantity or variant.stock_managed_by_pos:
        return None
    # The key makes the ledger refuse a second restock of this line, whatever calls it.
    return stock_move(
        variant=variant,
        quantity=line.received_quantity,
        kind=StockMovement.Kind.RETURN,
        actor=actor,
        note=f"{line.ret.rma_number}",
        key=line.restock_key,
    )


# --- exchanges -------------------------------------------------------------------------------


def _ship_exchange(ret: Return, *, actor: User | None) -> None:
    """Create the replacement order of an exchange and take its stock (price differences are
    the refunds app's business)."""
    variant = ret.exchange_variant
    if not ret.is_exchange_for_item or variant is None:  # None: for the type checker
        return
    quantity = sum(line.received_quantity or 0 for line in ret.lines.all())
    if quantity == 0 or ret.replacement_order_id is not None:
        return
    order = ret.order  # locked by return_complete before the return
    replacement = Order.objects.create(
        number=_replacement_number(order),
        customer=order.customer,
        email=order.email,
        status=Order.Status.PLACED,
        shipping_country=order.shipping_country,
        shipping_postcode=order.shipping_postcode,
        currency=order.currency,
        shipping_cost=0,
        discount=0,
        amount_paid=0,
    )
    OrderLine.objects.create(
        order=replacement,
        variant=variant,
        quantity=quantity,
        unit_price_paid=quantize(variant.price, order.currency),
    )
    ret.replacement_order = replacement
    if variant.stock_managed_by_pos:
        return  # the point of sale owns that stock
    try:
        stock_move(
            variant=variant,
            quantity=-quantity,
            kind=StockMovement.Kind.EXCHANGE,
            actor=actor,
            note=ret.rma_number,
            key=f"return:{ret.pk}:exchange",
        )
    except StockError as exc:
        raise ReturnError(
            gettext("Not enough stock of “%(item)s” to send %(count)d in exchange.")
            % {"item": variant, "count": quantity}
        ) from exc


def _replacement_number(order: Order) -> str:
    n = Return.objects.filter(order=order, replacement_order__isnull=False).count() + 1
    while Order.objects.filter(number=f"{order.number}-X{n}").exists():
        n += 1
    return f"{order.number}-X{n}"
