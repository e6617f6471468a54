"""Reads of exchanges: the items a customer may get in exchange (the policy's answer over the
variants of the products they return), the items staff may choose from, and whether a return's
exchange is settled."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from refunds.models import LIVE_REFUND_STATUSES, ExchangeDue, Refund
from returns import policy
from returns.models import Return
from shop.models import Order, OrderLine, Variant


def variants_of_products(product_ids: Iterable[int]) -> list[Variant]:
    """Every variant of the products, with its product, grouped by product (one query)."""
    return list(
        Variant.objects.filter(product_id__in=set(product_ids))
        .select_related("product")
        .order_by("product__name_fr", "product_id", "option_fr", "sku")
    )


def exchange_offer(order_lines: Iterable[OrderLine], *, units: int = 1) -> list[Variant]:
    """The items a customer may get in exchange for `units` items of one of the products of
    `order_lines` (returns.policy.exchange_offer per product: the rule return_request
    enforces), grouped by product. The lines come with their variant. One query."""
    products = {line.variant.product_id for line in order_lines}
    candidates = variants_of_products(products) if products else []
    return [
        variant
        for product in dict.fromkeys(variant.product_id for variant in candidates)
        for variant in policy.exchange_offer(
            [candidate for candidate in candidates if candidate.product_id == product],
            products={product},
            units=units,
        )
    ]


def staff_exchange_choices(order: Order) -> QuerySet[Variant]:
    """The items staff may choose to send in exchange for items of `order`: any variant of a
    product it holds (staff are not bound by the stock or the product returned)."""
    return (
        Variant.objects.filter(product__variants__order_lines__order=order)
        .distinct()
        .select_related("product")
        .order_by("product__name_fr", "sku")
    )


def exchange_settled(ret: Return) -> bool:
    """Whether the price difference of `ret`'s exchange was settled on the item it names: a
    refund (pending or refunded) or an exchange due is recorded for it. One query."""
    refunds = Refund.objects.filter(ret_id=OuterRef("pk"), status__in=LIVE_REFUND_STATUSES)
    dues = ExchangeDue.objects.filter(ret_id=OuterRef("pk"))
    return Return.objects.filter(pk=ret.pk).filter(Exists(refunds) | Exists(dues)).exists()
