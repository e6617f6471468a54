"""Editing what staff own on a return (its action, the staff note, the return fee, the item sent
in exchange), the "Save" of the return's page. The status never changes here: the transitions
do that."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext

from refunds.money import money_for_return
from returns import policy
from returns.errors import ReturnError, ReturnPermissionError
from returns.events import RETURN_UPDATED, money_param, names_param, part
from returns.locks import lock_order, lock_return
from returns.models import Return, ReturnAction, ReturnEvent, ReturnLine
from returns.selectors.exchanges import exchange_settled
from returns.services._common import check_action, record_event
from returns.services.exchanges import move_reservations
from shop.models import User, Variant
from shop.money import quantize

EXCHANGE_ITEM_PERMISSION = "returns.change_return"


def return_update(
    *,
    actor: User | None,
    ret: Return,
    action: ReturnAction | None = None,
    staff_note: str | None = None,
    return_fee: Decimal | str | None = None,
    expected_status: str | None = None,
) -> Return:
    """Change the return's action, staff note or fee (None leaves a field as it is).

    `expected_status` is the status the person's page showed: a return changed meanwhile is
    refused (StaleReturnError). Nothing that did not change is written; what did is told on the
    timeline by one internal event. The fee is fixed once the return is final.
    """
    if actor is None or not actor.has_perm("returns.change_return"):
        raise ReturnPermissionError(gettext("You are not allowed to change returns."))
    with transaction.atomic():
        locked = lock_return(ret.pk, expected_status=expected_status)
        changes, fields = [], []
        if action is not None and action.pk != locked.action_id:
            check_action(action)
            before = names_param(locked.action) if locked.action_id else "-"
            changes.append(part("return.action_changed", before=before, after=names_param(action)))
            locked.action = action
            fields.append("action")
        if staff_note is not None and staff_note.strip() != locked.staff_note:
            locked.staff_note = staff_note.strip()
            changes.append(part("return.staff_note_changed", note=locked.staff_note or "-"))
            fields.append("staff_note")
        if return_fee is not None:
            fee = _check_fee(return_fee, locked)
            if fee != locked.return_fee:
                currency = locked.order.currency
                changes.append(
                    part(
                        "return.fee_changed",
                        before=money_param(locked.return_fee, currency),
                        after=money_param(fee, currency),
                    )
                )
                locked.return_fee = fee
                # A fee typed by staff is one fee of theirs (Return.fee_lines).
                locked.fees = []
                fields.extend(["return_fee", "fees"])
        if fields:
            locked.save(update_fields=fields)
            record_event(
                locked,
                kind=ReturnEvent.Kind.NOTE,
                actor=actor,
                code=RETURN_UPDATED,
                params={"then": changes},
                visible_to_customer=False,
            )
    return locked


def _check_fee(value: object, ret: Return) -> Decimal:
    currency = ret.order.currency
    try:
        if isinstance(value, float):
            raise TypeError
        fee = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, TypeError, ValueError):
        raise ReturnError(gettext("Type the return fee as a number, e.g. 5.00.")) from None
    if not fee.is_finite() or fee < 0:
        raise ReturnError(gettext("The return fee cannot be negative."))
    fee = quantize(fee, currency)
    if fee != ret.return_fee and ret.is_final:
        raise ReturnError(
            gettext("The return fee of a %(status)s return can no longer change.")
            % {"status": ret.get_status_display()}
        )
    if fee != ret.return_fee:
        # Read under the return's lock: refund_create locks it too, so none slips in meanwhile.
        refusal = policy.fee_change_refusal(ret, money_for_return(ret))
        if refusal is not None:
            raise ReturnError(refusal.message)
    return fee


def return_change_exchange_item(
    *,
    actor: User | None,
    ret: Return,
    variant: Variant | None = None,
    line: ReturnLine | None = None,
    items: Mapping[int, Variant] | None = None,
    expected_status: str | None = None,
) -> Return:
    """Staff change the item an exchange sends the customer for `line` (they asked for another
    size on the phone, the one chosen ran out; without `line`: for every line of `variant`'s
    product; or `items`, by return line id, for several lines at once, the Save of the return's
    page), while the exchange is not settled: once a refund or an exchange due records its
    price difference, or the replacement has shipped, it is refused
    (returns.policy.exchange_item_change_refusal). The item is another size or colour of the
    line's product (returns.policy.exchange_refusal). The lines' reservations move, every
    variant in id order; one internal event on the timeline.

    Under the order's lock, as exchange_settle takes it: a settlement and a change at once are
    one after the other, and the later one sees the earlier.
    """
    if actor is None or not actor.has_perm(EXCHANGE_ITEM_PERMISSION):
        raise ReturnPermissionError(gettext("You are not allowed to change returns."))
    with transaction.atomic():
        lock_order(ret.order_id)
        locked = lock_return(ret.pk, expected_status=expected_status)
        refusal = policy.exchange_item_change_refusal(
            locked, settled=lambda: exchange_settled(locked)
        )
        lines = list(
            locked.lines.select_related("order_line__variant", "exchange_variant__product")
        )
        wanted = _wanted_items(lines, variant=variant, line=line, items=items)
        if refusal is None and not wanted:
            refusal = policy.Refusal(
                policy.RefusalCode.EXCHANGE_OTHER_PRODUCT,
                gettext("An exchange is for another size or colour of the same product."),
            )
        for candidate, item in wanted:
            if refusal is None:
                refusal = policy.exchange_refusal(
                    item,
                    refund_mode=locked.refund_mode,
                    product_id=candidate.order_line.variant.product_id,
                    units=candidate.quantity,
                    by_staff=True,
                )
        if refusal is not None:
            raise ReturnError(refusal.message)
        changed, moved = [], []
        for candidate, item in wanted:
            if item.pk == candidate.exchange_variant_id:
                continue
            before = str(candidate.exchange_variant) if candidate.exchange_variant else "-"
            candidate.exchange_variant = item
            candidate.save(update_fields=["exchange_variant"])
            candidate.ret = locked
            moved.append((candidate, item))
            changed.append(part("return.exchange_item_changed", before=before, after=str(item)))
        move_reservations(moved, actor=actor)
        if changed:
            record_event(
                locked,
                kind=ReturnEvent.Kind.NOTE,
                actor=actor,
                code=RETURN_UPDATED,
                params={"then": changed},
                visible_to_customer=False,
            )
    return locked


def _wanted_items(
    lines: list[ReturnLine],
    *,
    variant: Variant | None,
    line: ReturnLine | None,
    items: Mapping[int, Variant] | None,
) -> list[tuple[ReturnLine, Variant]]:
    """The return's lines to change, each with its new item (none: a line not of the return)."""
    if items is not None:
        return [(candidate, items[candidate.pk]) for candidate in lines if candidate.pk in items]
    if variant is None:
        return []
    if line is not None:
        return [(candidate, variant) for candidate in lines if candidate.pk == line.pk]
    return [
        (candidate, variant)
        for candidate in lines
        if candidate.order_line.variant.product_id == variant.product_id
    ]
