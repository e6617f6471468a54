"""Reads of the customer portal's return pages, scoped to what the person may see.

The scope (portal.selectors.orders.PortalScope) is the logged-in customer's orders and the
guest's one verified order: a return of any other order is not found, whatever its RMA number.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext

from portal.selectors.orders import PortalScope
from refunds.models import Refund, RefundStatus
from returns import policy
from returns.events import render_event
from returns.models import (
    STATUS_CUSTOMER_LABELS,
    Return,
    ReturnEvent,
    ReturnLine,
    ReturnReason,
    ReturnRule,
    ReturnStatus,
)
from returns.rules import BlockedLine, blocked_lines_for_portal
from returns.selectors import returnable_quantities
from shop.models import Order, OrderLine, ShopSettings


def return_eligibility(
    order: Order,
    shop_settings: ShopSettings,
    blocked: Callable[[], Mapping[int, BlockedLine]] | None = None,
    order_lines: Sequence[OrderLine] | None = None,
    rules: list[ReturnRule] | None = None,
    remaining: Mapping[int, int] | None = None,
) -> policy.Returnability:
    """What the order page and the request form say about returns: the policy's answer for the
    portal, with the quantities left and the rules' blocks it needs. return_request asks the
    policy again on submission. `blocked`: the rules' blocks when the caller evaluates the
    rules anyway (returns.rules.blocked_lines_for_portal's answer); `order_lines`: every line of
    the order, with its variant and product, when the page has read them (the domain's readers
    then take them, not read them again); `rules`: the rules to evaluate (None: the active
    ones, read); `remaining`: what is left to return of each line, when the page read it with
    the lines (returns.selectors.returnable_lines; None: read here)."""
    if remaining is None:
        remaining = returnable_quantities(order, order_lines=order_lines)
    return policy.returnability(
        order,
        shop_settings,
        channel=Return.Channel.PORTAL,
        remaining=remaining,
        blocked=blocked
        or (
            lambda: blocked_lines_for_portal(
                order, shop_settings=shop_settings, order_lines=order_lines, rules=rules
            )
        ),
    )


def order_returns(order: Order) -> QuerySet[Return]:
    """The order's returns for its page, newest first."""
    return (
        Return.objects.filter(order=order)
        .only("rma_number", "status", "created_at", "order_id", "refund_mode", "keep_item")
        .order_by("-created_at", "-id")
    )


def active_reasons() -> list[ReturnReason]:
    return list(ReturnReason.objects.filter(active=True).order_by("position", "id"))


def portal_returns(scope: PortalScope) -> QuerySet[Return]:
    if scope.is_empty:
        return Return.objects.none()
    return Return.objects.filter(order__in=scope.orders().values("pk"))


def portal_return(scope: PortalScope, rma_number: str) -> Return:
    """One return of the scope with what its page shows; Return.DoesNotExist otherwise."""
    lines = ReturnLine.objects.select_related(
        "order_line__variant__product", "reason", "exchange_variant__product"
    )
    return (
        portal_returns(scope)
        .select_related("order__customer", "order__brand", "action")
        .prefetch_related(Prefetch("lines", queryset=lines.order_by("id")))
        .get(rma_number=rma_number)
    )


def portal_return_number(scope: PortalScope, rma_number: str) -> Return:
    """One return of the scope with only its number (the label's pages): no lines, no order;
    Return.DoesNotExist otherwise."""
    # status too: the model keeps the status it was read with (a deferred one is a query)
    fields = ("rma_number", "status", "order_id")
    return portal_returns(scope).only(*fields).get(rma_number=rma_number)


def customer_events(ret: Return) -> list[ReturnEvent]:
    """What the customer's timeline shows: the events meant for them, oldest first."""
    return list(
        ret.events.filter(visible_to_customer=True)
        .only("kind", "created_at", "from_status", "to_status", "code", "params", "note", "ret_id")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    title: str
    note: str = ""


def customer_timeline(events: list[ReturnEvent]) -> list[TimelineEntry]:
    """The history the customer reads: each status in their words, other events by kind, their
    messages in the customer's language (returns/events.py)."""
    entries: list[TimelineEntry] = []
    for event in events:
        if event.kind == ReturnEvent.Kind.STATUS and event.to_status:
            title = str(STATUS_CUSTOMER_LABELS[event.to_status])
        else:
            title = str(ReturnEvent.Kind(event.kind).label).capitalize()
        text = render_event(event)
        # A refund and the completion it causes carry the same message: say it once.
        note = "" if entries and text == entries[-1].note else text
        entries.append(TimelineEntry(at=event.created_at, title=title, note=note))
    return entries


# The usual way of a return; a return that stops early (rejected, cancelled, expired) ends with
# that status instead.
_FLOW: list[str] = [
    ReturnStatus.REQUESTED,
    ReturnStatus.APPROVED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.RECEIVED,
    ReturnStatus.COMPLETED,
]


@dataclass(frozen=True)
class ProgressStep:
    status: str
    label: str
    state: str  # "done", "current" or "upcoming"
    at: datetime | None = None


def progress_steps(ret: Return, events: list[ReturnEvent]) -> list[ProgressStep]:
    """The steps of the return for the customer's tracker, with when each was reached."""
    reached: dict[str, datetime] = {}
    for event in events:
        if event.kind == ReturnEvent.Kind.STATUS and event.to_status:
            reached.setdefault(event.to_status, event.created_at)
    current = ret.status
    if current in _FLOW:
        position = _FLOW.index(current)
        statuses = [
            status
            for index, status in enumerate(_FLOW)
            # a parcel dropped in store may skip "in transit": do not show a hole
            if not (
                index < position and status not in reached and status == ReturnStatus.IN_TRANSIT
            )
        ]
    else:
        statuses = [status for status in _FLOW if status in reached] + [current]
    steps = []
    for status in statuses:
        if status == current:
            # a return settled is done; any other status is where it stands now
            state = "done" if status == ReturnStatus.COMPLETED else "current"
        elif current in _FLOW and _FLOW.index(status) > _FLOW.index(current):
            state = "upcoming"
        else:
            state = "done"
        steps.append(
            ProgressStep(
                status=status, label=step_label(ret, status), state=state, at=reached.get(status)
            )
        )
    return steps


def step_label(ret: Return, status: str) -> str:
    if status == ReturnStatus.COMPLETED:
        settled: dict[str, str] = {
            Return.RefundMode.MONEY_BACK: gettext("Refunded"),
            Return.RefundMode.STORE_CREDIT: gettext("Credited"),
            Return.RefundMode.EXCHANGE: gettext("Exchanged"),
        }
        return settled.get(ret.refund_mode, gettext("Completed"))
    if status == ReturnStatus.IN_TRANSIT:
        return gettext("On its way to us")
    return str(ReturnStatus(status).label).capitalize()


def settled_refunds(ret: Return) -> list[Refund]:
    """The refunds paid for the return, newest first (none until one is marked refunded)."""
    return list(
        Refund.objects.filter(ret=ret, status=RefundStatus.REFUNDED)
        .only("amount", "currency", "mode", "status", "marked_at", "created_at", "ret_id")
        .order_by("-created_at", "-id")
    )
