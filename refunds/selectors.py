"""Reads of the refunds app: what an order has refunded, a customer's store credit."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from refunds.models import LIVE_REFUND_STATUSES, Refund, RefundStatus, StoreCreditMovement
from returns.models import Return
from shop.models import Customer, Order
from shop.money import ZERO

CENT = Decimal("0.01")  # the money columns' scale (shop.models.MONEY)


def refunds_for_return(ret: Return) -> QuerySet[Refund]:
    """The return's refunds, newest first, with who made and marked them."""
    return (
        Refund.objects.filter(ret=ret)
        .select_related("created_by", "marked_by")
        .order_by("-created_at", "-id")
    )


def committed_total_for_order(order: Order) -> Decimal:
    """Refunded plus pending: what counts against the amount the order paid."""
    return _sum(Refund.objects.filter(order=order, status__in=LIVE_REFUND_STATUSES))


def committed_through_provider(order: Order, provider: str) -> Decimal:
    """Refunded plus pending through `provider`: what counts against what it captured."""
    return _sum(
        Refund.objects.filter(order=order, provider=provider, status__in=LIVE_REFUND_STATUSES)
    )


def refundable_left_for_order(order: Order) -> Decimal:
    return max(ZERO, order.amount_paid - committed_total_for_order(order))


def refunded_items_by_order_line(order: Order) -> dict[int, Decimal]:
    """Per order line id, the item value (net of discount) of the order's full refunds marked
    refunded, read from their frozen quotes. Partial refunds are not split over lines."""
    totals: dict[int, Decimal] = {}
    quotes = Refund.objects.filter(
        order=order, status=RefundStatus.REFUNDED, is_partial=False
    ).values_list("quote", flat=True)
    for quote in quotes:
        for line in quote["lines"]:
            if line["kind"] in ("item", "discount") and line.get("order_line_id"):
                line_id = line["order_line_id"]
                totals[line_id] = totals.get(line_id, ZERO) + Decimal(line["amount"])
    return totals


def store_credit_balance(customer: Customer, currency: str) -> Decimal:
    """The customer's store-credit balance in `currency`: the sum of its ledger rows."""
    return _sum(StoreCreditMovement.objects.filter(customer=customer, currency=currency))


def store_credit_movements(customer: Customer) -> QuerySet[StoreCreditMovement]:
    return (
        StoreCreditMovement.objects.filter(customer=customer)
        .select_related("refund__ret")
        .order_by("-created_at", "-id")
    )


def _sum(refunds_or_movements: QuerySet[Any]) -> Decimal:
    return exact_money(refunds_or_movements.aggregate(total=Sum("amount"))["total"])


def exact_money(total: Decimal | None) -> Decimal:
    """A SUM of a money column as an exact Decimal of the column's two places: SQLite adds
    decimals in floating point (33.73 - 20.00 - 13.73 is -3.6e-15 there); on PostgreSQL the
    sum is exact already and this changes nothing."""
    return ZERO if total is None else total.quantize(CENT)
