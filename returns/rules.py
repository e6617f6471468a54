"""Evaluating the return rules against an order (and, when known, the lines and reasons).

Pure: reads only. `evaluate_rules` says which rules match and why, and what follows: the fee,
the lines that cannot be returned (with the customer's message), the shipping method, in-store
only, and whether the return is approved at once. The services apply the outcome; the portal
shows it; the back-office's rule tester explains it.

Rules are read in their order. The first matching rule of each kind of action wins (a fee, a
shipping method, in-store only, the approval); a block is decided per item: each item is
blocked by the first block rule that matches it. With no fee rule, the shop's default fee applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext

from returns.models import Return
from returns.models.labels import ShippingMethod
from returns.models.rules import ReturnRule, RuleAction, RuleKind
from shop.models import Order, OrderLine, ShopSettings
from shop.money import ZERO, quantize


@dataclass(frozen=True)
class ConditionCheck:
    text: str
    ok: bool


@dataclass(frozen=True)
class RuleCheck:
    """One rule against the order: whether it matched, each condition's result, the items it
    matched, and whether it decided its kind of action (`applied`)."""

    rule: ReturnRule
    matched: bool
    conditions: tuple[ConditionCheck, ...]
    line_ids: tuple[int, ...] = ()
    applied: bool = False

    @property
    def why(self) -> str:
        if not self.conditions:
            return gettext("no condition: it applies to every return")
        return "; ".join(check.text for check in self.conditions)


@dataclass(frozen=True)
class BlockedLine:
    order_line_id: int
    item: str
    rule: ReturnRule
    message: str


@dataclass(frozen=True)
class RuleOutcome:
    currency: str
    checks: tuple[RuleCheck, ...]
    fee: Decimal
    fee_rule: ReturnRule | None = None
    # The paid value of the items a percentage fee was computed on.
    fee_base: Decimal | None = None
    blocked: dict[int, BlockedLine] = field(default_factory=dict)
    shipping_method: ShippingMethod | None = None
    shipping_rule: ReturnRule | None = None
    in_store_only: bool = False
    in_store_rule: ReturnRule | None = None
    auto_approve: bool = False
    approval_rule: ReturnRule | None = None

    @property
    def matched(self) -> list[RuleCheck]:
        return [check for check in self.checks if check.matched]

    @property
    def applied(self) -> list[RuleCheck]:
        return [check for check in self.checks if check.applied]

    @property
    def is_blocked(self) -> bool:
        return bool(self.blocked)

    def blocked_messages(self) -> list[str]:
        """“Item”: message, one per blocked item, for the person who asked."""
        return [
            gettext("“%(item)s” cannot be returned: %(message)s")
            % {"item": blocked.item, "message": blocked.message}
            for blocked in self.blocked.values()
        ]

    def fee_explanation(self) -> str:
        if self.fee_rule is None:
            return gettext("the shop's default return fee")
        if self.fee_rule.action == RuleAction.FEE_PERCENT:
            assert self.fee_rule.percent is not None  # a database check: a percent fee has one
            return gettext("%(percent)s %% of %(base)s (rule “%(rule)s”)") % {
                "percent": plain_number(self.fee_rule.percent),
                "base": self.fee_base,
                "rule": self.fee_rule.name,
            }
        return gettext("rule “%(rule)s”") % {"rule": self.fee_rule.name}


def plain_number(value: Decimal) -> str:
    """12.50 -> "12.5", 10.00 -> "10" (Decimal.normalize would write 1E+1)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class _Line:
    order_line: OrderLine
    quantity: int
    reason_code: str | None

    @property
    def item(self) -> str:
        return str(self.order_line.variant)


def active_rules() -> list[ReturnRule]:
    return list(
        ReturnRule.objects.filter(active=True)
        .select_related("product", "reason", "shipping_method")
        .order_by("position", "id")
    )


def evaluate_rules(
    order: Order,
    *,
    channel: str,
    lines: Iterable[tuple[OrderLine | int, int]] | None = None,
    reason_codes: Mapping[int, str] | None = None,
    rules: list[ReturnRule] | None = None,
    now=None,
    shop_settings: ShopSettings | None = None,
) -> RuleOutcome:
    """The rules' verdict on returning `lines` of `order` through `channel`.

    `lines` are (order line or its id, quantity) pairs; None means every line of the order at
    its ordered quantity (what the portal and the rule tester look at before anything is
    chosen). `reason_codes` maps order line ids to reason codes; a rule on a reason does not
    match an item whose reason is not known. `rules` defaults to the active rules in order.
    """
    rules = active_rules() if rules is None else rules
    shop_settings = shop_settings or ShopSettings.load()
    now = now or timezone.now()
    chosen = _lines(order, lines, reason_codes or {})
    checks = [_check(rule, order, chosen, channel=channel, now=now) for rule in rules]
    return _decide(order, chosen, checks, shop_settings)


def _lines(order: Order, lines, reason_codes: Mapping[int, str]) -> list[_Line]:
    order_lines = {
        line.pk: line for line in order.lines.select_related("variant__product").order_by("id")
    }
    if lines is None:
        pairs = [(line, line.quantity) for line in order_lines.values()]
    else:
        pairs = [
            (order_lines[item if isinstance(item, int) else item.pk], quantity)
            for item, quantity in lines
        ]
    return [
        _Line(order_line=line, quantity=quantity, reason_code=reason_codes.get(line.pk))
        for line, quantity in pairs
        if quantity > 0
    ]


# --- one rule against the order ---------------------------------------------------------------


def _check(rule: ReturnRule, order: Order, lines: list[_Line], *, channel: str, now) -> RuleCheck:
    conditions = _order_conditions(rule, order, channel=channel, now=now)
    line_ids: tuple[int, ...] = tuple(line.order_line.pk for line in lines)
    if rule.has_line_conditions:
        line_conditions, line_ids = _line_conditions(rule, lines)
        conditions += line_conditions
    matched = all(check.ok for check in conditions) and bool(line_ids)
    return RuleCheck(
        rule=rule,
        matched=matched,
        conditions=tuple(conditions),
        line_ids=line_ids if matched else (),
    )


def _order_conditions(rule: ReturnRule, order: Order, *, channel: str, now) -> list[ConditionCheck]:
    checks = []
    codes = rule.country_codes
    if codes:
        listed = order.shipping_country.upper() in codes
        wanted_in = rule.country_mode == ReturnRule.CountryMode.IN
        text = (
            gettext("shipping country %(country)s is one of %(codes)s")
            if listed
            else gettext("shipping country %(country)s is not one of %(codes)s")
        )
        checks.append(
            ConditionCheck(
                text % {"country": order.shipping_country.upper(), "codes": ", ".join(codes)},
                ok=listed == wanted_in,
            )
        )
    if rule.channel:
        checks.append(
            ConditionCheck(
                gettext("channel: %(channel)s (rule: %(wanted)s)")
                % {
                    "channel": Return.Channel(channel).label,
                    "wanted": Return.Channel(rule.channel).label,
                },
                ok=channel == rule.channel,
            )
        )
    value = quantize(order.amount_paid, order.currency)
    if rule.min_order_value is not None:
        checks.append(
            ConditionCheck(
                gettext("order value %(value)s, at least %(bound)s")
                % {"value": value, "bound": rule.min_order_value},
                ok=value >= rule.min_order_value,
            )
        )
    if rule.max_order_value is not None:
        checks.append(
            ConditionCheck(
                gettext("order value %(value)s, at most %(bound)s")
                % {"value": value, "bound": rule.max_order_value},
                ok=value <= rule.max_order_value,
            )
        )
    if rule.min_days_since_delivery is not None or rule.max_days_since_delivery is not None:
        checks.append(_age_check(rule, order, now))
    return checks


def _age_check(rule: ReturnRule, order: Order, now) -> ConditionCheck:
    if order.delivered_at is None:
        return ConditionCheck(gettext("the order is not delivered yet"), ok=False)
    days = (now - order.delivered_at).days
    low, high = rule.min_days_since_delivery, rule.max_days_since_delivery
    ok = (low is None or days >= low) and (high is None or days <= high)
    if low is not None and high is not None:
        text = gettext("%(days)d days since delivery, between %(low)d and %(high)d")
    elif low is not None:
        text = gettext("%(days)d days since delivery, at least %(low)d")
    else:
        text = gettext("%(days)d days since delivery, at most %(high)d")
    return ConditionCheck(text % {"days": days, "low": low or 0, "high": high or 0}, ok=ok)


def _line_conditions(
    rule: ReturnRule, lines: list[_Line]
) -> tuple[list[ConditionCheck], tuple[int, ...]]:
    """One check per item condition (which items it holds for), and the items holding all."""
    tests = []
    if rule.product is not None:
        tests.append(
            (
                gettext("product is “%(name)s”") % {"name": rule.product.name},
                lambda line: line.order_line.variant.product_id == rule.product_id,
            )
        )
    if rule.category:
        wanted = rule.category.strip().lower()
        tests.append(
            (
                gettext("category is “%(name)s”") % {"name": rule.category},
                lambda line: line.order_line.variant.product.category.strip().lower() == wanted,
            )
        )
    if rule.reason is not None:
        code = rule.reason.code
        tests.append(
            (
                gettext("reason is “%(name)s”") % {"name": rule.reason.name},
                lambda line: line.reason_code == code,
            )
        )
    checks = []
    for text, test in tests:
        holding = [line.item for line in lines if test(line)]
        detail = (
            gettext("holds for %(items)s") % {"items": ", ".join(holding)}
            if holding
            else gettext("no item")
        )
        checks.append(ConditionCheck(f"{text} ({detail})", ok=bool(holding)))
    matching = tuple(
        line.order_line.pk for line in lines if all(test(line) for _text, test in tests)
    )
    if all(check.ok for check in checks) and not matching:
        checks.append(
            ConditionCheck(gettext("no single item meets every item condition"), ok=False)
        )
    return checks, matching


# --- what the matches decide ------------------------------------------------------------------


def _decide(
    order: Order, lines: list[_Line], checks: list[RuleCheck], shop_settings: ShopSettings
) -> RuleOutcome:
    currency = order.currency
    decided: dict[str, RuleCheck] = {}
    blocked: dict[int, BlockedLine] = {}
    blocking: set[int] = set()
    items = {line.order_line.pk: line.item for line in lines}
    for index, check in enumerate(checks):
        if not check.matched:
            continue
        kind = check.rule.kind
        if kind == RuleKind.BLOCK:
            newly = [line_id for line_id in check.line_ids if line_id not in blocked]
            for line_id in newly:
                blocked[line_id] = BlockedLine(
                    order_line_id=line_id,
                    item=items[line_id],
                    rule=check.rule,
                    message=check.rule.message,
                )
            if newly:
                blocking.add(index)
        elif kind not in decided:
            decided[kind] = check
    checks = [
        RuleCheck(
            rule=c.rule,
            matched=c.matched,
            conditions=c.conditions,
            line_ids=c.line_ids,
            applied=index in blocking or decided.get(c.rule.kind) is c,
        )
        for index, c in enumerate(checks)
    ]
    fee, fee_base = _fee(order, lines, decided.get(RuleKind.FEE), shop_settings)
    shipping = decided.get(RuleKind.SHIPPING)
    in_store = decided.get(RuleKind.IN_STORE)
    approval = decided.get(RuleKind.APPROVAL)
    return RuleOutcome(
        currency=currency,
        checks=tuple(checks),
        fee=fee,
        fee_rule=decided[RuleKind.FEE].rule if RuleKind.FEE in decided else None,
        fee_base=fee_base,
        blocked=blocked,
        shipping_method=shipping.rule.shipping_method if shipping else None,
        shipping_rule=shipping.rule if shipping else None,
        in_store_only=in_store is not None,
        in_store_rule=in_store.rule if in_store else None,
        auto_approve=approval is not None and approval.rule.action == RuleAction.AUTO_APPROVE,
        approval_rule=approval.rule if approval else None,
    )


def _fee(
    order: Order, lines: list[_Line], check: RuleCheck | None, shop_settings: ShopSettings
) -> tuple[Decimal, Decimal | None]:
    currency = order.currency
    if check is None:
        return quantize(shop_settings.default_return_fee, currency), None
    rule = check.rule
    if rule.action == RuleAction.FEE_FIXED:
        return quantize(rule.amount, currency), None
    base = items_value(
        order,
        {
            line.order_line.pk: line.quantity
            for line in lines
            if line.order_line.pk in check.line_ids
        },
    )
    assert rule.percent is not None  # a database check: a percent fee has one
    return quantize(base * rule.percent / Decimal(100), currency), base


def items_value(order: Order, quantities: dict[int, int]) -> Decimal:
    """What the customer paid for these units (their share of the order discount taken off):
    the items total of the refund quote they would get."""
    from refunds.quotes import quote_preview  # refunds builds on returns, not the reverse

    if not quantities:
        return quantize(ZERO, order.currency)
    return quote_preview(order=order, quantities=quantities, return_fee=ZERO).items_total


def blocked_lines_for_portal(
    order: Order, *, shop_settings: ShopSettings | None = None
) -> dict[int, BlockedLine]:
    """The order's items a customer cannot return from the portal whatever they choose (blocks
    that depend on the reason are known only once it is chosen: the service refuses them)."""
    return evaluate_rules(order, channel=Return.Channel.PORTAL, shop_settings=shop_settings).blocked
