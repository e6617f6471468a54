"""Evaluating the return rules against an order (and, when known, the lines and reasons).

Pure: reads only. `evaluate_rules` says which rules match and why, and what follows: the fees
(one line each), the lines that cannot be returned (with the customer's message), the shipping
method, in-store only, whether the return is approved at once, and the items the customer
keeps. The services apply the outcome; the portal shows it; the back-office's rule tester
explains it.

Rules are read in their order. The first matching rule of each kind of action wins (a postage
fee, a shipping method, in-store only, the approval); the item kinds are decided per item: each
item is blocked, charged a restocking fee, or kept by the first rule of that kind matching it.
Kinds add up: a postage fee and restocking fees are all charged, each a line of the quote.

- Postage: the first matching postage rule's amount, else the shop's default fee. None for a
  parcel dropped in store (chosen, or sent there by an in-store rule) unless the rule says so
  (`charge_in_store`); a rule may also ask for the method the parcel comes back with.
- Restocking: a percentage of the paid value of the items the rule decided, rounded once
  (shop.money.quantize), then held between the rule's minimum and maximum, never above that
  value (`FeeLine.on_base`; the quote charges it again on what actually came back).
- Our fault: an item returned for a reason the merchant marks as our fault
  (`ReturnReason.our_fault`) is charged no restocking fee and waives the postage (the parcel
  comes back because of us).
- Keep the item: when every item is kept by a keep rule, nothing comes back: no fee, no label,
  no restock (returns.services.keeping); a return where only some are is sent back as usual.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext

from returns.models import Return, ReturnReason
from returns.models.labels import ShippingMethod
from returns.models.rules import ITEM_KINDS, FeeLine, ReturnRule, RuleAction, RuleKind
from shop.memo import ProcessMemo
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
    # One line per fee charged, postage first (returns.models.rules.FEE_KINDS), each rounded.
    fees: tuple[FeeLine, ...] = ()
    postage_rule: ReturnRule | None = None
    restocking_rules: tuple[ReturnRule, ...] = ()
    # Postage waived: an item comes back for a reason that is our fault.
    postage_waived: bool = False
    blocked: dict[int, BlockedLine] = field(default_factory=dict)
    shipping_method: ShippingMethod | None = None
    shipping_rule: ReturnRule | None = None
    in_store_only: bool = False
    in_store_rule: ReturnRule | None = None
    auto_approve: bool = False
    approval_rule: ReturnRule | None = None
    # The items a keep rule lets the customer keep, and every item evaluated.
    kept: dict[int, ReturnRule] = field(default_factory=dict)
    line_ids: tuple[int, ...] = ()

    @property
    def fee(self) -> Decimal:
        """What the fees add up to (each line already rounded: the sum is exact)."""
        return quantize(sum((line.amount for line in self.fees), ZERO), self.currency)

    @property
    def fee_rule(self) -> ReturnRule | None:
        """The first rule that set a fee (the postage's, else a restocking one)."""
        return self.postage_rule or next(iter(self.restocking_rules), None)

    @property
    def fee_base(self) -> Decimal | None:
        """The paid value the first restocking fee is on."""
        return next((line.base for line in self.fees if line.base is not None), None)

    @property
    def keep_item(self) -> bool:
        """Every item is one the customer keeps: nothing comes back (no label, no restock)."""
        return bool(self.line_ids) and all(line_id in self.kept for line_id in self.line_ids)

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
        """Each fee line and where it comes from, for staff (the rule tester)."""
        rules = {rule.pk: rule for rule in (self.postage_rule, *self.restocking_rules) if rule}
        parts = [
            _explain(line, None if line.rule_id is None else rules.get(line.rule_id))
            for line in self.fees
        ]
        if self.postage_waived:
            parts.append(
                gettext("postage waived: an item comes back for a reason that is our fault")
            )
        return " + ".join(parts) or gettext("no fee")


def _explain(line: FeeLine, rule: ReturnRule | None) -> str:
    if rule is None:
        return gettext("the shop's default return fee")
    if line.percent is None:
        return gettext("rule “%(rule)s”") % {"rule": rule.name}
    text = gettext("%(percent)s %% of %(base)s (rule “%(rule)s”)") % {
        "percent": plain_number(line.percent),
        "base": line.base,
        "rule": rule.name,
    }
    bounds = []
    if rule.fee_min is not None:
        bounds.append(gettext("at least %(amount)s") % {"amount": rule.fee_min})
    if rule.fee_max is not None:
        bounds.append(gettext("at most %(amount)s") % {"amount": rule.fee_max})
    if bounds:
        text += " " + gettext("(%(bounds)s): %(amount)s") % {
            "bounds": ", ".join(bounds),
            "amount": line.amount,
        }
    return text


def plain_number(value: Decimal) -> str:
    """12.50 -> "12.5", 10.00 -> "10" (Decimal.normalize would write 1E+1)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class _Line:
    order_line: OrderLine
    quantity: int
    reason_code: str | None
    # Its reason is one the merchant marks as our fault: no fee on it.
    our_fault: bool = False

    @property
    def item(self) -> str:
        return str(self.order_line.variant)


def active_rules() -> list[ReturnRule]:
    return list(
        ReturnRule.objects.filter(active=True)
        .select_related("product", "reason", "shipping_method")
        .order_by("position", "id")
    )


# The active rules as pages show them: one query a request on every order page, for rows staff
# change a few times a year. Emptied by a save or delete of a rule or of what a rule reads with
# it (forget_rules, connected in returns/apps.py); at most MEMO_SECONDS old after a change in
# another process. The services decide on active_rules(), read under their locks.
RULES: ProcessMemo[tuple[ReturnRule, ...]] = ProcessMemo()


def page_rules() -> list[ReturnRule]:
    """The active rules in order, as pages show them (at most MEMO_SECONDS old from another
    process): never for a decision a service takes."""
    # A new list each time: a caller may sort or extend it, the memo's stays as read.
    return list(RULES.get("active", lambda: tuple(active_rules())))


def forget_rules(**_signal: object) -> None:
    """A rule, a reason, a shipping method or a product changed (a signal receiver)."""
    RULES.clear()


def evaluate_rules(
    order: Order,
    *,
    channel: str,
    lines: Iterable[tuple[OrderLine | int, int]] | None = None,
    reason_codes: Mapping[int, str] | None = None,
    rules: list[ReturnRule] | None = None,
    now=None,
    shop_settings: ShopSettings | None = None,
    delivery_option: str | None = None,
    our_fault_codes: Collection[str] | None = None,
    order_lines: Iterable[OrderLine] | None = None,
) -> RuleOutcome:
    """The rules' verdict on returning `lines` of `order` through `channel`.

    `lines` are (order line or its id, quantity) pairs; None means every line of the order at
    its ordered quantity (what the portal looks at before anything is chosen). `reason_codes`
    maps order line ids to reason codes; a rule on a reason does not match an item whose reason
    is not known. `rules` defaults to the active rules in order. `delivery_option` is the one
    chosen (None: not chosen yet, counted as sent back with a label). `our_fault_codes`: the
    reasons that are our fault among `reason_codes` (None: read from the reasons).
    `order_lines`: the order's lines with their variants and products, when the caller has read
    them already (every line when `lines` is None, at least those of `lines` otherwise; None:
    read here).
    """
    rules = active_rules() if rules is None else rules
    shop_settings = shop_settings or ShopSettings.load()
    now = now or timezone.now()
    codes = reason_codes or {}
    if our_fault_codes is None:
        our_fault_codes = _our_fault_codes(codes.values())
    chosen = _lines(order, lines, codes, set(our_fault_codes), order_lines)
    checks: list[RuleCheck | None] = [
        None
        if rule.kind == RuleKind.POSTAGE
        else _check(rule, order, chosen, channel=channel, now=now)
        for rule in rules
    ]
    # Postage depends on how the parcel comes back, which the other rules decide first.
    way_back = _way_back(rules, checks, delivery_option)
    all_checks = [
        check
        if check is not None
        else _check(rule, order, chosen, channel=channel, now=now, way_back=way_back)
        for rule, check in zip(rules, checks, strict=True)
    ]
    return _decide(order, chosen, all_checks, shop_settings, way_back)


def _our_fault_codes(codes: Iterable[str]) -> set[str]:
    wanted = set(codes)
    if not wanted:
        return set()
    return set(
        ReturnReason.objects.filter(code__in=wanted, our_fault=True).values_list("code", flat=True)
    )


@dataclass(frozen=True)
class _WayBack:
    """How the parcel comes back, as the shipping and in-store rules decide it."""

    in_store: bool
    method: ShippingMethod | None


def _way_back(
    rules: list[ReturnRule], checks: list[RuleCheck | None], delivery_option: str | None
) -> _WayBack:
    matched = [check for check in checks if check is not None and check.matched]
    ship_with = next((c for c in matched if c.rule.kind == RuleKind.SHIPPING), None)
    # As returns.policy.delivery_option_for says: an in-store rule sends the items in store.
    in_store = delivery_option == Return.DeliveryOption.IN_STORE or any(
        c.rule.kind == RuleKind.IN_STORE for c in matched
    )
    method = ship_with.rule.shipping_method if ship_with else None
    if method is None and any(rule.ships_with_id for rule in rules):
        method = ShippingMethod.default()
    return _WayBack(in_store=in_store, method=method)


def _lines(
    order: Order,
    lines,
    reason_codes: Mapping[int, str],
    our_fault_codes: set[str],
    read: Iterable[OrderLine] | None = None,
) -> list[_Line]:
    if read is None:
        read = order.lines.select_related("variant__product").order_by("id")
    order_lines = {line.pk: line for line in sorted(read, key=lambda line: line.pk)}
    if lines is None:
        pairs = [(line, line.quantity) for line in order_lines.values()]
    else:
        pairs = [
            (order_lines[item if isinstance(item, int) else item.pk], quantity)
            for item, quantity in lines
        ]
    return [
        _Line(
            order_line=line,
            quantity=quantity,
            reason_code=reason_codes.get(line.pk),
            our_fault=reason_codes.get(line.pk) in our_fault_codes,
        )
        for line, quantity in pairs
        if quantity > 0
    ]


# --- one rule against the order ---------------------------------------------------------------


def _check(
    rule: ReturnRule,
    order: Order,
    lines: list[_Line],
    *,
    channel: str,
    now,
    way_back: _WayBack | None = None,
) -> RuleCheck:
    conditions = _order_conditions(rule, order, channel=channel, now=now)
    if way_back is not None:
        conditions += _way_back_conditions(rule, way_back)
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


def _way_back_conditions(rule: ReturnRule, way_back: _WayBack) -> list[ConditionCheck]:
    """A postage fee's conditions on how the parcel comes back."""
    checks = []
    if way_back.in_store and not rule.charge_in_store:
        checks.append(
            ConditionCheck(
                gettext("dropped in store: no postage unless the rule says so"), ok=False
            )
        )
    if rule.ships_with is not None:
        method = way_back.method
        checks.append(
            ConditionCheck(
                gettext("comes back with %(method)s (rule: %(wanted)s)")
                % {"method": method.name if method else "-", "wanted": rule.ships_with.name},
                ok=method is not None and method.pk == rule.ships_with_id,
            )
        )
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
    if rule.item_value_below is not None:
        threshold = rule.item_value_below
        tests.append(
            (
                gettext("price paid below %(amount)s") % {"amount": threshold},
                lambda line: line.order_line.unit_price_paid < threshold,
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
    order: Order,
    lines: list[_Line],
    checks: list[RuleCheck],
    shop_settings: ShopSettings,
    way_back: _WayBack,
) -> RuleOutcome:
    line_ids = tuple(line.order_line.pk for line in lines)
    kept = _first_per_item(checks, RuleKind.KEEP, excluded=set())
    keeps_everything = bool(line_ids) and all(line_id in kept for line_id in line_ids)
    blocked = _first_per_item(checks, RuleKind.BLOCK, excluded=set())
    decided: dict[str, RuleCheck] = {}
    for check in checks:
        if check.matched and check.rule.kind not in ITEM_KINDS:
            decided.setdefault(check.rule.kind, check)
    fees = (
        _Fees()
        if keeps_everything  # nothing comes back: no postage, nothing to restock
        else _fees(order, lines, checks, decided.get(RuleKind.POSTAGE), shop_settings, way_back)
    )
    deciding = {id(check) for check in (*kept.values(), *blocked.values(), *fees.deciding)}
    deciding |= {id(check) for kind, check in decided.items() if kind != RuleKind.POSTAGE}
    items = {line.order_line.pk: line.item for line in lines}
    shipping = decided.get(RuleKind.SHIPPING)
    in_store = decided.get(RuleKind.IN_STORE)
    approval = decided.get(RuleKind.APPROVAL)
    return RuleOutcome(
        currency=order.currency,
        checks=tuple(replace(check, applied=id(check) in deciding) for check in checks),
        fees=fees.lines,
        postage_rule=fees.postage_rule,
        restocking_rules=fees.restocking_rules,
        postage_waived=fees.postage_waived,
        blocked={
            line_id: BlockedLine(
                order_line_id=line_id,
                item=items[line_id],
                rule=check.rule,
                message=check.rule.message,
            )
            for line_id, check in blocked.items()
        },
        shipping_method=shipping.rule.shipping_method if shipping else None,
        shipping_rule=shipping.rule if shipping else None,
        in_store_only=in_store is not None,
        in_store_rule=in_store.rule if in_store else None,
        auto_approve=approval is not None and approval.rule.action == RuleAction.AUTO_APPROVE,
        approval_rule=approval.rule if approval else None,
        kept={line_id: check.rule for line_id, check in kept.items()},
        line_ids=line_ids,
    )


@dataclass(frozen=True)
class _Fees:
    lines: tuple[FeeLine, ...] = ()
    postage_rule: ReturnRule | None = None
    restocking_rules: tuple[ReturnRule, ...] = ()
    postage_waived: bool = False
    deciding: tuple[RuleCheck, ...] = ()  # the checks whose rule set a fee


def _fees(
    order: Order,
    lines: list[_Line],
    checks: list[RuleCheck],
    postage_check: RuleCheck | None,
    shop_settings: ShopSettings,
    way_back: _WayBack,
) -> _Fees:
    """The fees, which add up: the postage (waived when an item comes back for a reason that
    is our fault), then a restocking fee per rule on the items it decided (none on an item
    that is our fault)."""
    our_fault = {line.order_line.pk for line in lines if line.our_fault}
    postage = _postage(order, postage_check, shop_settings, way_back)
    waived = bool(postage) and bool(our_fault)
    if waived:
        postage = []
    restocked = _first_per_item(checks, RuleKind.RESTOCKING, excluded=our_fault)
    restocking = _restocking(order, lines, restocked)
    postage_rule = postage_check.rule if postage_check is not None else None
    return _Fees(
        lines=(*postage, *(line for line, _rule in restocking)),
        postage_rule=postage_rule,
        restocking_rules=tuple(rule for _line, rule in restocking),
        postage_waived=waived,
        deciding=(
            *([postage_check] if postage_check is not None else []),
            *restocked.values(),
        ),
    )


def _first_per_item(
    checks: list[RuleCheck], kind: str, *, excluded: set[int]
) -> dict[int, RuleCheck]:
    """Each item (order line id) with the first matching rule of `kind` that holds for it."""
    first: dict[int, RuleCheck] = {}
    for check in checks:
        if check.matched and check.rule.kind == kind:
            for line_id in check.line_ids:
                if line_id not in excluded:
                    first.setdefault(line_id, check)
    return first


def _postage(
    order: Order, check: RuleCheck | None, shop_settings: ShopSettings, way_back: _WayBack
) -> list[FeeLine]:
    """The postage fee: the first matching postage rule's, else the shop's default (none in
    store: a rule charges in-store drop-offs only when it says so)."""
    currency = order.currency
    if check is None:
        amount = quantize(shop_settings.default_return_fee, currency)
        if not amount or way_back.in_store:
            return []
        return [FeeLine(kind=RuleKind.POSTAGE, amount=amount)]
    rule = check.rule
    names = rule.quote_names()
    return [
        FeeLine(
            kind=RuleKind.POSTAGE,
            amount=quantize(rule.amount, currency),
            name_fr=names["fr"],
            name_en=names["en"],
            rule_id=rule.pk,
        )
    ]


def _restocking(
    order: Order, lines: list[_Line], restocked: dict[int, RuleCheck]
) -> list[tuple[FeeLine, ReturnRule]]:
    """One restocking fee per rule, on the paid value of the items it decided."""
    quantities = {line.order_line.pk: line.quantity for line in lines}
    per_rule: dict[int, tuple[ReturnRule, dict[int, int]]] = {}
    for line_id, check in restocked.items():
        rule = check.rule
        per_rule.setdefault(id(check), (rule, {}))[1][line_id] = quantities[line_id]
    fees = []
    for rule, units in sorted(per_rule.values(), key=lambda pair: (pair[0].position, pair[0].pk)):
        base = items_value(order, units)
        names = rule.quote_names()
        line = FeeLine(
            kind=RuleKind.RESTOCKING,
            amount=ZERO,
            name_fr=names["fr"],
            name_en=names["en"],
            rule_id=rule.pk,
            percent=rule.percent,
            fee_min=rule.fee_min,
            fee_max=rule.fee_max,
            order_line_ids=tuple(sorted(units)),
        ).on_base(base, order.currency)
        fees.append((line, rule))
    return fees


def items_value(order: Order, quantities: dict[int, int]) -> Decimal:
    """What the customer paid for these units (their share of the order discount taken off):
    the items total of the refund quote they would get."""
    from refunds.quotes import quote_preview  # refunds builds on returns, not the reverse

    if not quantities:
        return quantize(ZERO, order.currency)
    return quote_preview(order=order, quantities=quantities, return_fee=ZERO).items_total


def blocked_lines_for_portal(
    order: Order,
    *,
    shop_settings: ShopSettings | None = None,
    order_lines: Sequence[OrderLine] | None = None,
    rules: list[ReturnRule] | None = None,
) -> dict[int, BlockedLine]:
    """The order's items a customer cannot return from the portal whatever they choose (blocks
    that depend on the reason are known only once it is chosen: the service refuses them).
    `order_lines`, `rules`: as evaluate_rules takes them."""
    return evaluate_rules(
        order,
        channel=Return.Channel.PORTAL,
        shop_settings=shop_settings,
        order_lines=order_lines,
        rules=rules,
    ).blocked
