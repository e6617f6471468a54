"""Helpers of the portal tests: the return form's data, and what a refused request must leave."""

from notifications.models import Notification
from returns.models import Return, ReturnEvent, ReturnLine
from shop.models import Order


def form_data(
    order: Order, *rows, refund_mode="money_back", delivery_option="label", comment=""
) -> dict:
    """The return form's POST data; `rows` are (quantity, reason code[, detail]) per order line,
    in id order. Lines beyond `rows` are left at 0."""
    data = {
        "refund_mode": refund_mode,
        "delivery_option": delivery_option,
        "customer_comment": comment,
    }
    lines = list(order.lines.order_by("id"))
    for index, line in enumerate(lines):
        quantity, reason, detail = (*rows[index], "")[:3] if index < len(rows) else (0, "", "")
        data[f"line-{line.pk}-quantity"] = str(quantity)
        data[f"line-{line.pk}-reason"] = reason
        data[f"line-{line.pk}-detail"] = detail
    return data


def nothing_written() -> dict:
    """Counts that a refused request must leave unchanged."""
    return {
        "returns": Return.objects.count(),
        "lines": ReturnLine.objects.count(),
        "events": ReturnEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }
