"""The outbox. (Interface only for now: the notifications issue fills it in.)"""


def notification_enqueue(*, ret, event: str, return_event=None, actor=None):
    """Queue one email to the return's customer about `event`, in the caller's transaction.

    Called by the return and refund services only when the change is to be told to the
    customer. `event` is one of the codes of notifications/events (requested, approved,
    approved_with_label, rejected, received, refunded, credited, exchanged, cancelled, expired,
    label_resent). `return_event` is the ReturnEvent row of the change: it makes the outbox row
    unique per change. Returns the Notification row, or None.
    """
    return None
