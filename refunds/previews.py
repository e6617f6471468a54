"""The quote a return request would get, before it is made: the return rules' fee on the chosen
items and reasons, then the one quote computation (refunds.quotes.quote_preview). The portal's
summary page and the API's preview show this; once created, the return's quote is the same."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from refunds.quotes import Quote, quote_preview
from returns.models import Return
from returns.rules import RuleOutcome, evaluate_rules
from shop.models import Order, ShopSettings, Variant
from shop.money import ZERO


@dataclass(frozen=True)
class RequestPreview:
    quote: Quote
    rules: RuleOutcome


def preview_request(
    *,
    order: Order,
    quantities: dict[int, int],
    reason_codes: dict[int, str],
    refund_mode: str,
    channel: str = Return.Channel.PORTAL,
    exchange_variants: dict[int, Variant] | None = None,
    shop_settings: ShopSettings | None = None,
    return_fee: Decimal | None = None,
    delivery_option: str | None = None,
) -> RequestPreview:
    """The rules' verdict on these items and reasons (a block is in `rules.blocked`) and the
    quote with the fees the creating service will set: the rules' lines (postage, the shop's
    default without a rule, restocking), or one staff line when staff typed `return_fee`, as
    return_create takes it. `exchange_variants`: by order line id, the item each line wants in
    exchange: the price difference is per line, summed."""
    rules = evaluate_rules(
        order,
        channel=channel,
        shop_settings=shop_settings or ShopSettings.load(),
        lines=list(quantities.items()),
        reason_codes=reason_codes,
        delivery_option=delivery_option,
    )
    quote = quote_preview(
        order=order,
        quantities=quantities,
        refund_mode=refund_mode,
        return_fee=ZERO if return_fee is None else return_fee,
        fees=rules.fees if return_fee is None else None,
        exchange_variants=exchange_variants,
    )
    return RequestPreview(quote=quote, rules=rules)
