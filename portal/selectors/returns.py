"""Reads of the customer portal's return pages, scoped to what the person may see.

The scope (portal.selectors.orders.PortalScope) is the logged-in customer's orders and the
guest's one verified order: a return of any other order is not found, whatever its RMA number.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext

from portal.selectors.orders import (
    SCOPE_PARAMETERS,
    PortalScope,
    scope_of,
    scope_values,
)
from refunds.models import Refund, RefundStatus
from returns import policy
from returns.events import render_event
from returns.models import (
    STATUS_CUSTOMER_LABELS,
    Return,
    ReturnEvent,
    ReturnLine,
    ReturnPhoto,
    ReturnReason,
    ReturnRule,
    ReturnStatus,
)
from returns.rules import BlockedLine, blocked_lines_for_portal
from returns.selectors import returnable_quantities
from shop.compiled import CompiledModels, Parameter, db_value
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


_ORDER_RETURNS = CompiledModels(
    "portal.order_returns",
    lambda _shape, stand_ins: (
        Return.objects.filter(order_id=stand_ins["order_id"])
        .only("rma_number", "status", "created_at", "order_id", "refund_mode", "keep_item")
        .order_by("-created_at", "-id")
    ),
    {"order_id": Parameter(-7_340_033, db_value(Return, "order"))},
)


def order_returns(order: Order) -> list[Return]:
    """The order's returns for its page, newest first (a query compiled once, as the return
    page's below)."""
    return _ORDER_RETURNS.rows(None, {"order_id": order.pk})


def active_reasons() -> list[ReturnReason]:
    return list(ReturnReason.objects.filter(active=True).order_by("position", "id"))


def portal_returns(scope: PortalScope) -> QuerySet[Return]:
    if scope.is_empty:
        return Return.objects.none()
    return Return.objects.filter(order__in=scope.orders().values("pk"))


# A return's page reads its return, lines, photos, timeline and refunds by queries of a fixed
# shape, compiled to SQL once per connection (shop.compiled.CompiledModels): Django compiled
# each of them on every request, which cost more than the database's answers.
_RETURN_ID = {"ret_id": Parameter(-7_340_033, db_value(ReturnLine, "ret"))}


def _return_query(_shape, stand_ins: dict) -> QuerySet[Return]:
    return (
        portal_returns(scope_of(stand_ins))
        .select_related("order__customer", "order__brand", "action")
        .filter(rma_number=stand_ins["rma_number"])
    )


_RETURN = CompiledModels(
    "portal.return",
    _return_query,
    {**SCOPE_PARAMETERS, "rma_number": Parameter("compiled:rma", db_value(Return, "rma_number"))},
)
_LINES = CompiledModels(
    "portal.return_lines",
    lambda _shape, stand_ins: (
        ReturnLine.objects.filter(ret_id=stand_ins["ret_id"])
        .select_related("order_line__variant__product", "reason", "exchange_variant__product")
        .order_by("id")
    ),
    _RETURN_ID,
)
_PHOTOS = CompiledModels(
    "portal.return_photos",
    lambda _shape, stand_ins: (
        ReturnPhoto.objects.filter(line__ret_id=stand_ins["ret_id"])
        .only("id", "line_id")
        .order_by("line_id", "id")
    ),
    _RETURN_ID,
)


def portal_return(scope: PortalScope, rma_number: str) -> Return:
    """One return of the scope with its order, customer, brand and action (the page shows
    them); Return.DoesNotExist otherwise."""
    found = _RETURN.rows(None, {**scope_values(scope), "rma_number": rma_number})
    if not found:
        raise Return.DoesNotExist("No return of this number in the scope.")
    return found[0]


def return_lines(ret: Return) -> list[ReturnLine]:
    """The return's lines, with their items, reasons and the items wanted in exchange, and the
    customer's photos of each (`shown_photos`, by id): two queries whatever the lines."""
    lines = _LINES.rows(None, {"ret_id": ret.pk})
    photos: dict[int, list[ReturnPhoto]] = {}
    for photo in _PHOTOS.rows(None, {"ret_id": ret.pk}):
        photos.setdefault(photo.line_id, []).append(photo)
    for line in lines:
        ReturnLine.ret.field.set_cached_value(line, ret)
        line.shown_photos = photos.get(line.pk, [])  # what the page shows of each line
    # As prefetch_related leaves them: the model's own answers that read ret.lines.all()
    # (is_exchange_for_item) take these, with no query.
    cached = ret.lines.all()
    cached._result_cache = lines
    cached._prefetch_done = True  # type: ignore[attr-defined]  # QuerySet's own, untyped
    ret.__dict__.setdefault("_prefetched_objects_cache", {})["lines"] = cached
    return lines


_RETURN_NUMBER = CompiledModels(
    "portal.return_number",
    lambda _shape, stand_ins: (
        portal_returns(scope_of(stand_ins))
        # status too: the model keeps the status it was read with (a deferred one is a query)
        .only("rma_number", "status", "order_id")
        .filter(rma_number=stand_ins["rma_number"])
    ),
    {**SCOPE_PARAMETERS, "rma_number": Parameter("compiled:rma", db_value(Return, "rma_number"))},
)


def portal_return_number(scope: PortalScope, rma_number: str) -> Return:
    """One return of the scope with only its number (the label's pages): no lines, no order;
    Return.DoesNotExist otherwise. Compiled once per connection, as the return page's read."""
    found = _RETURN_NUMBER.rows(None, {**scope_values(scope), "rma_number": rma_number})
    if not found:
        raise Return.DoesNotExist("No return of this number in the scope.")
    return found[0]


_EVENTS = CompiledModels(
    "portal.customer_events",
    lambda _shape, stand_ins: (
        ReturnEvent.objects.filter(ret_id=stand_ins["ret_id"], visible_to_customer=True)
        .only("kind", "created_at", "from_status", "to_status", "code", "params", "note", "ret_id")
        .order_by("created_at", "id")
    ),
    _RETURN_ID,
)


def customer_events(ret: Return) -> list[ReturnEvent]:
    """What the customer's timeline shows: the events meant for them, oldest first."""
    return _EVENTS.rows(None, {"ret_id": ret.pk})


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


_SETTLED = CompiledModels(
    "portal.settled_refunds",
    lambda _shape, stand_ins: (
        Refund.objects.filter(ret_id=stand_ins["ret_id"], status=RefundStatus.REFUNDED)
        .only("amount", "currency", "mode", "status", "marked_at", "created_at", "ret_id")
        .order_by("-created_at", "-id")
    ),
    _RETURN_ID,
)


def settled_refunds(ret: Return) -> list[Refund]:
    """The refunds paid for the return, newest first (none until one is marked refunded)."""
    return _SETTLED.rows(None, {"ret_id": ret.pk})
