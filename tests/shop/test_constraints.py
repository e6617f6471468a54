"""The database itself refuses negative quantities and amounts, whatever the code does."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from shop.models import Order, OrderLine, ShopSettings, Variant
from tests.factories import OrderFactory, OrderLineFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _refused(queryset, **values):
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**values)


def test_negative_stock_is_rejected_by_the_database():
    # given
    variant = VariantFactory(stock_on_hand=3)
    # when / then
    _refused(Variant.objects.filter(pk=variant.pk), stock_on_hand=-1)
    variant.refresh_from_db()
    assert variant.stock_on_hand == 3


def test_negative_or_zero_order_line_quantity_is_rejected():
    line = OrderLineFactory(quantity=2)
    _refused(OrderLine.objects.filter(pk=line.pk), quantity=0)
    line.refresh_from_db()
    assert line.quantity == 2


@pytest.mark.parametrize("field", ["shipping_cost", "discount", "amount_paid"])
def test_negative_order_money_is_rejected(field):
    order = OrderFactory(amount_paid=Decimal("10.00"))
    _refused(Order.objects.filter(pk=order.pk), **{field: Decimal("-0.01")})
    order.refresh_from_db()
    assert getattr(order, field) >= 0


def test_negative_prices_are_rejected():
    line = OrderLineFactory()
    _refused(OrderLine.objects.filter(pk=line.pk), unit_price_paid=Decimal("-1.00"))
    _refused(Variant.objects.filter(pk=line.variant_id), price=Decimal("-1.00"))


def test_shop_settings_is_a_single_row():
    ShopSettings.load()
    with pytest.raises(IntegrityError), transaction.atomic():
        ShopSettings.objects.create(pk=2)
    assert ShopSettings.objects.count() == 1
