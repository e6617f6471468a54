import pytest

from shop.models import StockMovement
from shop.services import StockError, stock_move
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db


def test_a_movement_writes_a_ledger_row_and_changes_stock():
    # given
    variant = VariantFactory(stock_on_hand=5)
    # when
    movement = stock_move(variant=variant, quantity=3, kind=StockMovement.Kind.RETURN)
    # then
    assert movement.quantity == 3
    variant.refresh_from_db()
    assert variant.stock_on_hand == 8
    assert list(variant.movements.values_list("quantity", flat=True)) == [3]


def test_a_keyed_movement_happens_once_only():
    variant = VariantFactory(stock_on_hand=5)
    first = stock_move(variant=variant, quantity=2, kind=StockMovement.Kind.RETURN, key="k1")
    second = stock_move(variant=variant, quantity=2, kind=StockMovement.Kind.RETURN, key="k1")
    assert first is not None
    assert second is None
    variant.refresh_from_db()
    assert variant.stock_on_hand == 7
    assert StockMovement.objects.filter(variant=variant).count() == 1


def test_stock_never_goes_below_zero_and_nothing_is_written():
    variant = VariantFactory(stock_on_hand=1)
    with pytest.raises(StockError):
        stock_move(variant=variant, quantity=-2, kind=StockMovement.Kind.EXCHANGE)
    variant.refresh_from_db()
    assert variant.stock_on_hand == 1
    assert StockMovement.objects.filter(variant=variant).count() == 0
