"""Writes of the shop app."""

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import StockMovement, Variant


class StockError(Exception):
    pass


def stock_move(*, variant: Variant, quantity: int, kind: str, actor=None, note: str = "",
               key: str | None = None) -> StockMovement | None:
    """Change a variant's stock by `quantity` through a ledger row.

    With a `key`, the movement happens at most once: a second call with the same key writes
    nothing and returns None. Stock never goes below zero.
    """
    if quantity == 0:
        raise StockError("a stock movement cannot be zero")
    with transaction.atomic():
        if key is not None and StockMovement.objects.filter(key=key).exists():
            return None
        try:
            with transaction.atomic():
                movement = StockMovement.objects.create(
                    variant=variant, quantity=quantity, kind=kind, note=note, key=key,
                    created_by=actor)
        except IntegrityError:
            if key is not None and StockMovement.objects.filter(key=key).exists():
                return None
            raise
        updated = Variant.objects.filter(pk=variant.pk).filter(
            stock_on_hand__gte=-quantity).update(stock_on_hand=F("stock_on_hand") + quantity)
        if not updated:
            raise StockError(f"not enough stock of {variant.sku} to take {-quantity}")
    variant.refresh_from_db(fields=["stock_on_hand"])
    return movement
