"""Editing what staff own on a return (its action, the staff note, the return fee), the "Save" of
the return's page. The status never changes here: the transitions do that."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext

from returns.errors import ReturnError, ReturnPermissionError
from returns.locks import lock_return
from returns.models import Return, ReturnAction, ReturnEvent
from returns.services._common import check_action, record_event
from shop.money import format_money, quantize


def return_update(
    *,
    actor,
    ret: Return,
    action: ReturnAction | None = None,
    staff_note: str | None = None,
    return_fee=None,
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
            before = locked.action.name if locked.action_id else "-"
            changes.append(
                gettext("Action: %(before)s → %(after)s") % {"before": before, "after": action.name}
            )
            locked.action = action
            fields.append("action")
        if staff_note is not None and staff_note.strip() != locked.staff_note:
            locked.staff_note = staff_note.strip()
            changes.append(gettext("Staff note: %(note)s") % {"note": locked.staff_note or "-"})
            fields.append("staff_note")
        if return_fee is not None:
            fee = _check_fee(return_fee, locked)
            if fee != locked.return_fee:
                changes.append(
                    gettext("Return fee: %(before)s → %(after)s")
                    % {
                        "before": format_money(locked.return_fee, locked.order.currency),
                        "after": format_money(fee, locked.order.currency),
                    }
                )
                locked.return_fee = fee
                fields.append("return_fee")
        if fields:
            locked.save(update_fields=fields)
            record_event(
                locked,
                kind=ReturnEvent.Kind.NOTE,
                actor=actor,
                note="\n".join(changes),
                visible_to_customer=False,
            )
    return locked


def _check_fee(value, ret: Return) -> Decimal:
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
    return fee
