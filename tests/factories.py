"""factory_boy factories for the whole domain."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from returns.models import Return, ReturnAction, ReturnLine, ReturnReason
from shop.models import Customer, Order, OrderLine, Product, User, Variant

PASSWORD = "secret-pass-123"  # every user's, to log in with


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    is_staff = True


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    language = "fr"
    country = "FR"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    # `name=` given to the factory fills both languages (Product.name's setter).
    name_fr = factory.Sequence(lambda n: f"T-shirt {n}")
    name_en = factory.LazyAttribute(lambda o: o.name_fr)
    category = "tops"


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    option_fr = "M"
    option_en = factory.LazyAttribute(lambda o: o.option_fr)
    price = Decimal("20.00")
    stock_on_hand = 10


def sibling_variant(order, index: int = 0, **kwargs) -> Variant:
    """Another size or colour of the product of `order`'s line `index` (in id order): what a
    line of it may be exchanged for."""
    line = order.lines.order_by("id")[index]
    kwargs.setdefault("option_fr", f"XL{line.pk}")
    return VariantFactory(product=line.variant.product, **kwargs)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"100{n:04d}")
    customer = factory.SubFactory(CustomerFactory)
    email = factory.LazyAttribute(lambda o: o.customer.email)
    status = Order.Status.DELIVERED
    shipping_country = "FR"
    shipping_postcode = "75011"
    currency = "EUR"
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    delivered_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    shipping_cost = Decimal("6.00")
    discount = Decimal("0.00")
    amount_paid = Decimal("0.00")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    variant = factory.SubFactory(VariantFactory)
    quantity = 1
    unit_price_paid = Decimal("20.00")


def make_order(
    lines, *, shipping=Decimal("6.00"), discount=Decimal("0.00"), currency="EUR", **kwargs
):
    """An order whose amount paid is consistent: lines + shipping - discount.

    `lines` is a list of (quantity, unit price paid) pairs, prices as strings or Decimals.
    """
    order = OrderFactory(
        shipping_cost=Decimal(shipping), discount=Decimal(discount), currency=currency, **kwargs
    )
    total = Decimal("0")
    for quantity, price in lines:
        OrderLineFactory(order=order, quantity=quantity, unit_price_paid=Decimal(price))
        total += Decimal(price) * quantity
    order.amount_paid = total + Decimal(shipping) - Decimal(discount)
    order.save(update_fields=["amount_paid"])
    return order


class ReturnReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnReason
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"reason-{n}")
    name_en = factory.LazyAttribute(lambda o: o.code)
    name_fr = factory.LazyAttribute(lambda o: o.code)


class ReturnActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnAction
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"action-{n}")
    name_en = factory.LazyAttribute(lambda o: o.code)
    name_fr = factory.LazyAttribute(lambda o: o.code)


class ReturnFactory(factory.django.DjangoModelFactory):
    """A bare Return row, for read-side tests. Write-side tests go through the services."""

    class Meta:
        model = Return

    order = factory.SubFactory(OrderFactory)
    channel = Return.Channel.PORTAL


class ReturnLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnLine

    ret = factory.SubFactory(ReturnFactory)
    order_line = factory.SubFactory(OrderLineFactory)
    quantity = 1
    reason = factory.SubFactory(ReturnReasonFactory)


def superuser():
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Super")


def bare_return(*, language="fr", email=None, items=(("Linen shirt", "L", 2),), **fields):
    """A requested return of a delivered order, one line per (product, option, quantity), made
    of bare rows (not through the services)."""
    customer = CustomerFactory(language=language, **({"email": email} if email else {}))
    order = OrderFactory(customer=customer)
    ret = ReturnFactory(order=order, **fields)
    for product_name, option, quantity in items:
        variant = VariantFactory(product=ProductFactory(name=product_name), option=option)
        line = OrderLineFactory(order=order, variant=variant, quantity=quantity)
        ReturnLineFactory(ret=ret, order_line=line, quantity=quantity)
    return ret
