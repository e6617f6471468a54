"""Row locks on the shop's own rows: an order, a customer.

The one lock order of the project, and why, is written in returns/locks.py, which every return
and refund service locks through. These live here because the shop's own services (accounts)
lock customers too, and the shop app must not import the returns app: the order is the first
row of that lock order, the customer one of the last.

Each lock lasts until the end of the caller's transaction; call them inside transaction.atomic.
"""

from shop.models import Customer, Order


def lock_order(order_id: int) -> Order:
    """The order with its customer, locked: every quantity returned and every amount refunded
    of the order is counted under this lock."""
    return Order.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order_id)


def lock_customer(customer_id: int) -> Customer:
    """The customer, locked: their store credit balance is counted under this lock."""
    return Customer.objects.select_for_update().get(pk=customer_id)


def lock_customer_by_email(email: str) -> Customer | None:
    """The oldest customer of `email` (case-insensitive), locked, or None."""
    return Customer.objects.select_for_update().filter(email__iexact=email).order_by("id").first()
