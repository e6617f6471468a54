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
from returns.services.exchanges import (
    lock_replacement_customer,
    on_approval,
    release_replacement,
    ship_replacement,
)
from returns.services.rules import approval_label, closing_label
from shop.models import StockMovement, User
from shop.services import stock_move


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

    tell = approval_label(actor, notify)

    def hold_then_tell(locked: Return, event: ReturnEvent) -> None:
        on_approval(locked, actor=actor)  # an exchange's units held (or shipped at once)
        tell(locked, event)

    return _run(
        ret,
        "approve",
        after=hold_then_tell,
        actor=actor,
        note=note,
        notify=notify,
        expected_status=expected_status,
        before=choose_action,
        fields=("action",),
        # An instant exchange numbers its replacement order under the order's lock.
        order_first=ret.is_exchange_for_item,
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
        release_replacement(locked, actor=actor)
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
        before=_unless_refunded("cancel", then=_closing(actor)),
        actor=actor,
        note=note,
        notify=notify,
        expected_status=expected_status,
        allowed=_may_cancel(guest_order_verified),
    )


def _closing(actor: User | None) -> Callable[[Return], None]:
    """A closing return's label is cancelled and the units its exchange held released."""
    cancel_label = closing_label(actor)

    def close(locked: Return) -> None:
        cancel_label(locked)
        release_replacement(locked, actor=actor)

    return close


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
        if ret.is_exchange_for_item:  # its replacement order is numbered under the order's lock
            lock_order(ret.order_id)
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
        lock_replacement_customer(locked)  # before the stock moves (returns/locks.py)
        restock_lines(lines, actor=actor)
        ship_replacement(locked, received=True, actor=actor)
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
        # Made at receipt; a return received before that ships it now.
        ship_replacement(locked, received=True, actor=actor)

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


def return_reopen(
    *, ret: Return, event_code: str, event_params: dict[str, Any], note: str = ""
) -> Return:
    """A completed return whose money is no longer settled goes back to received: a refund
    that completed it failed at its payment provider afterwards (refunds.services). The system
    does it, inside the caller's transaction (the order and the return locked first); staff
    then retry the refund, which completes it again. The customer is not emailed."""
    return _run(
        ret,
        "reopen",
        actor=None,
        note=note,
        notify=False,
        expected_status=None,
        system_may=True,
        order_first=True,
        after=lambda locked, event: None,
        event_code=event_code,
        event_params=event_params,
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
        before=_unless_refunded("expire", then=_closing(actor)),
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
