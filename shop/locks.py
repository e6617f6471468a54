"""Row locks on the shop's own rows: an order, a customer.

The one lock order of the project, and why, is written in returns/locks.py, which every return
and refund service locks through. These live here because the shop's own services (accounts)
lock customers too, and the shop app must not import the returns app: the order is the first
row of that lock order, the customer one of the last.

Each lock lasts until the end of the caller's transaction; call them inside transaction.atomic.
"""

from collections.abc import Iterable

from shop.models import Customer, Order, Variant


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


def lock_orders(order_ids: Iterable[int]) -> dict[int, Order]:
    """Several orders locked in id order (two imports of the same orders queue, never cross)."""
    locked = Order.objects.select_for_update(of=("self",)).filter(pk__in=list(order_ids))
    return {order.pk: order for order in locked.select_related("customer").order_by("pk")}


def lock_customers_by_email(emails: Iterable[str]) -> None:
    """The customers of these emails (exact, as stored), locked in id order."""
    list(Customer.objects.select_for_update().filter(email__in=list(emails)).order_by("pk"))


def lock_variants_by_sku(skus: Iterable[str]) -> None:
    """The variants of these SKUs locked in id order, before a transaction moves the stock or
    changes the catalogue of several: stock is moved in variant id order (returns/locks.py,
    rank 7), or two such transactions each hold a variant the other waits for."""
    list(Variant.objects.select_for_update().filter(sku__in=list(skus)).order_by("pk"))
