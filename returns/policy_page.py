"""The public return policy, stated from the data the services enforce.

`policy_statement` reads the shop's settings and the active return rules (the very list
`returns.rules.evaluate_rules` reads, `active_rules`) and says, in the active language, what
they decide for a customer: the window, what cannot be returned, the fees, how items come back,
the refund modes offered (`returns.policy.offered_refund_modes`, `offered_delivery_options`).
The page (portal/views/policy.py) only renders it, so the page and the services cannot disagree.

Rules only staff meet (channel "back-office") are left out: a customer never meets them. Rules
are stated in their order, as the first rule of each kind that matches is the one that applies.

The rendered page is cached (`cached_policy_html`) under a generation stored in the cache:
saving or deleting a rule, a reason, a shipping method or the settings starts a new one
(`invalidate_policy`, connected in returns/apps.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext

from returns.models import Return
from returns.models.rules import FEE_KINDS, CountryMode, ReturnRule, RuleAction, RuleKind
from returns.policy import offered_delivery_options, offered_refund_modes
from returns.rules import active_rules, plain_number
from shop.brands import policy_text
from shop.models import Brand, Order, ShopSettings
from shop.money import format_money, quantize

# Rule amounts are in the order's currency; the page states them in the shop's usual one.
PAGE_CURRENCY = str(Order._meta.get_field("currency").default)
CACHE_GENERATION_KEY = "policy-page:generation"
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class RuleStatement:
    """One rule as the customer reads it: when it applies and what it does."""

    rule_id: int
    kind: str
    conditions: tuple[str, ...]
    says: str
    # The figures stated, for the page and the tests that hold the services to them.
    amount: Decimal | None = None
    percent: Decimal | None = None
    countries: tuple[str, ...] = ()
    country_mode: str = CountryMode.IN
    product_id: int | None = None
    category: str = ""
    reason_code: str = ""

    @property
    def when(self) -> str:
        if not self.conditions:
            return gettext("Always")
        text = "; ".join(self.conditions)
        return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class PolicyStatement:
    shop_name: str
    returns_open: bool
    window_days: int
    default_fee: Decimal
    currency: str
    blocks: tuple[RuleStatement, ...]
    fees: tuple[RuleStatement, ...]
    shipping: tuple[RuleStatement, ...]
    in_store_only: tuple[RuleStatement, ...]
    approvals: tuple[RuleStatement, ...]
    refund_modes: tuple[str, ...]
    delivery_options: tuple[str, ...]
    exchanges: bool
    refund_within_days: int
    text_above: str
    text_below: str

    @property
    def default_fee_text(self) -> str:
        return fee_words(self.default_fee, self.currency)

    @property
    def refund_mode_labels(self) -> list[str]:
        return [str(Return.RefundMode(mode).label) for mode in self.refund_modes]

    @property
    def delivery_option_labels(self) -> list[str]:
        return [str(Return.DeliveryOption(option).label) for option in self.delivery_options]


def fee_words(amount: Decimal, currency: str) -> str:
    if not amount:
        return gettext("free")
    return gettext("a return fee of %(amount)s") % {"amount": format_money(amount, currency)}


def _in_language(french: str, english: str) -> str:
    """Text the merchant typed in both languages: the active one's, else the other."""
    first, second = (
        (english, french) if (get_language() or "fr").startswith("en") else (french, english)
    )
    return first or second


def rule_conditions(rule: ReturnRule, currency: str) -> tuple[str, ...]:
    """The rule's conditions in the customer's words (the ones returns/rules.py checks)."""
    words = []
    if rule.country_codes:
        text = (
            gettext("for orders shipped to %(codes)s")
            if rule.country_mode == CountryMode.IN
            else gettext("for orders shipped outside %(codes)s")
        )
        words.append(text % {"codes": ", ".join(rule.country_codes)})
    if rule.product is not None:
        words.append(gettext("on “%(name)s”") % {"name": rule.product.name})
    if rule.category:
        words.append(gettext("on items of the category “%(name)s”") % {"name": rule.category})
    if rule.reason is not None:
        words.append(gettext("when the reason is “%(name)s”") % {"name": rule.reason.name})
    if rule.min_order_value is not None:
        words.append(
            gettext("for orders of at least %(amount)s")
            % {"amount": format_money(rule.min_order_value, currency)}
        )
    if rule.max_order_value is not None:
        words.append(
            gettext("for orders of at most %(amount)s")
            % {"amount": format_money(rule.max_order_value, currency)}
        )
    if rule.min_days_since_delivery is not None:
        words.append(
            gettext("from %(days)d days after delivery") % {"days": rule.min_days_since_delivery}
        )
    if rule.max_days_since_delivery is not None:
        words.append(
            gettext("up to %(days)d days after delivery") % {"days": rule.max_days_since_delivery}
        )
    return tuple(words)


def _says(rule: ReturnRule, currency: str) -> str:
    action = RuleAction(rule.action)
    if action == RuleAction.FEE_FIXED:
        assert rule.amount is not None  # a database check
        return fee_words(quantize(rule.amount, currency), currency)
    if action == RuleAction.FEE_PERCENT:
        assert rule.percent is not None  # a database check
        if not rule.percent:
            return gettext("free")
        return gettext("a restocking fee of %(percent)s %% of the price paid for the items") % {
            "percent": plain_number(rule.percent)
        }
    if action == RuleAction.BLOCK:
        return rule.message
    if action == RuleAction.SHIP_WITH:
        assert rule.shipping_method is not None  # a database check
        return gettext("sent back with %(method)s") % {"method": rule.shipping_method.name}
    if action == RuleAction.IN_STORE_ONLY:
        return gettext("returned in one of our shops only")
    if action == RuleAction.AUTO_APPROVE:
        return gettext("approved at once")
    if action == RuleAction.KEEP_ITEM:
        return gettext("kept: there is nothing to send back")
    return gettext("reviewed by our team before approval")


def statement_of(rule: ReturnRule, currency: str) -> RuleStatement:
    action = RuleAction(rule.action)
    return RuleStatement(
        rule_id=rule.pk,
        kind=rule.kind,
        conditions=rule_conditions(rule, currency),
        says=_says(rule, currency),
        amount=quantize(rule.amount, currency)
        if action == RuleAction.FEE_FIXED and rule.amount is not None
        else None,
        percent=rule.percent if action == RuleAction.FEE_PERCENT else None,
        countries=tuple(rule.country_codes),
        country_mode=rule.country_mode,
        product_id=rule.product_id,
        category=rule.category,
        reason_code=rule.reason.code if rule.reason is not None else "",
    )


def policy_statement(
    shop_settings: ShopSettings | None = None,
    rules: list[ReturnRule] | None = None,
    brand: Brand | None = None,
) -> PolicyStatement:
    """The shop's return policy as the services apply it, in the active language; a brand's
    name and policy text (above the shop's) when given."""
    shop_settings = shop_settings or ShopSettings.load()
    rules = active_rules() if rules is None else rules
    currency = PAGE_CURRENCY
    customer_rules = [rule for rule in rules if rule.channel != Return.Channel.BACKOFFICE]

    def of_kind(kind: str) -> tuple[RuleStatement, ...]:
        return tuple(statement_of(rule, currency) for rule in customer_rules if rule.kind == kind)

    return PolicyStatement(
        shop_name=brand.name if brand is not None else shop_settings.shop_name,
        returns_open=shop_settings.returns_allowed,
        window_days=shop_settings.return_window_days,
        default_fee=quantize(shop_settings.default_return_fee, currency),
        currency=currency,
        blocks=of_kind(RuleKind.BLOCK),
        fees=tuple(
            statement_of(rule, currency) for rule in customer_rules if rule.kind in FEE_KINDS
        ),
        shipping=of_kind(RuleKind.SHIPPING),
        in_store_only=of_kind(RuleKind.IN_STORE),
        approvals=of_kind(RuleKind.APPROVAL),
        refund_modes=tuple(offered_refund_modes(shop_settings)),
        delivery_options=tuple(offered_delivery_options(shop_settings)),
        exchanges=str(Return.RefundMode.EXCHANGE) in offered_refund_modes(shop_settings),
        refund_within_days=shop_settings.refund_within_days,
        text_above="\n\n".join(
            text
            for text in (
                policy_text(brand, get_language() or "fr"),
                _in_language(
                    shop_settings.policy_text_above_fr, shop_settings.policy_text_above_en
                ),
            )
            if text
        ),
        text_below=_in_language(
            shop_settings.policy_text_below_fr, shop_settings.policy_text_below_en
        ),
    )


def policy_url(brand: Brand | None = None) -> str:
    """The page's full address (of `brand`, when there is one), for the emails' footer and the
    label's small print."""
    url = f"{settings.SITE_URL.rstrip('/')}{reverse('return_policy')}"
    return f"{url}?{urlencode({'brand': brand.code})}" if brand is not None else url


# --- the cache ---------------------------------------------------------------------------------


def _generation() -> str:
    generation = cache.get(CACHE_GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        cache.set(CACHE_GENERATION_KEY, generation, None)
    return str(generation)


def invalidate_policy(**_signal_kwargs: object) -> None:
    """A new generation: every cached page of the policy is stale (a signal receiver)."""
    cache.set(CACHE_GENERATION_KEY, uuid.uuid4().hex, None)


def cached_policy_html(variant: str, render: Callable[[], str]) -> str:
    """The policy's HTML for `variant` (language, brand) of the current generation, rendered
    by `render` when not cached."""
    key = f"policy-page:{_generation()}:{variant}"
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, CACHE_SECONDS)
    return str(html)
