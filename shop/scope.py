"""Whose orders a request may see: the one answer the portal and the API's storefront calls
share. A customer sees their own orders, a guest the one order they proved they know; anything
else is not found."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from shop.models import Order


@dataclass(frozen=True)
class OrderScope:
    """The customer's orders, and the one order a guest proved they know (order number with
    its email or postcode)."""

    customer_id: int | None = None
    guest_order_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return self.customer_id is None and self.guest_order_id is None

    def orders(self) -> QuerySet[Order]:
        if self.is_empty:
            return Order.objects.none()
        visible = Q(pk__in=[])
        if self.customer_id is not None:
            visible |= Q(customer_id=self.customer_id)
        if self.guest_order_id is not None:
            visible |= Q(pk=self.guest_order_id)
        return Order.objects.filter(visible)

    def is_customers_own(self, order: Order) -> bool:
        return self.customer_id is not None and order.customer_id == self.customer_id
