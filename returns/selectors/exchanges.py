"""Reads of exchanges: the items a customer may get in exchange (the policy's answer over the
variants of the products they return), the items staff may choose from, and whether a return's
exchange is settled."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from refunds.models import LIVE_REFUND_STATUSES, ExchangeDue, Refund
from returns import policy
from returns.models import Return
from shop.models import OrderLine, Variant


def variants_of_products(product_ids: Iterable[int]) -> list[Variant]:
    """Every variant of the products, with its product, grouped by product (one query)."""
    return list(
        Variant.objects.filter(product_id__in=set(product_ids))
        .select_related("product")
        .order_by("product__name_fr", "product_id", "option_fr", "sku")
    )


def exchange_offers(order_lines: Iterable[OrderLine]) -> dict[int, list[Variant]]:
    """By order line id: the items a customer may get in exchange for one unit of that line,
    the sizes and colours of its own product (returns.policy.exchange_offer: the rule
    return_request enforces). The lines come with their variant. One query."""
    order_lines = list(order_lines)
    candidates = variants_of_products(line.variant.product_id for line in order_lines)
    return {
        line.pk: policy.exchange_offer(
            [variant for variant in candidates if variant.product_id == line.variant.product_id],
            product_id=line.variant.product_id,
        )
        for line in order_lines
    }


def staff_exchange_choices(order_lines: Iterable[OrderLine]) -> dict[int, list[Variant]]:
    """By order line id: the items staff may choose to send in exchange for it, any size or
    colour of its product (staff are not bound by the stock). The lines come with their
    variant. One query."""
    order_lines = list(order_lines)
    candidates = variants_of_products(line.variant.product_id for line in order_lines)
    return {
        line.pk: [v for v in candidates if v.product_id == line.variant.product_id]
        for line in order_lines
    }


def exchange_settled(ret: Return) -> bool:
    """Whether the price difference of `ret`'s exchange was settled on the item it names: a
    refund (pending or refunded) or an exchange due is recorded for it. One query."""
    refunds = Refund.objects.filter(ret_id=OuterRef("pk"), status__in=LIVE_REFUND_STATUSES)
    dues = ExchangeDue.objects.filter(ret_id=OuterRef("pk"))
    return Return.objects.filter(pk=ret.pk).filter(Exists(refunds) | Exists(dues)).exists()
