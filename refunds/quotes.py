"""The refund quote: what the merchant owes for a return, line by line, the way a person checks it.

`quote_for_return(ret)` is the one function the back-office, the portal, the commands and the
refund services call. A list quotes its rows with the same computation from its orders' facts,
read at once (load_order_facts) or as columns of the list's own query (with_order_facts), then
quote_from_facts per row. Its rules:

- Items: unit price paid × returned quantity, then minus the item's share of the order-level
  discount. The discount is shared over the order's lines pro rata of their totals; the cents
  left over go to the largest remainders, ties to the lowest line id. Within a line, the share
  is spread over its units cumulatively (the units before this return's are those of the
  order's earlier live returns), so several returns of one line add up to the line exactly.
- Original shipping: only when, counting this return and the order's other live returns, every
  ordered unit comes back; then only on the latest of those returns, and never when another
  return's live refund already included it (a return whose own live refund included it keeps
  it, even when a later return now completes the order: the shipping is refunded once). When a
  unit stops coming back (another return cancelled, rejected, expired), the shipping is no
  longer owed, refund or not: what was refunded beyond is owed back (`refunds.money`).
  Exchanges keep the order alive (the customer gets goods back), so they neither get nor count
  towards the shipping.
- Fees: one line per fee of the return (`Return.fee_lines`: postage, restocking, or staff's),
  with the name its rule gives it in both languages; a restocking fee on the paid value of its
  lines' units counted here (received, once received: `FeeLine.on_base`); together never more
  than the items' total (`cap_fees`: the later lines give way).
- Exchange: per line, the price of the variant it wants (ReturnLine.exchange_variant) × the
  line's returned quantity is deducted, one exchange line each, summed in `exchange_cost`; when
  the items wanted cost more than what came back, the quote is zero and `amount_due` is what
  the customer owes.
- Total: never below zero, never above what the order paid minus its other returns' live
  refunds; a "cap" line explains either adjustment, so the lines always add up to the total.
- Quantities: requested while the return is open, received once it is received; when they
  differ, item lines carry `requested_quantity` and the quote `requested_total`.

Every amount is rounded to the order currency's minor unit (JPY: none).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db.models import Aggregate, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import JSONArray
from django.utils.translation import get_language, gettext

from refunds.models import LIVE_REFUND_STATUSES, Refund
from returns.models import LIVE_STATUSES, FeeLine, Return, ReturnLine, ReturnStatus, RuleKind
from shop.models import Order, OrderLine, Product, Variant
from shop.money import MINOR_UNITS, ZERO, quantize
from shop.templatetags.money import money

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

ITEM = "item"
DISCOUNT = "discount"
SHIPPING = "shipping"
FEE = "fee"
EXCHANGE = "exchange"
DUE = "due"
CAP = "cap"

# Why a cap line adjusts the total (QuoteLine.subject of a "cap" line).
CAP_NOT_NEGATIVE = "not_negative"
CAP_PAID_LIMIT = "paid_limit"

BASIS_REQUESTED = "requested"
BASIS_RECEIVED = "received"

# Once a parcel is received, its lines count what actually came back.
RECEIVED_STATUSES = (ReturnStatus.RECEIVED, ReturnStatus.COMPLETED)

JSON_VERSION = 1


@dataclass(frozen=True)
class QuoteLine:
    """One line of a quote. `amount` is signed: what it adds to (or takes from) the total."""

    kind: str
    amount: Decimal
    quantity: int | None = None
    unit_amount: Decimal | None = None
    # The item's name on item, discount and exchange lines; the reason on a cap line.
    subject: str = ""
    order_line_id: int | None = None
    # On item lines of a received return, when fewer units came back than were requested.
    requested_quantity: int | None = None
    # On fee lines: the fee's name in both languages (subject is its kind).
    name_fr: str = ""
    name_en: str = ""

    @property
    def label(self) -> str:
        """The line's label in the active language (rebuilt, so a frozen quote translates too)."""
        if self.kind == ITEM:
            return self.subject
        if self.kind == DISCOUNT:
            return gettext("Share of the order discount: %(item)s") % {"item": self.subject}
        if self.kind == SHIPPING:
            return gettext("Original shipping")
        if self.kind == FEE:
            return self._fee_label()
        if self.kind == EXCHANGE:
            return gettext("Exchanged for: %(item)s") % {"item": self.subject}
        if self.kind == DUE:
            return gettext("Owed by the customer for the exchange")
        if self.subject == CAP_NOT_NEGATIVE:
            return gettext("A refund is never below zero")
        return gettext("Limited to what the order paid minus what was already refunded")

    def _fee_label(self) -> str:
        english = (get_language() or "fr").startswith("en")
        name = self.name_en if english else self.name_fr
        if name:
            return name
        if self.subject == RuleKind.POSTAGE:
            return gettext("Return postage")
        if self.subject == RuleKind.RESTOCKING:
            return gettext("Restocking fee")
        return gettext("Return fee")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "amount": str(self.amount),
            "quantity": self.quantity,
            "unit_amount": None if self.unit_amount is None else str(self.unit_amount),
            "subject": self.subject,
            "order_line_id": self.order_line_id,
            "requested_quantity": self.requested_quantity,
            "name_fr": self.name_fr,
            "name_en": self.name_en,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QuoteLine:
        unit = data.get("unit_amount")
        return cls(
            kind=data["kind"],
            amount=Decimal(data["amount"]),
            quantity=data.get("quantity"),
            unit_amount=None if unit is None else Decimal(unit),
            subject=data.get("subject", ""),
            order_line_id=data.get("order_line_id"),
            requested_quantity=data.get("requested_quantity"),
            name_fr=data.get("name_fr", ""),
            name_en=data.get("name_en", ""),
        )


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: tuple[QuoteLine, ...]
    items_total: Decimal
    shipping: Decimal
    fee: Decimal
    total: Decimal
    basis: str = BASIS_REQUESTED
    # The total on the requested quantities, when the received ones differ.
    requested_total: Decimal | None = None
    exchange_cost: Decimal = ZERO
    amount_due: Decimal = ZERO

    @property
    def includes_shipping(self) -> bool:
        return self.shipping > 0

    @property
    def quantities_differ(self) -> bool:
        return self.requested_total is not None

    def cap_lines(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.kind == CAP]

    def summary(self) -> str:
        """One line a person can check, in the active language and its money format:
        "items €32.73 + original shipping €6.00 - return fee €5.00 = €33.73"."""
        currency = self.currency
        parts = [gettext("items %(amount)s") % {"amount": money(self.items_total, currency)}]
        if self.shipping:
            parts.append(
                gettext("+ original shipping %(amount)s")
                % {"amount": money(self.shipping, currency)}
            )
        if self.fee:
            parts.append(gettext("- return fee %(amount)s") % {"amount": money(self.fee, currency)})
        if self.exchange_cost:
            parts.append(
                gettext("- exchange %(amount)s") % {"amount": money(self.exchange_cost, currency)}
            )
        for line in self.cap_lines():
            sign = "+" if line.amount > 0 else "-"
            parts.append(f"{sign} {money(abs(line.amount), currency)} ({line.label})")
        text = " ".join(parts) + f" = {money(self.total, currency)}"
        if self.amount_due:
            text += " " + gettext("(the customer owes %(amount)s)") % {
                "amount": money(self.amount_due, currency)
            }
        return text

    def to_json(self) -> dict[str, Any]:
        """A plain dict for a JSONField: what a refund freezes at its creation."""
        return {
            "version": JSON_VERSION,
            "currency": self.currency,
            "basis": self.basis,
            "lines": [line.to_json() for line in self.lines],
            "items_total": str(self.items_total),
            "shipping": str(self.shipping),
            "fee": str(self.fee),
            "total": str(self.total),
            "requested_total": None if self.requested_total is None else str(self.requested_total),
            "exchange_cost": str(self.exchange_cost),
            "amount_due": str(self.amount_due),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Quote:
        """Rebuild a frozen quote (e.g. `Quote.from_json(refund.quote)`) to display it."""
        requested = data.get("requested_total")
        return cls(
            currency=data["currency"],
            lines=tuple(QuoteLine.from_json(line) for line in data["lines"]),
            items_total=Decimal(data["items_total"]),
            shipping=Decimal(data["shipping"]),
            fee=Decimal(data["fee"]),
            total=Decimal(data["total"]),
            basis=data.get("basis", BASIS_REQUESTED),
            requested_total=None if requested is None else Decimal(requested),
            exchange_cost=Decimal(data.get("exchange_cost", "0")),
            amount_due=Decimal(data.get("amount_due", "0")),
        )


# --- money in minor units (integers), so that shares add up to the cent ----------------------


def _to_minor(amount: Decimal, currency: str) -> int:
    return int(quantize(amount, currency).scaleb(MINOR_UNITS[currency]))


def _from_minor(units: int, currency: str) -> Decimal:
    return quantize(Decimal(units).scaleb(-MINOR_UNITS[currency]), currency)


def allocate_discount(line_totals: dict[int, int], discount: int) -> dict[int, int]:
    """Share `discount` (minor units) over lines pro rata of their totals (minor units).

    Each line gets the floor of its exact share; the cents left go one each to the largest
    remainders, ties to the lowest line id. A discount above the lines' sum is limited to it.
    """
    whole = sum(line_totals.values())
    if whole <= 0 or discount <= 0:
        return {line_id: 0 for line_id in line_totals}
    discount = min(discount, whole)
    shares, remainders = {}, []
    for line_id, total in line_totals.items():
        shares[line_id], remainder = divmod(discount * total, whole)
        remainders.append((-remainder, line_id))
    left = discount - sum(shares.values())
    for _remainder, line_id in sorted(remainders)[:left]:
        shares[line_id] += 1
    return shares


def _share_of_units(share: int, ordered: int, units: int) -> int:
    """The part of a line's discount share (minor units) carried by its first `units` units,
    rounded half up; differences of this add up exactly to the share."""
    units = max(0, min(units, ordered))
    return (2 * share * units + ordered) // (2 * ordered)


# --- what the quote is computed from ---------------------------------------------------------


@dataclass(frozen=True)
class _Held:
    """Units of an order line held by one return."""

    ret_id: int
    is_exchange: bool
    order_line_id: int
    requested: int
    received: int | None
    counted_as_received: bool
    # Only live returns hold units; a quoted return that is no longer live still has lines.
    live: bool = True
    # The item the line wants in exchange, if any: its label and price.
    exchange: _ExchangeItem | None = None

    @property
    def effective(self) -> int:
        if self.counted_as_received and self.received is not None:
            return self.received
        return self.requested


@dataclass(frozen=True)
class _ExchangeItem:
    name: str
    price: Decimal


@dataclass(frozen=True)
class _OrderLineInfo:
    id: int
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class LiveRefund:
    """A refund that holds money (pending or refunded), as the quotes and the money state
    read it."""

    ret_id: int
    amount: Decimal
    includes_shipping: bool
    status: str


@dataclass(frozen=True)
class OrderFacts:
    """What the quotes of an order's returns are computed from, read once for all of them."""

    order: Order
    order_lines: tuple[_OrderLineInfo, ...]
    held: tuple[_Held, ...]  # the lines of the order's live returns and of the quoted ones
    live_refunds: tuple[LiveRefund, ...]

    @property
    def currency(self) -> str:
        return self.order.currency


@dataclass(frozen=True)
class _Inputs:
    ret_id: int
    currency: str
    amount_paid: Decimal
    shipping_cost: Decimal
    fees: tuple[FeeLine, ...]
    is_exchange: bool
    # By order line id: the item each of the return's lines wants in exchange (exchanges only).
    exchanges: dict[int, _ExchangeItem]
    order_lines: tuple[_OrderLineInfo, ...]
    discount_shares: dict[int, int]
    others: tuple[_Held, ...]  # the order's other live returns' lines
    own: tuple[_Held, ...] = field(default_factory=tuple)
    other_refunds_total: Decimal = ZERO
    shipping_already_refunded: bool = False
    # This return's own live refund included the shipping: a later return does not take it.
    shipping_refunded_here: bool = False


# The rows an order's facts are built from, whichever way they are read: its lines, the lines of
# its live returns (and of the quoted ones), its live refunds.
_ORDER_LINE_FIELDS = (
    "id",
    "variant__product__name_fr",
    "variant__product__name_en",
    "variant__option_fr",
    "variant__option_en",
    "variant__sku",
    "quantity",
    "unit_price_paid",
)
_HELD_FIELDS = (
    "ret_id",
    "ret__status",
    "ret__refund_mode",
    "order_line_id",
    "quantity",
    "received_quantity",
    "exchange_variant__product__name_fr",
    "exchange_variant__product__name_en",
    "exchange_variant__option_fr",
    "exchange_variant__option_en",
    "exchange_variant__sku",
    "exchange_variant__price",
)
_REFUND_FIELDS = ("ret_id", "amount", "includes_shipping", "status")
# Rows of values_list or of their JSON: one list of values each, in the order of the fields above.
_Rows = list[list[Any]]


def load_order_facts(orders: list[Order], quoted_ids: set[int]) -> dict[int, OrderFacts]:
    """Per order id, the facts the quotes of its returns need: three queries, however many
    orders and returns. `quoted_ids` are the returns to quote (live or not)."""
    order_ids = [order.id for order in orders]
    # Per order: its lines, the return lines holding them, its live refunds.
    rows: dict[int, tuple[_Rows, _Rows, _Rows]] = {order_id: ([], [], []) for order_id in order_ids}
    order_lines = OrderLine.objects.filter(order_id__in=order_ids)
    for order_id, *row in order_lines.values_list("order_id", *_ORDER_LINE_FIELDS):
        rows[order_id][0].append(row)
    held = ReturnLine.objects.filter(order_line__order_id__in=order_ids).filter(
        Q(ret__status__in=LIVE_STATUSES) | Q(ret_id__in=quoted_ids)
    )
    for order_id, *row in held.values_list("order_line__order_id", *_HELD_FIELDS):
        rows[order_id][1].append(row)
    refunds = Refund.objects.filter(order_id__in=order_ids, status__in=LIVE_REFUND_STATUSES)
    for order_id, *row in refunds.values_list("order_id", *_REFUND_FIELDS):
        rows[order_id][2].append(row)
    return {order.id: _facts(order, *rows[order.id]) for order in orders}


def with_order_facts(returns: QuerySet[Return]) -> QuerySet[Return]:
    """`returns` with each one's order facts as JSON columns of their own query, so that a page
    of them is quoted (order_facts_of) with no query more."""
    held = ReturnLine.objects.filter(order_line__order_id=OuterRef("order_id")).filter(
        Q(ret__status__in=LIVE_STATUSES) | Q(ret_id=OuterRef("pk"))
    )
    return returns.annotate(
        facts_order_lines=_json_rows(
            OrderLine.objects.filter(order_id=OuterRef("order_id")), "order_id", _ORDER_LINE_FIELDS
        ),
        facts_held=_json_rows(held, "order_line__order_id", _HELD_FIELDS),
        facts_refunds=_json_rows(
            Refund.objects.filter(order_id=OuterRef("order_id"), status__in=LIVE_REFUND_STATUSES),
            "order_id",
            _REFUND_FIELDS,
        ),
    )


# The columns with_order_facts adds, in the order facts_from_columns takes them.
FACTS_COLUMNS = ("facts_order_lines", "facts_held", "facts_refunds")


def order_facts_of(ret: Return) -> OrderFacts:
    """The facts of `ret`'s order from the columns with_order_facts added to its row."""
    return facts_from_columns(ret.order, *(getattr(ret, name) for name in FACTS_COLUMNS))


def facts_from_columns(
    order: Order, order_lines: str | None, held: str | None, refunds: str | None
) -> OrderFacts:
    """The facts of `order` from the JSON columns with_order_facts adds (FACTS_COLUMNS), read
    with the return's row or on their own (refunds.money.money_columns)."""
    return _facts(order, _parse_rows(order_lines), _parse_rows(held), _parse_rows(refunds))


class _JSONRows(Aggregate):
    """The rows of a subquery as one JSON text, [[...], ...] (SQLite and PostgreSQL)."""

    function = "JSON_GROUP_ARRAY"
    output_field = TextField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> _AsSqlType:
        return super().as_sql(
            compiler,
            connection,
            function="JSONB_AGG",
            template="%(function)s(%(expressions)s)::text",
            **extra_context,
        )


def _json_rows(queryset: QuerySet[Any], group: str, fields: tuple[str, ...]) -> Subquery:
    rows = queryset.order_by().values(group).annotate(rows=_JSONRows(JSONArray(*fields)))
    return Subquery(rows.values("rows"), output_field=TextField())


def _parse_rows(text: str | None) -> _Rows:
    # Amounts stay exact: a JSON number is read as a Decimal, never a float.
    return json.loads(text, parse_float=Decimal) if text else []


def _variant_label(names: list[str], sku: str) -> str:
    """The variant's own label, in the active language, from the row's names."""
    return _label_of(*names, sku, get_language())


@lru_cache(maxsize=4096)
def _label_of(
    product_fr: str, product_en: str, option_fr: str, option_en: str, sku: str, language: str | None
) -> str:
    # Variant.label_in says what a label is; making a Product and a Variant to ask it cost more
    # than the rest of a line's quote (every line of a list's page, every page), so each
    # process asks it once per names and language. Keyed by the names themselves: a renamed
    # product is another key, never a stale label.
    product = Product(name_fr=product_fr, name_en=product_en)
    variant = Variant(product=product, option_fr=option_fr, option_en=option_en, sku=sku)
    return variant.label_in(language)


def _facts(order: Order, line_rows: _Rows, held_rows: _Rows, refund_rows: _Rows) -> OrderFacts:
    currency = order.currency
    order_lines = (
        _OrderLineInfo(
            id=line_id,
            # The variant's own name, from the row's parts.
            name=_variant_label(names, sku),
            quantity=quantity,
            unit_price=quantize(Decimal(price), currency),
        )
        for line_id, *names, sku, quantity, price in sorted(line_rows)
    )
    held = (
        _Held(
            ret_id=ret_id,
            is_exchange=mode == Return.RefundMode.EXCHANGE,
            order_line_id=line_id,
            requested=quantity,
            received=received,
            counted_as_received=status in RECEIVED_STATUSES,
            live=status in LIVE_STATUSES,
            exchange=(
                None
                if sku is None
                else _ExchangeItem(
                    name=_variant_label(names, sku), price=quantize(Decimal(price), currency)
                )
            ),
        )
        for ret_id, status, mode, line_id, quantity, received, *names, sku, price in held_rows
    )
    refunds = (
        LiveRefund(ret_id, quantize(Decimal(amount), currency), bool(with_shipping), status)
        for ret_id, amount, with_shipping, status in refund_rows
    )
    return OrderFacts(
        order=order, order_lines=tuple(order_lines), held=tuple(held), live_refunds=tuple(refunds)
    )


def _inputs(
    facts: OrderFacts,
    *,
    ret_id: int,
    fees: list[FeeLine],
    refund_mode: str,
    exchange_variants: dict[int, Variant] | None = None,
) -> _Inputs:
    """What a quote of return `ret_id` on the facts' order is computed from: the items its
    lines want in exchange are the facts' (a saved return) or `exchange_variants` (by order
    line id, a preview)."""
    order, currency = facts.order, facts.currency
    other_refunds = [refund for refund in facts.live_refunds if refund.ret_id != ret_id]
    is_exchange = refund_mode == Return.RefundMode.EXCHANGE
    own = tuple(
        sorted((h for h in facts.held if h.ret_id == ret_id), key=lambda h: h.order_line_id)
    )
    if exchange_variants is not None:
        exchanges = {
            line_id: _ExchangeItem(name=str(variant), price=quantize(variant.price, currency))
            for line_id, variant in exchange_variants.items()
        }
    else:
        exchanges = {h.order_line_id: h.exchange for h in own if h.exchange is not None}
    return _Inputs(
        ret_id=ret_id,
        currency=currency,
        amount_paid=quantize(order.amount_paid, currency),
        shipping_cost=quantize(order.shipping_cost, currency),
        # Stored with two decimals whatever the currency: written in its own (yen: none).
        fees=tuple(replace(fee, amount=quantize(fee.amount, currency)) for fee in fees),
        is_exchange=is_exchange,
        exchanges=exchanges if is_exchange else {},
        order_lines=facts.order_lines,
        discount_shares=allocate_discount(
            {
                line.id: _to_minor(line.unit_price * line.quantity, currency)
                for line in facts.order_lines
            },
            _to_minor(order.discount, currency),
        ),
        others=tuple(h for h in facts.held if h.ret_id != ret_id and h.live),
        own=own,
        other_refunds_total=sum((refund.amount for refund in other_refunds), ZERO),
        shipping_already_refunded=any(refund.includes_shipping for refund in other_refunds),
        shipping_refunded_here=any(
            refund.includes_shipping for refund in facts.live_refunds if refund.ret_id == ret_id
        ),
    )


# --- the computation (pure) ------------------------------------------------------------------


def _item_lines(inputs: _Inputs, own_units: dict[int, int]) -> list[QuoteLine]:
    currency = inputs.currency
    lines = []
    for order_line in inputs.order_lines:
        if order_line.id not in own_units:
            continue
        units = own_units[order_line.id]
        lines.append(
            QuoteLine(
                kind=ITEM,
                quantity=units,
                unit_amount=order_line.unit_price,
                amount=quantize(order_line.unit_price * units, currency),
                subject=order_line.name,
                order_line_id=order_line.id,
            )
        )
        before = sum(
            h.effective
            for h in inputs.others
            if h.order_line_id == order_line.id and h.ret_id < inputs.ret_id
        )
        share = inputs.discount_shares[order_line.id]
        portion = _share_of_units(share, order_line.quantity, before + units) - _share_of_units(
            share, order_line.quantity, before
        )
        if portion:
            lines.append(
                QuoteLine(
                    kind=DISCOUNT,
                    amount=-_from_minor(portion, currency),
                    subject=order_line.name,
                    order_line_id=order_line.id,
                )
            )
    return lines


def _shipping_applies(inputs: _Inputs, own_units: dict[int, int]) -> bool:
    if inputs.is_exchange or inputs.shipping_cost <= 0 or inputs.shipping_already_refunded:
        return False
    if sum(own_units.values()) == 0:
        return False
    coming_back = dict(own_units)
    for held in inputs.others:
        if held.is_exchange or held.effective == 0:
            continue
        if held.ret_id > inputs.ret_id and not inputs.shipping_refunded_here:
            # A later return completes the order: the shipping is its own, unless this return's
            # live refund paid it already (that later return then gets none: one shipping).
            return False
        coming_back[held.order_line_id] = coming_back.get(held.order_line_id, 0) + held.effective
    return all(coming_back.get(line.id, 0) >= line.quantity for line in inputs.order_lines)


def _compute(inputs: _Inputs, own_units: dict[int, int], basis: str) -> Quote:
    currency = inputs.currency
    lines = _item_lines(inputs, own_units)
    items_total = sum((line.amount for line in lines), ZERO)
    shipping = inputs.shipping_cost if _shipping_applies(inputs, own_units) else ZERO
    if shipping:
        lines.append(QuoteLine(kind=SHIPPING, amount=shipping))
    fee_lines = _fee_lines(_fees_on(inputs.fees, lines, currency), items_total)
    lines.extend(fee_lines)
    fee = -sum((line.amount for line in fee_lines), ZERO)
    exchange_cost = ZERO
    for order_line_id, units in sorted(own_units.items()):
        wanted = inputs.exchanges.get(order_line_id)
        if wanted is None or not units:
            continue
        cost = quantize(wanted.price * units, currency)
        exchange_cost += cost
        lines.append(
            QuoteLine(
                kind=EXCHANGE,
                amount=-cost,
                quantity=units,
                unit_amount=wanted.price,
                subject=wanted.name,
                order_line_id=order_line_id,
            )
        )
    total = items_total + shipping - fee - exchange_cost
    amount_due = ZERO
    if total < 0 and exchange_cost:
        amount_due = -total
        lines.append(QuoteLine(kind=DUE, amount=amount_due))
        total = ZERO
    elif total < 0:
        lines.append(QuoteLine(kind=CAP, amount=-total, subject=CAP_NOT_NEGATIVE))
        total = ZERO
    refundable = max(ZERO, inputs.amount_paid - inputs.other_refunds_total)
    if total > refundable:
        lines.append(QuoteLine(kind=CAP, amount=refundable - total, subject=CAP_PAID_LIMIT))
        total = refundable
    return Quote(
        currency=currency,
        lines=tuple(lines),
        items_total=quantize(items_total, currency),
        shipping=shipping,
        fee=quantize(fee, currency),
        total=quantize(total, currency),
        basis=basis,
        exchange_cost=quantize(exchange_cost, currency),
        amount_due=quantize(amount_due, currency),
    )


def cap_fees(fees: tuple[FeeLine, ...], limit: Decimal) -> list[FeeLine]:
    """The fees charged on items worth `limit`: each as set, until they reach `limit`; then
    the later ones give way (lowered, or left out). Never negative."""
    capped, left = [], max(limit, ZERO)
    for fee in fees:
        amount = min(fee.amount, left)
        if amount > 0:
            capped.append(replace(fee, amount=amount))
        left -= amount
    return capped


def _fees_on(
    fees: tuple[FeeLine, ...], item_lines: list[QuoteLine], currency: str
) -> tuple[FeeLine, ...]:
    """The fees on what this quote counts: a restocking fee on the paid value (item less its
    discount share) of its order lines here, so fewer units received pay less."""
    return tuple(
        fee.on_base(_paid_for(item_lines, fee.order_line_ids), currency)
        if fee.order_line_ids
        else fee
        for fee in fees
    )


def _paid_for(item_lines: list[QuoteLine], order_line_ids: tuple[int, ...]) -> Decimal:
    return sum(
        (
            line.amount
            for line in item_lines
            if line.kind in (ITEM, DISCOUNT) and line.order_line_id in order_line_ids
        ),
        ZERO,
    )


def _fee_lines(fees: tuple[FeeLine, ...], items_total: Decimal) -> list[QuoteLine]:
    return [
        QuoteLine(
            kind=FEE,
            amount=-fee.amount,
            subject=fee.kind,
            name_fr=fee.name_fr,
            name_en=fee.name_en,
        )
        for fee in cap_fees(fees, items_total)
    ]


def _units(held: tuple[_Held, ...], *, received: bool) -> dict[int, int]:
    return {h.order_line_id: (h.effective if received else h.requested) for h in held}


def quote_for_return(ret: Return) -> Quote:
    """The quote of `ret`, read afresh from the database (call it under the order's lock when
    the result decides a refund)."""
    ret = Return.objects.select_related("order").get(pk=ret.pk)
    facts = load_order_facts([ret.order], {ret.id})[ret.order_id]
    return quote_from_facts(facts, ret)


def quote_from_facts(facts: OrderFacts, ret: Return) -> Quote:
    """The quote of `ret` from its order's facts (see load_order_facts): a list reads the
    facts of all its orders at once, then quotes each return with no query more (the items
    its lines want in exchange are among the facts)."""
    inputs = _inputs(facts, ret_id=ret.id, fees=ret.fee_lines, refund_mode=ret.refund_mode)
    if not any(h.counted_as_received for h in inputs.own):
        return _compute(inputs, _units(inputs.own, received=False), BASIS_REQUESTED)
    received = _units(inputs.own, received=True)
    requested = _units(inputs.own, received=False)
    quote = _compute(inputs, received, BASIS_RECEIVED)
    if received == requested:
        return quote
    requested_quote = _compute(inputs, requested, BASIS_REQUESTED)
    lines = tuple(_with_requested(line, requested) for line in quote.lines)
    return replace(quote, lines=lines, requested_total=requested_quote.total)


def _with_requested(line: QuoteLine, requested: dict[int, int]) -> QuoteLine:
    """An item line of the received quote, with the quantity asked for when it differs."""
    if line.kind != ITEM or line.order_line_id is None:
        return line
    wanted = requested[line.order_line_id]
    return line if wanted == line.quantity else replace(line, requested_quantity=wanted)


# A return not saved yet comes after every existing one (ids only grow).
PREVIEW_RETURN_ID = 2**62


def quote_preview(
    *,
    order: Order,
    quantities: dict[int, int],
    return_fee: Decimal = ZERO,
    refund_mode: str = Return.RefundMode.MONEY_BACK,
    exchange_variants: dict[int, Variant] | None = None,
    fees: tuple[FeeLine, ...] | None = None,
) -> Quote:
    """The quote a return of `quantities` (order line id -> units) would get if created now.

    The same computation as quote_for_return, for the portal's summary page before the
    customer confirms: once created with those quantities, the return's quote is this one.
    `fees` are the return rules' fee lines (RuleOutcome.fees); without them, `return_fee` is
    one fee typed by staff. `exchange_variants`: by order line id, the item each line wants in
    exchange.
    """
    fee_lines = (
        Return(return_fee=quantize(return_fee, order.currency)).fee_lines
        if fees is None
        else list(fees)
    )
    inputs = _inputs(
        load_order_facts([order], set())[order.id],
        ret_id=PREVIEW_RETURN_ID,
        fees=fee_lines,
        refund_mode=refund_mode,
        exchange_variants=exchange_variants or {},
    )
    own_units = {line_id: units for line_id, units in quantities.items() if units > 0}
    return _compute(inputs, own_units, BASIS_REQUESTED)
