"""Keeping the item: a return rule lets the customer keep what they return (a cheap item, a
reason, a product), so nothing is sent back.

The rule's verdict is frozen on the return at creation (`Return.keep_item`, its lines never
restocked). Once approved, such a return has nothing to wait for: it counts as received at
once, every line in full, none restocked, with no label asked of the carrier, and the timeline
says the items are kept. The customer is emailed that they keep the items and how the return
is settled (the "kept" email, returns.notify.status_change_email), instead of the approval's.
The refund, credit or exchange then settles as for any received return. Called inside the
approval's transaction, the return locked.
"""

from django.db.models import F

from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services._common import record_status_event, save_transition, tell_customer
from shop.models import User

KEPT = "return.kept"


def keep_items(
    ret: Return, *, actor: User | None = None, notify: bool | None = None
) -> ReturnEvent:
    """The approved `ret`, whose items the customer keeps, received as it stands; the customer
    told (`notify`: staff's choice on approval, None the return's own)."""
    assert ret.keep_item, "only a return whose items are kept"
    assert ret.status == ReturnStatus.APPROVED, "received once approved"
    ret.lines.update(received_quantity=F("quantity"), restock=False)
    from_status = ret.status
    ret.receive()
    save_transition(ret)
    event = record_status_event(ret, actor=None, from_status=from_status, code=KEPT)
    tell_customer(ret, event=event, actor=actor, notify=notify)
    return event
