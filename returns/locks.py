"""The one way services lock rows, and the one order they lock them in.

Two transactions that lock the same rows in different orders can each wait for the other:
PostgreSQL then kills one with a deadlock error. So every service takes its locks in this order,
skipping the rows it does not need, and never goes back to an earlier kind of row:

    1. the order             lock_order       (returns counted, refunds against what was paid)
    2. the return            lock_return      (its status; refuses a stale page)
    3. a refund, an exchange due              lock_refund, lock_exchange_due
    4. the return's label    lock_live_label, lock_label
    5. the customer          lock_customer    (the store credit balance)
    6. an outbox email       lock_notification (notifications/locks.py: the outbox imports
                             nothing from returns)
    7. stock                 no lock: stock_move changes a variant by one conditional UPDATE,
                             which holds that variant's row for the rest of the transaction;
                             so a transaction moving several variants moves them in variant
                             id order (a receipt restocks its lines in that order,
                             transitions.restock_lines; the import locks its file's variants
                             in that order before writing, shop/locks.py lock_variants_by_sku)

A service that changes a return and will touch order-level money or quantities (completing,
which may ship an exchange's replacement order; every refund write) locks the order first.
Cancelling, rejecting or expiring frees quantities without the order's lock: a request counting
them meanwhile sees fewer free, never more, so no order can be returned twice.
Locking a row the transaction already holds again is harmless: the nested services do it.
Writing a row that points to another (a refund of a return) also waits on the row pointed to,
since PostgreSQL takes a key-share lock on it: that counts as locking it, in this order.

This module, with shop/locks.py for the shop's own rows and notifications/locks.py for the
outbox's, is the only place that writes select_for_update: tests/test_locks.py fails when
another one appears.
"""

from django.utils.translation import gettext

from refunds.models import ExchangeDue, Refund
from returns.errors import StaleReturnError
from returns.models import Return, ReturnStatus
from returns.models.labels import LabelStatus, ReturnLabel
from shop.locks import lock_customer, lock_order

__all__ = [
    "lock_customer",
    "lock_exchange_due",
    "lock_label",
    "lock_live_label",
    "lock_order",
    "lock_refund",
    "lock_return",
    "refuse_if_stale",
]


def lock_return(ret_id: int, *, expected_status: str | None = None) -> Return:
    """The return with its order and customer, locked.

    expected_status is the status the person's page showed: when the row's differs, someone
    else acted first and acting on what the page showed would be wrong (StaleReturnError).
    Callers that show no status (commands, webhooks, nested services) pass None.
    """
    locked = (
        Return.objects.select_for_update(of=("self",))
        .select_related("order__customer")
        .get(pk=ret_id)
    )
    refuse_if_stale(locked, expected_status)
    return locked


def refuse_if_stale(ret: Return, expected_status: str | None) -> None:
    """StaleReturnError when `ret` is no longer in the status the person's page showed.

    lock_return makes this check under the lock; a page may make it first on the row it just
    read, to answer a stale form before judging the choices made on it.
    """
    if expected_status is None or ret.status == expected_status:
        return
    raise StaleReturnError(
        gettext(
            "Return %(rma)s was changed by someone else meanwhile: it is now %(status)s. "
            "Reload the page and check it again."
        )
        % {"rma": ret.rma_number, "status": ReturnStatus(ret.status).label}
    )


def lock_refund(refund_id: int) -> Refund:
    return Refund.objects.select_for_update(of=("self",)).get(pk=refund_id)


def lock_exchange_due(due_id: int) -> ExchangeDue:
    return ExchangeDue.objects.select_for_update(of=("self",)).get(pk=due_id)


def lock_live_label(ret_id: int) -> ReturnLabel | None:
    """The return's label still in use (created, not cancelled), locked, or None."""
    return (
        ReturnLabel.objects.select_for_update()
        .defer("pdf")
        .filter(ret_id=ret_id, status=LabelStatus.CREATED)
        .first()
    )


def lock_label(label_id: int) -> ReturnLabel:
    """A label whatever its status (a carrier reports on cancelled labels too), locked."""
    return ReturnLabel.objects.select_for_update().defer("pdf").get(pk=label_id)
