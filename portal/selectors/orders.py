"""Reads of the customer portal: what a customer (or a guest with one order) may see.

Every read of the portal goes through a PortalScope, so another customer's order is simply not
found (a 404 for the page), whatever its number or id.
"""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from shop.models import Order, OrderLine
from shop.scope import OrderScope

# The scope lives in the shop app: the API's storefront calls read in the same one.
PortalScope = OrderScope


def customer_orders(customer_id: int) -> QuerySet[Order]:
    """The customer's orders, newest first, with the columns My orders shows and, per order,
    its number of items and of returns (subqueries: one query for the whole page)."""
    from returns.models import Return  # returns depends on shop, not the other way round

    items = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    returns = (
        Return.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(total=Count("id"))
        .values("total")
    )
    return (
        Order.objects.filter(customer_id=customer_id)
        .only(
            "number",
            "status",
            "placed_at",
            "delivered_at",
            "currency",
            "amount_paid",
            "customer_id",
        )
        .annotate(
            item_count=Coalesce(Subquery(items, output_field=IntegerField()), 0),
            return_count=Coalesce(Subquery(returns, output_field=IntegerField()), 0),
        )
        .order_by("-placed_at", "-id")
    )


def portal_order(scope: PortalScope, number: str) -> Order:
    """One order of the scope by its number; Order.DoesNotExist for anyone else's."""
    return scope.orders().select_related("customer", "brand").get(number=number)


def order_lines(order: Order) -> list[OrderLine]:
    return list(order.lines.select_related("variant__product").order_by("id"))


def _normalise_postcode(value: str) -> str:
    return "".join(value.split()).upper()


def order_for_guest(number: str, email_or_postcode: str) -> Order | None:
    """The order with that number whose email or delivery postcode is the one given, or None.

    The caller answers the same for a wrong number and a wrong email or postcode, so a guess
    tells nothing about which part was wrong.
    """
    # Ordered by id, not the model's placed_at: the number's own index answers, whatever the
    # table's size (order_number_upper).
    order = (
        Order.objects.select_related("customer")
        .filter(number__iexact=number.strip())
        .order_by("id")
        .first()
    )
    if order is None:
        return None
    given = email_or_postcode.strip()
    if "@" in given:
        emails = {order.email.lower(), order.customer.email.lower()} - {""}
        return order if given.lower() in emails else None
    postcode = _normalise_postcode(given)
    if postcode and postcode == _normalise_postcode(order.shipping_postcode):
        return order
    return None
