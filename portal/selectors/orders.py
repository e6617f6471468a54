"""Reads of the customer portal: what a customer (or a guest with one order) may see.

Every read of the portal goes through a PortalScope, so another customer's order is simply not
found (a 404 for the page), whatever its number or id.
"""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from shop.compiled import CompiledModels, CompiledRows, Parameter, db_value
from shop.models import Customer, Order, OrderLine, User
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


_CUSTOMER_ID = {"customer_id": Parameter(-7_340_034, db_value(Order, "customer"))}
# My orders' page and its count, compiled to SQL once per connection: Django compiled the
# page's two subqueries and the count on every request, for more than the database's answers.
_CUSTOMER_ORDERS = CompiledModels(
    "portal.customer_orders",
    lambda _shape, stand_ins: customer_orders(stand_ins["customer_id"]),
    _CUSTOMER_ID,
)
_CUSTOMER_ORDER_COUNT = CompiledRows(
    "portal.customer_order_count",
    lambda _shape, stand_ins: (
        Order.objects.filter(customer_id=stand_ins["customer_id"])
        .order_by()
        .values("customer_id")
        .annotate(count=Count("id"))
        .values("count")
    ),
    _CUSTOMER_ID,
)


class CustomerOrders:
    """customer_orders() for Django's Paginator (its count() and a page's slice), each read by
    a query compiled once per connection."""

    def __init__(self, customer_id: int):
        self.values = {"customer_id": customer_id}

    def count(self) -> int:
        found = _CUSTOMER_ORDER_COUNT.rows(None, self.values)
        return found[0]["count"] if found else 0

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, part: slice) -> list[Order]:
        return _CUSTOMER_ORDERS.rows(None, self.values, part.start or 0, part.stop)


# The scope's ids as a compiled read's parameters: its shape is which of the two it has.
SCOPE_PARAMETERS = {
    "customer_id": Parameter(-7_340_034, db_value(Order, "customer")),
    "guest_order_id": Parameter(-7_340_035, db_value(Order, "id")),
}


def scope_values(scope: PortalScope) -> dict[str, int]:
    ids = {"customer_id": scope.customer_id, "guest_order_id": scope.guest_order_id}
    return {name: value for name, value in ids.items() if value is not None}


def scope_of(stand_ins: dict) -> PortalScope:
    """The scope a compiled read is built from, of the stand-ins of its ids."""
    return PortalScope(
        customer_id=stand_ins.get("customer_id"), guest_order_id=stand_ins.get("guest_order_id")
    )


# Compiled to SQL once per connection (shop.compiled.CompiledModels): every page of an order
# reads it, and Django compiled it on every request.
_ORDER = CompiledModels(
    "portal.order",
    lambda _shape, stand_ins: (
        scope_of(stand_ins)
        .orders()
        .select_related("customer", "brand")
        .filter(number=stand_ins["number"])
    ),
    {**SCOPE_PARAMETERS, "number": Parameter("compiled:number", db_value(Order, "number"))},
)


_CUSTOMER = CompiledModels(
    "portal.customer",
    lambda _shape, stand_ins: Customer.objects.filter(user_id=stand_ins["user_id"]),
    {"user_id": Parameter(-7_340_036, db_value(Customer, "user"))},
)


def customer_of(user: User) -> Customer | None:
    """The account's customer (None for an account without one: staff), by a query compiled
    once per connection (every portal page asks it), then kept on the account as
    `user.customer` keeps it, so that reading that afterwards is no query either."""
    related = User.customer.related  # the reverse one-to-one's descriptor
    if not related.is_cached(user):
        found = _CUSTOMER.rows(None, {"user_id": user.pk})
        related.set_cached_value(user, found[0] if found else None)
        if found:
            Customer.user.field.set_cached_value(found[0], user)
    customer: Customer | None = related.get_cached_value(user)  # type: ignore[assignment]
    return customer


def portal_order(scope: PortalScope, number: str) -> Order:
    """One order of the scope by its number; Order.DoesNotExist for anyone else's."""
    found = _ORDER.rows(None, {**scope_values(scope), "number": number})
    if not found:
        raise Order.DoesNotExist("No order of this number in the scope.")
    return found[0]


def order_lines(order: Order) -> list[OrderLine]:
    return list(order.lines.select_related("variant__product").order_by("id"))


# Ordered by id, not the model's placed_at: the number's own index answers, whatever the
# table's size (order_number_upper). Compiled once per connection, as the scope's reads above.
_GUEST_ORDER = CompiledModels(
    "portal.guest_order",
    lambda _shape, stand_ins: (
        Order.objects.select_related("customer")
        .filter(number__iexact=stand_ins["number"])
        .order_by("id")[:1]
    ),
    # iexact: no field step (the lookup prepares no value), then the database's own escaping.
    {"number": Parameter("compiled:number", lambda value, c: c.ops.prep_for_iexact_query(value))},
)


def _normalise_postcode(value: str) -> str:
    return "".join(value.split()).upper()


def order_for_guest(number: str, email_or_postcode: str) -> Order | None:
    """The order with that number whose email or delivery postcode is the one given, or None.

    The caller answers the same for a wrong number and a wrong email or postcode, so a guess
    tells nothing about which part was wrong.
    """
    found = _GUEST_ORDER.rows(None, {"number": number.strip()})
    if not found:
        return None
    order = found[0]
    given = email_or_postcode.strip()
    if "@" in given:
        emails = {order.email.lower(), order.customer.email.lower()} - {""}
        return order if given.lower() in emails else None
    postcode = _normalise_postcode(given)
    if postcode and postcode == _normalise_postcode(order.shipping_postcode):
        return order
    return None
