"""Automatic refunds: a return received (its quantities known) or inspected is refunded after
that change commits, when its mode's switch is on (refunds.services.automatic_refund_mode)."""

from functools import partial
from typing import Any

from django.db import transaction

from refunds.services import refund_automatically
from returns.models import ReturnEvent, ReturnStatus

# The events after which a return may have become received and inspected.
_RECEIPT_CODES = ("inspection.done",)


def refund_after_receipt(sender: Any, instance: ReturnEvent, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw"):
        return
    if instance.to_status != ReturnStatus.RECEIVED and instance.code not in _RECEIPT_CODES:
        return
    # robust: a failure is logged, never raised into the request whose change committed.
    transaction.on_commit(partial(refund_automatically, instance.ret_id), robust=True)
