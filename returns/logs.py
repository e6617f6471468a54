"""One log line per change of a return, written where every change already leaves its trace: the
timeline event (ReturnEvent), whichever service wrote it (returns' services, refunds' writes,
the outbox's resend). A post_save receiver, connected in returns/apps.py, so no call site has
to remember it; the line is written once the transaction commits (a change rolled back is not
logged). The request's id comes from the context (config/middleware.py)."""

import structlog
from django.db import transaction

from returns.events import TEXT
from returns.models import Return, ReturnEvent

logger = structlog.get_logger("returns.changes")


def log_return_event(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    # The rows' own columns, no personal data; the return is at hand for every service but the
    # outbox's resend, which names it by id (one query then, after the commit).
    fields = {
        "kind": instance.kind,
        "actor": instance.actor_id,
        "from_status": instance.from_status or None,
        "to_status": instance.to_status or None,
        "return_event": instance.pk,
    }
    # The event's message code names it; a status change typed as free text by its new status.
    code = instance.code
    if code == TEXT and instance.to_status:
        code = f"status.{instance.to_status}"
    ret = instance.ret if ReturnEvent.ret.is_cached(instance) else None
    ret_id = instance.ret_id

    def write():
        if ret is not None:
            rma, order = ret.rma_number, ret.order_id
        else:
            rma, order = Return.objects.values_list("rma_number", "order_id").get(pk=ret_id)
        logger.info(code, rma=rma, order=order, **fields)

    transaction.on_commit(write)
