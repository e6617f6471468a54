"""Keeping the item: a return rule lets the customer keep what they return (a cheap item, a
reason, a product), so nothing is sent back.

The rule's verdict is frozen on the return at creation (`Return.keep_item`, its lines never
restocked). Once approved, such a return has nothing to wait for: it counts as received at
once, every line in full, none restocked, with no label asked of the carrier, and the timeline
says the items are kept. The refund, credit or exchange then settles as for any received
return. Called inside the approval's transaction, the return locked.
"""

from django.db.models import F

from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services._common import record_status_event, save_transition

KEPT = "return.kept"


def keep_items(ret: Return) -> ReturnEvent:
    """The approved `ret`, whose items the customer keeps, received as it stands."""
    assert ret.keep_item, "only a return whose items are kept"
    assert ret.status == ReturnStatus.APPROVED, "received once approved"
    ret.lines.update(received_quantity=F("quantity"), restock=False)
    from_status = ret.status
    ret.receive()
    save_transition(ret)
    return record_status_event(ret, actor=None, from_status=from_status, code=KEPT)
