"""The money state of a return and of an order: what is owed, refunded, pending, left, due.

The one place that answers "is anything left to settle?": the returns overview, a return's page,
the portal, the bulk actions and the services (completing a return, refunding what is left) all
read it. Every figure comes from the quote (refunds/quotes.py) and the refunds and exchange dues
recorded; each is an exact Decimal rounded to the order's currency.

- quote_total: what the merchant owes for the return (the quote's total).
- refunded: the refunds marked refunded; pending: those created, waiting to be marked.
- left_to_refund: the quote less refunded and pending, never below zero; nothing for a return
  that is no longer live (rejected, cancelled, expired): it owes nothing, whatever its quote.
- amount_due: what the customer owes for an exchange to a dearer item; due_open: the part not
  paid yet.
- owed_back: what was refunded beyond the quote, less what was paid back or written off
  (Repayment): a return refunded before its parcel arrived, then received short. Never below
  zero; nothing for a return that is no longer live.
- settled: nothing left to refund, nothing pending, nothing due, nothing owed back: the return
  may be completed.
- has_live_refund: a refund is refunded or pending; the return can then no longer be cancelled,
  rejected or expired (returns.policy.closing_refusal), and the expiry sweep skips it
  (live_refund_exists, the same answer in SQL).
- refunded_before_receipt: a live refund while the parcel is still awaited (approved or in
  transit): every page says so, since the customer must still send the items.
- refund_state: the overview's one word for the above (not refunded, pending, refunded,
  refunded before receipt), with refund_state_condition, the same answer in SQL (its filter).
- settle_amount: what "mark as refunded" (refunds.services.refund_settle) pays out now.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextChoices,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from refunds.models import (
    LIVE_REFUND_STATUSES,
    ExchangeDue,
    ExchangeDueStatus,
    Refund,
    RefundStatus,
    Repayment,
)
from refunds.quotes import (
    FACTS_COLUMNS,
    OrderFacts,
    Quote,
    facts_from_columns,
    quote_from_facts,
    with_order_facts,
)
from returns.models import LIVE_STATUSES, Return, ReturnStatus
from shop.compiled import CompiledValues
from shop.models import MONEY, Order
from shop.money import ZERO, format_money, quantize

# The statuses in which the parcel has not reached the shop yet.
PARCEL_AWAITED_STATUSES = frozenset({ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT})


@dataclass(frozen=True)
class MoneyState:
    """The money figures of a return, or their sums over an order's live returns."""

    currency: str
    quote_total: Decimal
    refunded: Decimal
    pending: Decimal
    left_to_refund: Decimal
    amount_due: Decimal
    due_open: Decimal
    owed_back: Decimal

    @property
    def settled(self) -> bool:
        return not (self.left_to_refund or self.pending or self.due_open or self.owed_back)

    @property
    def fully_refunded(self) -> bool:
        """Settled by refunds paid out (not by an exchange alone, nor by nothing to refund)."""
        return self.settled and bool(self.refunded)

    @property
    def has_live_refund(self) -> bool:
        # A refund's amount is never zero (refund_amount_positive).
        return bool(self.refunded or self.pending)


@dataclass(frozen=True)
class ReturnMoney(MoneyState):
    """The money state of one return, with the quote it comes from."""

    quote: Quote
    # Rejected, cancelled and expired returns owe nothing (returns.models.LIVE_STATUSES).
    live: bool
    # Approved or in transit: the items have not reached the shop yet.
    parcel_awaited: bool

    @property
    def refunded_before_receipt(self) -> bool:
        return self.parcel_awaited and self.has_live_refund


class RefundState(TextChoices):
    """A return's refund in one word, for the overview's column and filter."""

    NOT_REFUNDED = "not_refunded", _("not refunded")
    PENDING = "pending", _("refund pending")
    REFUNDED = "refunded", _("refunded")
    BEFORE_RECEIPT = "before_receipt", _("refunded before receipt")


def refund_state(state: ReturnMoney) -> RefundState:
    """Refunded before receipt first (the parcel is still owed), then a refund waiting to be
    marked, then one paid out; otherwise nothing was refunded."""
    if state.refunded_before_receipt:
        return RefundState.BEFORE_RECEIPT
    if state.pending:
        return RefundState.PENDING
    if state.refunded:
        return RefundState.REFUNDED
    return RefundState.NOT_REFUNDED


def refund_state_condition(value: str) -> Q:
    """refund_state as a condition on returns (a refund's amount is never zero, so "refunded"
    and "pending" are the existence of such a refund). An unknown value matches everything."""
    awaited = Q(status__in=PARCEL_AWAITED_STATUSES)
    pending = Exists(Refund.objects.filter(ret_id=OuterRef("pk"), status=RefundStatus.PENDING))
    paid = Exists(Refund.objects.filter(ret_id=OuterRef("pk"), status=RefundStatus.REFUNDED))
    conditions: dict[str, Any] = {
        RefundState.BEFORE_RECEIPT: awaited & live_refund_exists(),
        RefundState.PENDING: ~awaited & pending,
        RefundState.REFUNDED: ~awaited & paid & ~pending,
        RefundState.NOT_REFUNDED: ~live_refund_exists(),
    }
    return Q(conditions[value]) if value in conditions else Q()


def settle_amount(state: ReturnMoney, *, exchange: bool, refundable: bool) -> Decimal:
    """What refund_settle pays out now: the pending refund as it is, else what is left, where a
    refund may be made (`refundable`: the return's status allows one; an exchange's difference
    is settled on its own page). Several pending partial refunds: it marks the first, so their
    sum is the most it pays."""
    if state.pending:
        return state.pending
    return state.left_to_refund if refundable and not exchange else ZERO


def unsettled_reason(state: MoneyState) -> str:
    """Why the money of a return is not settled yet, in words for staff ("" once settled)."""
    if state.left_to_refund:
        return gettext("%(amount)s is left to refund.") % {
            "amount": format_money(state.left_to_refund, state.currency)
        }
    if state.pending:
        return gettext("a refund of %(amount)s waits to be marked refunded.") % {
            "amount": format_money(state.pending, state.currency)
        }
    if state.due_open:
        return gettext("the customer still owes %(amount)s for the exchange.") % {
            "amount": format_money(state.due_open, state.currency)
        }
    if state.owed_back:
        return gettext(
            "the customer owes %(amount)s back: fewer items arrived than were refunded."
        ) % {"amount": format_money(state.owed_back, state.currency)}
    return ""


def markable_refunded(state: MoneyState, *, exchange: bool) -> bool:
    """Whether "mark as refunded" (refunds.services.refund_settle) has something to settle: a
    pending refund, or money left, except an exchange's difference, settled by its own page."""
    return bool(state.pending or (state.left_to_refund and not exchange))


def money_for_return(ret: Return) -> ReturnMoney:
    """The return's money state, read afresh (call it under the order's lock when it decides a
    write)."""
    ret = Return.objects.select_related("order").get(pk=ret.pk)
    return money_for_returns([ret])[ret.pk]


def money_for_returns(returns: list[Return]) -> dict[int, ReturnMoney]:
    """The money states of `returns` by return id: none when they were read through
    with_money_columns (a list's page), else one query for all of them (a return's page, a
    service), their columns read by the ids of the returns given (money_columns).

    The returns must come with their order (select_related): it is taken as the page read it.
    """
    if all(hasattr(ret, "due_paid") for ret in returns):
        # Columns with_money_columns adds: the model's type does not know them.
        columns = {ret.pk: _columns_of(ret) for ret in returns}
    else:
        columns = money_columns([ret.pk for ret in returns])
    states = {}
    for ret in returns:
        due_paid, repaid, *facts_rows = columns[ret.pk]
        facts = facts_from_columns(ret.order, *facts_rows)
        quote = quote_from_facts(facts, ret)
        states[ret.pk] = _state(quote, ret, facts, due_paid=due_paid, repaid=repaid)
    return states


def with_money_columns(returns: QuerySet[Return]) -> QuerySet[Return]:
    """`returns` with what their money states are computed from as columns of their own query
    (a list's page): money_for_returns then makes no query."""
    return _settlement_columns(with_order_facts(returns))


# The columns with_money_columns adds, in the order money_for_returns reads them.
_MONEY_COLUMNS = ("due_paid", "repaid", *FACTS_COLUMNS)


def _columns_of(ret: Return) -> tuple[Any, ...]:
    return tuple(getattr(ret, name) for name in _MONEY_COLUMNS)


_MONEY_QUERY = CompiledValues(
    "refunds.money",
    lambda ids: (
        with_money_columns(Return.objects.filter(pk__in=ids))
        .order_by()
        .values_list("pk", *_MONEY_COLUMNS)
    ),
)


def money_columns(ret_ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """By return id, the columns with_money_columns adds (its settlements, its order's facts):
    one query, compiled once per process and number of returns (shop.compiled)."""
    return {pk: tuple(values) for pk, *values in _MONEY_QUERY.rows(ret_ids)}


def live_refund_exists() -> Exists:
    """has_live_refund as SQL, for a query of returns (the expiry sweep's)."""
    return Exists(Refund.objects.filter(ret_id=OuterRef("pk"), status__in=LIVE_REFUND_STATUSES))


def money_for_order(order: Order) -> MoneyState:
    """The order's money state: the sums over its live returns (cancelled, rejected and expired
    ones owe nothing)."""
    returns = list(
        with_money_columns(
            Return.objects.filter(order=order, status__in=LIVE_STATUSES)
        ).select_related("order")
    )
    states = money_for_returns(returns).values()
    currency = order.currency

    def total(name: str) -> Decimal:
        return quantize(sum((getattr(state, name) for state in states), ZERO), currency)

    return MoneyState(
        currency=currency,
        quote_total=total("quote_total"),
        refunded=total("refunded"),
        pending=total("pending"),
        left_to_refund=total("left_to_refund"),
        amount_due=total("amount_due"),
        due_open=total("due_open"),
        owed_back=total("owed_back"),
    )


def _settlement_columns(returns: QuerySet[Return]) -> QuerySet[Return]:
    paid = ExchangeDue.objects.filter(ret_id=OuterRef("pk"), status=ExchangeDueStatus.PAID)
    repaid = (
        Repayment.objects.filter(ret_id=OuterRef("pk"))
        .values("ret_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(**MONEY)
    return returns.annotate(
        due_paid=Exists(paid),
        repaid=Coalesce(Subquery(repaid, output_field=money), Value(ZERO, output_field=money)),
    )


def _state(
    quote: Quote, ret: Return, facts: OrderFacts, *, due_paid: bool, repaid: Decimal
) -> ReturnMoney:
    currency = quote.currency
    live = ret.status in LIVE_STATUSES
    own = [refund for refund in facts.live_refunds if refund.ret_id == ret.pk]
    refunded = sum((r.amount for r in own if r.status == RefundStatus.REFUNDED), ZERO)
    pending = sum((r.amount for r in own if r.status == RefundStatus.PENDING), ZERO)
    owed = quote.total if live else ZERO
    # Refunded beyond what the return is worth: a refund before receipt, then fewer units came.
    beyond = refunded - quote.total - repaid if live else ZERO
    return ReturnMoney(
        currency=currency,
        quote=quote,
        live=live,
        parcel_awaited=ret.status in PARCEL_AWAITED_STATUSES,
        quote_total=quote.total,
        refunded=quantize(refunded, currency),
        pending=quantize(pending, currency),
        left_to_refund=quantize(max(ZERO, owed - refunded - pending), currency),
        amount_due=quote.amount_due,
        due_open=ZERO if due_paid or not live else quote.amount_due,
        owed_back=quantize(max(ZERO, beyond), currency),
    )
