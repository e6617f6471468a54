"""A parcel the carrier delivered, waiting for its inspection.

A return received from a carrier's delivery scan (when the shop wants parcels inspected) is
RECEIVED with its lines' received quantities still unknown (NULL): that is "received, pending
inspection". Nothing is restocked yet. Staff then inspect it (return_inspect): the quantities
that really came back are recorded and restocked, once.

Keeping the status RECEIVED (rather than adding one) keeps the status machine, its tests, the
refund rules and the portal's progress as they are; the pending part is told by the lines.
"""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from returns.errors import ReturnError, ReturnPermissionError
from returns.events import TEXT, part
from returns.locks import lock_return
from returns.models import Return, ReturnEvent
from returns.selectors import is_pending_inspection
from returns.services._common import (
    record_event,
    record_status_event,
    require_transition,
    save_transition,
    tell_customer,
)
from returns.services.transitions import _record_owed_back, _record_received, restock_lines
from shop.models import User


def return_receive_for_inspection(
    *,
    ret: Return,
    note: str = "",
    notify: bool | None = None,
    event_code: str = TEXT,
    event_params: dict[str, Any] | None = None,
    expected_status: str | None = None,
) -> Return:
    """The system (a carrier's delivery scan) receives the parcel unopened: RECEIVED, the
    quantities left unknown until inspection, nothing restocked. The status event says so, then
    the message `event_code` (the scan, returns/events.py)."""
    with transaction.atomic():
        locked = lock_return(ret.pk, expected_status=expected_status)
        require_transition(locked, "receive", None, system_may=True)
        from_status = locked.status
        locked.receive()
        save_transition(locked)
        awaiting = part("inspection.awaiting")
        if event_code == TEXT:
            code, params = awaiting["code"], {}
        else:
            code, params = event_code, {**(event_params or {}), "then": [awaiting]}
        event = record_status_event(
            locked, actor=None, from_status=from_status, note=note.strip(), code=code, params=params
        )
        tell_customer(locked, event=event, actor=None, notify=notify)
    return locked


def return_inspect(
    *,
    actor: User | None,
    ret: Return,
    received: dict[int, tuple[int, bool | None]] | None = None,
    note: str = "",
    expected_status: str | None = None,
) -> Return:
    """Staff open a parcel received unopened: record what came back per line (as
    return_receive: ReturnLine id -> (quantity, restock or None); lines left out came back as
    requested) and restock it, once."""
    if actor is None or not actor.has_perm("returns.receive_return"):
        raise ReturnPermissionError(gettext("You are not allowed to receive this return."))
    with transaction.atomic():
        locked = lock_return(ret.pk, expected_status=expected_status)
        if not is_pending_inspection(locked):
            raise ReturnError(
                gettext("Return %(rma)s is not waiting for an inspection.")
                % {"rma": locked.rma_number}
            )
        lines = _record_received(locked, received or {})
        restock_lines(lines, actor=actor)
        _record_owed_back(locked)
        summary = ", ".join(
            f"{line.received_quantity}/{line.quantity} {line.order_line.variant}" for line in lines
        )
        record_event(
            locked,
            kind=ReturnEvent.Kind.NOTE,
            actor=actor,
            visible_to_customer=False,
            code="inspection.done",
            params={"summary": summary},
            note=note.strip(),
        )
    return locked
