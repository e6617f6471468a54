"""The returns policy: what may be returned, when and how, and what may be done with a return.

Every surface (portal, back-office, services) asks these functions instead of deciding itself,
so a rule reads the same everywhere. They are pure: they read the objects they are given and the
shop's settings, never the database, and write nothing. What needs a query (the quantities held
by other returns, the return rules' blocks) is counted by the caller and passed in.

The answers that refuse carry a machine code and a translated message (Refusal): a customer is
told the message, staff may override some of them (STAFF_MAY_OVERRIDE) with a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from returns.events import TEXT_LINE, part, render_message
from returns.models import MAX_PHOTOS_PER_LINE, LabelAttemptStatus, Return, ReturnStatus
from shop.models import Order, ShopSettings
from shop.money import format_money

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from refunds.money import MoneyState
    from returns.models.labels import LabelAttempt, ReturnLabel
    from returns.rules import BlockedLine, RuleOutcome
    from shop.models import User, Variant


class RefusalCode(StrEnum):
    RETURNS_OFF = "returns_off"
    ORDER_CANCELLED = "order_cancelled"
    NOT_DELIVERED = "not_delivered"
    WINDOW_CLOSED = "window_closed"
    NOTHING_LEFT = "nothing_left"
    BLOCKED_BY_RULE = "blocked_by_rule"
    REFUND_MODE_NOT_OFFERED = "refund_mode_not_offered"
    IN_STORE_NOT_OFFERED = "in_store_not_offered"
    DROPPED_IN_STORE = "dropped_in_store"
    NOT_APPROVED = "not_approved"
    HAS_LABEL = "has_label"
    NO_LABEL = "no_label"
    LABEL_USED = "label_used"
    LABEL_PENDING = "label_pending"
    PARCEL_NOT_AWAITED = "parcel_not_awaited"
    REFUNDED = "refunded"
    EXCHANGE_ITEM_MISSING = "exchange_item_missing"
    EXCHANGE_ITEM_NOT_EXCHANGE = "exchange_item_not_exchange"
    EXCHANGE_OTHER_PRODUCT = "exchange_other_product"
    EXCHANGE_NOT_SOLD = "exchange_not_sold"
    EXCHANGE_OUT_OF_STOCK = "exchange_out_of_stock"
    EXCHANGE_SETTLED = "exchange_settled"
    PHOTOS_MISSING = "photos_missing"
    TOO_MANY_PHOTOS = "too_many_photos"


@dataclass(frozen=True)
class Refusal:
    code: RefusalCode
    message: str
    # The refusals staff may override are worded by returns/events.py ("refusal.<code>"): their
    # params let the override event word them again in its reader's language.
    params: Mapping[str, object] | None = field(default=None, compare=False)

    def event_part(self) -> dict[str, Any]:
        """This refusal as one more message of an event (its "then" param)."""
        if self.params is None:
            return part(TEXT_LINE, text=self.message)
        return part(f"refusal.{self.code}", **self.params)


def _worded(code: RefusalCode, **params: object) -> Refusal:
    return Refusal(code, render_message(f"refusal.{code}", params), params)


# What staff creating a return may override with a reason and the override permission. Nothing
# left to return is a count, not a rule; the online switch concerns customers only.
STAFF_MAY_OVERRIDE = frozenset(
    {
        RefusalCode.ORDER_CANCELLED,
        RefusalCode.NOT_DELIVERED,
        RefusalCode.WINDOW_CLOSED,
        RefusalCode.BLOCKED_BY_RULE,
        RefusalCode.REFUND_MODE_NOT_OFFERED,
        RefusalCode.IN_STORE_NOT_OFFERED,
    }
)
OVERRIDE_PERMISSION = "returns.override_return_rules"


# --- the return window -------------------------------------------------------------------------


def window_closes_at(order: Order, shop_settings: ShopSettings) -> datetime | None:
    """When the order's return window closes: return_window_days × 24 hours after the delivery
    instant (None before delivery)."""
    if order.delivered_at is None:
        return None
    return order.delivered_at + timedelta(days=shop_settings.return_window_days)


def window_is_open(order: Order, shop_settings: ShopSettings, now: datetime | None = None) -> bool:
    """Whether a return may be asked at `now` (default: now): from delivery up to and including
    the closing instant. The last day therefore counts up to the time of day the order was
    delivered, not to midnight: delivered on 1 March at 15:00 with 30 days, the window is open
    until 31 March 15:00 included and closed a microsecond later."""
    closes = window_closes_at(order, shop_settings)
    return closes is not None and (now or timezone.now()) <= closes


def _window_closed(order: Order, shop_settings: ShopSettings) -> Refusal:
    closes_on = timezone.localtime(window_closes_at(order, shop_settings)).date()
    return _worded(
        RefusalCode.WINDOW_CLOSED,
        days=shop_settings.return_window_days,
        date=closes_on.isoformat(),
    )


# --- returnability of an order -----------------------------------------------------------------


@dataclass(frozen=True)
class Returnability:
    """Whether items of the order may be returned now, and if not, every reason why (in the
    order a person should read them: the first one is what a customer is told)."""

    refusals: tuple[Refusal, ...]
    closes_at: datetime | None
    # Per order line id, the quantity not held by a live return yet.
    remaining: Mapping[int, int]

    @property
    def returnable(self) -> bool:
        return not self.refusals

    @property
    def codes(self) -> list[RefusalCode]:
        return [refusal.code for refusal in self.refusals]

    @property
    def messages(self) -> list[str]:
        return [refusal.message for refusal in self.refusals]

    @property
    def reason(self) -> str:
        return self.refusals[0].message if self.refusals else ""

    @property
    def closes_on(self) -> date | None:
        return timezone.localtime(self.closes_at).date() if self.closes_at else None

    @property
    def staff_may_override(self) -> bool:
        """Every refusal is a rule staff may override (with the permission and a reason)."""
        return all(code in STAFF_MAY_OVERRIDE for code in self.codes)


def order_refusals(
    order: Order, shop_settings: ShopSettings, *, channel: str, now: datetime | None = None
) -> list[Refusal]:
    """The reasons the whole order cannot be returned through `channel`, whatever is chosen."""
    refusals = []
    if order.status == Order.Status.CANCELLED:
        refusals.append(_worded(RefusalCode.ORDER_CANCELLED))
    if order.delivered_at is None:
        refusals.append(_worded(RefusalCode.NOT_DELIVERED))
    if channel == Return.Channel.PORTAL and not shop_settings.returns_allowed:
        refusals.append(_worded(RefusalCode.RETURNS_OFF))
    if order.delivered_at is not None and not window_is_open(order, shop_settings, now):
        refusals.append(_window_closed(order, shop_settings))
    return refusals


def returnability(
    order: Order,
    shop_settings: ShopSettings,
    *,
    channel: str,
    remaining: Mapping[int, int],
    blocked: Callable[[], Mapping[int, BlockedLine]] | None = None,
    now: datetime | None = None,
) -> Returnability:
    """The order's returnability through `channel` (Return.Channel).

    remaining: per order line id, what live returns do not hold yet
    (returns.selectors.returnable_quantities). blocked: reads the items the return rules refuse
    whatever is chosen (returns.rules.blocked_lines_for_portal); it is asked only when nothing
    else refuses, since it reads the rules. Without it, the rules are not asked.
    """
    refusals = order_refusals(order, shop_settings, channel=channel, now=now)
    left = [line_id for line_id, quantity in remaining.items() if quantity > 0]
    if not left:
        refusals.append(
            Refusal(
                RefusalCode.NOTHING_LEFT,
                gettext("Every item of this order has already been returned or is being returned."),
            )
        )
    if not refusals and blocked is not None:
        refusals.extend(_blocked_by_rules(left, blocked()))
    return Returnability(
        refusals=tuple(refusals),
        closes_at=window_closes_at(order, shop_settings),
        remaining=remaining,
    )


def _blocked_by_rules(left: list[int], blocked: Mapping[int, BlockedLine]) -> list[Refusal]:
    """A refusal when the return rules refuse every item left (some left: the form shows them)."""
    if not all(line_id in blocked for line_id in left):
        return []
    # Several items refused by the same rule: its message once.
    messages = dict.fromkeys(blocked[line_id].message for line_id in sorted(left))
    return [Refusal(RefusalCode.BLOCKED_BY_RULE, " ".join(messages))]


# --- refund modes and delivery options ---------------------------------------------------------

_REFUND_MODE_SETTING = {
    Return.RefundMode.MONEY_BACK: "offer_money_back",
    Return.RefundMode.STORE_CREDIT: "offer_store_credit",
    Return.RefundMode.EXCHANGE: "offer_exchange",
}


def offered_refund_modes(
    shop_settings: ShopSettings, *, staff_may_override: bool = False
) -> list[str]:
    """The refund modes to offer, in Return.RefundMode's order: those the shop's settings
    switch on; every mode for staff who may override the rules (the override is recorded)."""
    return [
        str(mode)
        for mode, setting in _REFUND_MODE_SETTING.items()
        if staff_may_override or getattr(shop_settings, setting)
    ]


def offered_delivery_options(
    shop_settings: ShopSettings, *, in_store_only: bool = False, staff_may_override: bool = False
) -> list[str]:
    """The ways to send the items back: always by post with a label, in store when the shop
    allows it (or staff override the rules); only in store when a return rule says so."""
    if in_store_only:
        return [str(Return.DeliveryOption.IN_STORE)]
    options = [str(Return.DeliveryOption.LABEL)]
    if staff_may_override or shop_settings.in_store_returns_allowed:
        options.append(str(Return.DeliveryOption.IN_STORE))
    return options


def in_store_only_whatever_chosen(rules: RuleOutcome) -> bool:
    """Whether the return rules send the order's items in store before anything is chosen
    (rules evaluated on the whole order): only a rule without conditions on items says so for
    sure; one on items decides once they are chosen (delivery_option_for)."""
    rule = rules.in_store_rule
    return rules.in_store_only and rule is not None and not rule.has_line_conditions


def delivery_option_for(chosen: str, rules: RuleOutcome) -> str:
    """How the chosen items come back: as chosen, unless the return rules on them (evaluated on
    those items) say in store only."""
    return Return.DeliveryOption.IN_STORE if rules.in_store_only else chosen


def choice_refusals(
    shop_settings: ShopSettings, *, refund_mode: str, delivery_option: str
) -> list[Refusal]:
    """What is wrong with choosing `refund_mode` and `delivery_option` (valid choices of
    Return.RefundMode and Return.DeliveryOption) under the shop's settings."""
    refusals = []
    if refund_mode not in offered_refund_modes(shop_settings):
        refusals.append(_worded(RefusalCode.REFUND_MODE_NOT_OFFERED, mode=refund_mode))
    if delivery_option not in offered_delivery_options(shop_settings):
        refusals.append(_worded(RefusalCode.IN_STORE_NOT_OFFERED))
    return refusals


# --- exchanges ---------------------------------------------------------------------------------


def exchange_refusal(
    variant: Variant | None,
    *,
    refund_mode: str,
    product_id: int,
    units: int,
    by_staff: bool = False,
) -> Refusal | None:
    """Why `variant` may not be what the customer gets in exchange for one line returned (of
    product `product_id`; `units`: how many units of `variant` the whole return wants), whoever
    asks; None when it may (or when no exchange is asked and no item chosen).

    The refund mode is the return's: with "exchange", every line names its item from the
    start, another size or colour of that line's own product (a T-shirt and shoes each get
    their own); with a refund or credit, no line names one. The customer's item is still sold
    and in stock for every unit wanted (a point of sale's stock is the till's business); staff
    may send an item out of stock or no longer sold. exchange_refusals asks this of every line
    of a return, exchange_offer over a list.
    """
    exchange = refund_mode == Return.RefundMode.EXCHANGE
    if variant is None:
        if not exchange:
            return None
        return Refusal(
            RefusalCode.EXCHANGE_ITEM_MISSING,
            gettext("Choose the item you would like to receive in exchange for each item."),
        )
    if not exchange:
        return Refusal(
            RefusalCode.EXCHANGE_ITEM_NOT_EXCHANGE,
            gettext("An item to receive in exchange can only be chosen for an exchange."),
        )
    if variant.product_id != product_id:
        return Refusal(
            RefusalCode.EXCHANGE_OTHER_PRODUCT,
            gettext("An exchange is for another size or colour of the same product."),
        )
    if by_staff:
        return None
    if not variant.active:
        return Refusal(
            RefusalCode.EXCHANGE_NOT_SOLD,
            gettext("Sorry, “%(item)s” is no longer sold.") % {"item": variant},
        )
    if not variant.stock_managed_by_pos and variant.stock_on_hand < units:
        return Refusal(
            RefusalCode.EXCHANGE_OUT_OF_STOCK,
            gettext("Sorry, “%(item)s” is out of stock for an exchange.") % {"item": variant},
        )
    return None


@dataclass(frozen=True)
class WantedExchange:
    """One line of a return as the exchange rule reads it: the item it names (None: none), its
    product, its units. `key` is the caller's (an order line id, a field name)."""

    key: Any
    variant: Variant | None
    product_id: int
    units: int


def exchange_refusals(
    wanted: Iterable[WantedExchange], *, refund_mode: str, by_staff: bool = False
) -> dict[Any, Refusal]:
    """exchange_refusal for every line of a return, by the lines' keys (none: it may be made).
    The stock is judged on the units all the lines want of each item."""
    wanted = list(wanted)
    units: dict[int, int] = {}
    for line in wanted:
        if line.variant is not None:
            units[line.variant.pk] = units.get(line.variant.pk, 0) + line.units
    refusals = {}
    for line in wanted:
        refusal = exchange_refusal(
            line.variant,
            refund_mode=refund_mode,
            product_id=line.product_id,
            units=units.get(line.variant.pk, 0) if line.variant is not None else line.units,
            by_staff=by_staff,
        )
        if refusal is not None:
            refusals[line.key] = refusal
    return refusals


def exchange_offer(
    candidates: Iterable[Variant], *, product_id: int, units: int = 1
) -> list[Variant]:
    """The items among `candidates` a customer returning `units` items of product `product_id`
    may get in exchange for them: those exchange_refusal lets through, in the order given."""
    return [
        variant
        for variant in candidates
        if exchange_refusal(
            variant, refund_mode=Return.RefundMode.EXCHANGE, product_id=product_id, units=units
        )
        is None
    ]


def exchange_item_change_refusal(ret: Return, *, settled: Callable[[], bool]) -> Refusal | None:
    """Why staff may not change the item `ret`'s customer gets in exchange now; None when they
    may (an exchange recorded without an item may be given one). `settled` reads whether a
    refund or an exchange due records the price difference of the item it names
    (returns.selectors.exchanges.exchange_settled); it is asked only when nothing else
    refuses."""
    if ret.refund_mode != Return.RefundMode.EXCHANGE:
        return Refusal(
            RefusalCode.EXCHANGE_ITEM_NOT_EXCHANGE,
            gettext("Return %(rma)s is not an exchange.") % {"rma": ret.rma_number},
        )
    if ret.replacement_order_id is not None or ret.is_final:
        return Refusal(
            RefusalCode.EXCHANGE_SETTLED,
            gettext("Return %(rma)s is %(status)s: the item sent in exchange can no longer change.")
            % {"rma": ret.rma_number, "status": ret.get_status_display()},
        )
    if settled():
        return Refusal(
            RefusalCode.EXCHANGE_SETTLED,
            gettext(
                "The exchange of return %(rma)s is settled: the item sent in exchange can no "
                "longer change."
            )
            % {"rma": ret.rma_number},
        )
    return None


# --- cancelling a return -----------------------------------------------------------------------

# The customer may cancel only before the parcel ships.
CUSTOMER_CANCELLABLE = frozenset({ReturnStatus.REQUESTED, ReturnStatus.APPROVED})
CANCEL_PERMISSION = "returns.cancel_return"


def customer_may_cancel(ret: Return) -> bool:
    """Whether the return's customer (or its verified guest) may cancel it now."""
    return ret.status in CUSTOMER_CANCELLABLE


def may_cancel(ret: Return, user: User | AnonymousUser | None) -> bool:
    """Staff with the permission (the state machine says from which statuses), or the customer
    who owns the return before its parcel ships."""
    if user is None:
        return False
    if user.has_perm(CANCEL_PERMISSION):
        return True
    customer = getattr(user, "customer", None)
    return (
        customer_may_cancel(ret) and customer is not None and ret.order.customer_id == customer.pk
    )


def cancel_offered_to_customer(ret: Return, money: MoneyState) -> bool:
    """Whether the portal offers the return's customer to cancel it: they may
    (customer_may_cancel) and no refund keeps it open (closing_refusal)."""
    return customer_may_cancel(ret) and closing_refusal("cancel", ret, money) is None


# --- closing a return that was refunded ---------------------------------------------------------

# A refunded or pending refund pays for the return's items: cancelling, rejecting or expiring the
# return would free those items to be returned, and refunded, again. Undoing a refund is an
# audited reversal of its own, not a side effect of closing the return.
# The transitions that close a return before it is settled.
Closing = Literal["cancel", "reject", "expire"]
_CLOSING_REFUSED = {
    "cancel": _lazy("Return %(rma)s can no longer be cancelled: it has a refund of %(amount)s."),
    "reject": _lazy("Return %(rma)s can no longer be rejected: it has a refund of %(amount)s."),
    "expire": _lazy("Return %(rma)s can no longer expire: it has a refund of %(amount)s."),
}


def closing_refusal(transition: Closing, ret: Return, money: MoneyState) -> Refusal | None:
    """Why `transition` ("cancel", "reject" or "expire") may not close `ret`, whoever asks
    (customer, staff, the expiry sweep): a refund refunded or pending for it (`money`, its money
    state, refunds.money). None when nothing was refunded."""
    if not money.has_live_refund:
        return None
    amount = format_money(money.refunded + money.pending, money.currency)
    return Refusal(
        RefusalCode.REFUNDED,
        str(_CLOSING_REFUSED[transition]) % {"rma": ret.rma_number, "amount": amount},
    )


def fee_change_refusal(ret: Return, money: MoneyState) -> Refusal | None:
    """Why the return fee of `ret` may no longer change: a refund (refunded or pending) was
    made from its quote, fee included; changing the fee would move the quote under it. None
    when nothing was refunded (a final return's fee is fixed too: returns.services.editing)."""
    if not money.has_live_refund:
        return None
    amount = format_money(money.refunded + money.pending, money.currency)
    return Refusal(
        RefusalCode.REFUNDED,
        gettext(
            "The return fee of return %(rma)s can no longer change: it has a refund of "
            "%(amount)s, made from its quote."
        )
        % {"rma": ret.rma_number, "amount": amount},
    )


# --- label actions -----------------------------------------------------------------------------


class LabelAction(StrEnum):
    CREATE = "create"
    RESEND = "resend"
    CANCEL = "cancel"


LABEL_PERMISSIONS = {
    LabelAction.CREATE: "returns.approve_return",
    LabelAction.RESEND: "returns.resend_label",
    LabelAction.CANCEL: "returns.cancel_label",
}
# Downloading reads the live label's PDF: a permission to view, not an action on the return.
LABEL_DOWNLOAD_PERMISSION = "returns.view_returnlabel"


# A label request still pending after this long died with its process (the carrier's
# timeouts are far shorter): it no longer stops a retry.
LABEL_REQUEST_STALE_AFTER = timedelta(minutes=5)


def label_request_in_flight(attempt: LabelAttempt | None) -> bool:
    """A label request of this return is being asked of the carrier right now."""
    return (
        attempt is not None
        and attempt.is_pending
        and timezone.now() - attempt.started_at < LABEL_REQUEST_STALE_AFTER
    )


def label_refusal(
    action: LabelAction,
    ret: Return,
    label: ReturnLabel | None,
    attempt: LabelAttempt | None = None,
) -> Refusal | None:
    """Why `action` cannot be done on `ret` now, whoever asks; None when it can.

    label: the return's latest label, None without one; a cancelled label counts as none.
    attempt: the return's latest label request (LabelAttempt), None without one.
    """
    if label is not None and not label.is_live:
        label = None
    if action == LabelAction.CREATE:
        refusal = _create_refusal(ret, label)
        if refusal is None and label_request_in_flight(attempt):
            refusal = Refusal(
                RefusalCode.LABEL_PENDING,
                gettext("The label of return %(rma)s is being made right now.")
                % {"rma": ret.rma_number},
            )
        return refusal
    if label is None:
        message = (
            gettext("Return %(rma)s has no label to send.")
            if action == LabelAction.RESEND
            else gettext("Return %(rma)s has no label to cancel.")
        )
        return Refusal(RefusalCode.NO_LABEL, message % {"rma": ret.rma_number})
    if action == LabelAction.CANCEL and label.is_used:
        return Refusal(
            RefusalCode.LABEL_USED,
            gettext(
                "The carrier has already reported this parcel (%(status)s): label %(number)s can "
                "no longer be cancelled."
            )
            % {"status": label.get_parcel_status_display(), "number": label.tracking_number},
        )
    if ret.status != ReturnStatus.APPROVED:
        # Sent, received or closed: the label has done its work, or never will.
        return Refusal(
            RefusalCode.PARCEL_NOT_AWAITED,
            gettext("Return %(rma)s is %(status)s: its label is no longer of use.")
            % {"rma": ret.rma_number, "status": ret.get_status_display()},
        )
    return None


def _create_refusal(ret: Return, label: ReturnLabel | None) -> Refusal | None:
    if ret.delivery_option != Return.DeliveryOption.LABEL:
        return Refusal(
            RefusalCode.DROPPED_IN_STORE,
            gettext("Return %(rma)s is dropped in store: it has no label.")
            % {"rma": ret.rma_number},
        )
    if ret.status != ReturnStatus.APPROVED:
        return Refusal(
            RefusalCode.NOT_APPROVED,
            gettext("Only an approved return gets a label; this one is %(status)s.")
            % {"status": ret.get_status_display()},
        )
    if label is not None:
        return Refusal(
            RefusalCode.HAS_LABEL,
            gettext("Return %(rma)s already has a label: cancel it first to make a new one.")
            % {"rma": ret.rma_number},
        )
    return None


@dataclass(frozen=True)
class LabelActions:
    """The label buttons `user` gets on the return's page, and why a live label cannot be
    cancelled any more (shown instead of its button)."""

    create: bool
    resend: bool
    cancel: bool
    download: bool
    cancel_refusal: str = ""
    # The carrier's message when the latest request of a label failed: the create button is
    # then a retry.
    failure: str = ""


def label_actions(
    ret: Return,
    label: ReturnLabel | None,
    user: User | AnonymousUser,
    attempt: LabelAttempt | None = None,
) -> LabelActions:
    """What `user` may do with the label of `ret`: each action its permission allows and its
    service would not refuse (label: the latest label, live or not, or None; attempt: the
    latest label request, or None)."""
    if label is not None and not label.is_live:
        label = None
    allowed = {
        action: user.has_perm(permission) and label_refusal(action, ret, label, attempt) is None
        for action, permission in LABEL_PERMISSIONS.items()
    }
    failed = (
        label is None
        and attempt is not None
        and attempt.status == LabelAttemptStatus.FAILED
        and ret.status == ReturnStatus.APPROVED
    )
    # A live label the carrier already reported stays, and the page says why.
    kept = label_refusal(LabelAction.CANCEL, ret, label) if label is not None else None
    return LabelActions(
        create=allowed[LabelAction.CREATE],
        resend=allowed[LabelAction.RESEND],
        cancel=allowed[LabelAction.CANCEL],
        download=label is not None and user.has_perm(LABEL_DOWNLOAD_PERMISSION),
        cancel_refusal=kept.message if kept else "",
        failure=attempt.error if failed and attempt is not None else "",
    )


# --- photos ------------------------------------------------------------------------------------


def photos_refusal(reason_needs_photos: bool, count: int, *, item: object) -> Refusal | None:
    """Why `count` photos of a returned `item` are not what its reason asks; None when they
    are: a reason may ask for at least one, and no line takes more than MAX_PHOTOS_PER_LINE."""
    if count > MAX_PHOTOS_PER_LINE:
        return Refusal(
            RefusalCode.TOO_MANY_PHOTOS,
            gettext("Add at most %(count)d photos of “%(item)s”.")
            % {"count": MAX_PHOTOS_PER_LINE, "item": item},
        )
    if reason_needs_photos and count == 0:
        return Refusal(
            RefusalCode.PHOTOS_MISSING,
            gettext("Add at least one photo of “%(item)s”: the reason you chose asks for it.")
            % {"item": item},
        )
    return None
