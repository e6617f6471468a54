"""What a return's change tells the outbound webhooks: which event type a timeline event is,
and the payload's `data` (a small stable shape, README "Webhooks").

Every change of a return writes one ReturnEvent (returns/services/_common.py record_event and
record_status_event, which the refund services use too); they call `queue_webhooks` with it, in
the change's transaction, so this is the one place events become deliveries."""

from datetime import UTC
from typing import Any

from notifications.models import WebhookEventType
from notifications.webhook_outbox import webhook_enqueue
from refunds.money import money_for_return
from returns.models import Return, ReturnEvent

Kind = ReturnEvent.Kind

# A timeline event's (kind, code) → its webhook type; a status event is by its from_status.
_BY_CODE: dict[tuple[str, str], str] = {
    (Kind.REFUND, "refund.created"): WebhookEventType.REFUND_CREATED,
    # The refund marked refunded (money left, credit given, an exchange's difference paid).
    (Kind.REFUND, "refund.refunded"): WebhookEventType.RETURN_REFUNDED,
    (Kind.REFUND, "refund.credited"): WebhookEventType.RETURN_REFUNDED,
    (Kind.REFUND, "refund.exchange_refunded"): WebhookEventType.RETURN_REFUNDED,
    (Kind.LABEL, "label.created"): WebhookEventType.LABEL_CREATED,
    (Kind.LABEL, "label.cancelled"): WebhookEventType.LABEL_CANCELLED,
}


def webhook_type(event: ReturnEvent) -> str | None:
    """The webhook event type of a timeline event, or None when integrations are not told."""
    if event.kind == Kind.STATUS:
        if not event.from_status:
            return WebhookEventType.RETURN_REQUESTED
        return WebhookEventType.RETURN_STATUS_CHANGED
    return _BY_CODE.get((event.kind, event.code))


def queue_webhooks(event: ReturnEvent) -> None:
    """Queue the deliveries of this change for the endpoints that listen (none: one query)."""
    event_type = webhook_type(event)
    if event_type is not None:
        webhook_enqueue(
            event_type=event_type, return_event=event, data=lambda: return_data(event.ret, event)
        )


def _iso(moment) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def return_data(ret: Return, event: ReturnEvent) -> dict[str, Any]:
    """The payload's data: the return as it is after the change; amounts as exact strings."""
    state = money_for_return(ret)
    order = ret.order
    data: dict[str, Any] = {
        "id": ret.pk,
        "rma_number": ret.rma_number,
        "status": ret.status,
        "order_number": order.number,
        "customer_email": order.customer.email,
        "currency": state.currency,
        "amounts": {
            "quote_total": str(state.quote_total),
            "refunded": str(state.refunded),
            "pending": str(state.pending),
            "left_to_refund": str(state.left_to_refund),
        },
        "updated_at": _iso(event.created_at),
    }
    if event.kind == Kind.STATUS:
        data["previous_status"] = event.from_status or None
    elif event.kind == Kind.REFUND:
        amount = event.params.get("amount") or {}
        data["refund"] = {
            "amount": amount.get("amount"),
            "mode": event.params.get("mode", ret.refund_mode),
        }
    elif event.kind == Kind.LABEL:
        data["label"] = {
            "tracking_number": event.params.get("number", ""),
            "carrier": event.params.get("carrier", ""),
        }
    return data
