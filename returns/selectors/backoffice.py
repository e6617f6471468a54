"""Reads of the back-office pages: the returns overview, a return's page and an order's page.

Each page reads a fixed number of queries whatever the number of rows, lines or events it shows
(the tests pin them).
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce

from refunds.models import Refund
from refunds.money import with_money_columns
from refunds.selectors import refunded_items_by_order_line
from returns.label_state import cancelled_label_exists
from returns.models import (
    LabelAttempt,
    LabelStatus,
    Return,
    ReturnEvent,
    ReturnLabel,
    ReturnLine,
    ReturnReason,
    TrackingEvent,
    exchange_items_named,
)
from returns.policy import LabelAction, label_refusal
from returns.selectors import (
    held_quantities,
    left_to_return,
    return_timeline,
    returnable_quantities,
)
from returns.selectors.labels import (
    ParcelStatement,
    carrier_name,
    latest_label,
    latest_label_attempt,
    parcel_statement,
    tracking_url,
)
from shop.compiled import CompiledModels, CompiledPage, Parameter, db_value
from shop.limits import id_out_of_range
from shop.memo import ProcessMemo
from shop.models import Brand, Order

# --- the overview ----------------------------------------------------------------------------


def overview_rows(page: QuerySet[Return]) -> list[Return]:
    """The rows of a page of the overview (`page`: the list's query, sliced to the page) with
    what its columns show, in its order, in one query whatever their number, none included.

    The page's ids are that query's subquery (`id IN (SELECT id ... ORDER BY ... LIMIT 50
    OFFSET n)`): it reads the index of the list's ordering and nothing else, so rows skipped by
    a deep page cost no subquery, and the columns below are computed for the page's rows only.
    The money state (refunds/money.py) is computed from the columns with_money_columns adds (the
    order's lines, its returns' lines, its refunds), so the exact quote of each row costs no
    query more. The label columns are what returns.label_state.label_state reads, with the live
    label's id and tracking number (the column links to its page).

    Django compiled those columns' JSON subqueries to SQL on every page, which cost more than
    the database's answer: they are compiled once per connection and ordering
    (shop.compiled.CompiledPage); each page compiles only its ids' query.
    """
    found = overview_page(page)
    if found is None:  # an expression's sort
        return list(_overview_query(page.values("pk")).order_by(*page.query.order_by))
    fetched, make = found
    return make(fetched)


def overview_page(page: QuerySet[Return]) -> tuple[list[tuple[Any, ...]], Callable] | None:
    """overview_rows in two steps (shop.compiled.CompiledPage.fetched): the rows' values as
    the database answered them, and what makes the returns of some of them; the overview keeps
    what a row shows by its values. None for a page sorted by an expression."""
    order_by = page.query.order_by
    names = [field for field in order_by if isinstance(field, str)]
    if len(names) != len(order_by):
        return None
    return _OVERVIEW_PAGE.fetched(page.values("pk"), names)


def _overview_query(ids) -> QuerySet[Return]:
    live_label = ReturnLabel.objects.filter(ret=OuterRef("pk"), status=LabelStatus.CREATED)
    return with_money_columns(
        Return.objects.filter(pk__in=ids).select_related("order__customer")
    ).annotate(
        exchange_items_named=exchange_items_named(),
        live_label_id=Subquery(live_label.values("pk")[:1]),
        live_tracking_number=Subquery(live_label.values("tracking_number")[:1]),
        has_cancelled_label=cancelled_label_exists(),
    )


_OVERVIEW_PAGE = CompiledPage("returns.overview", _overview_query)


# The overview's filters' choices (the reasons, the brands), read by each of its pages: rows
# staff change a few times a year, read from a per-process memo as shop/memo.py keeps the
# settings (a change empties it at once in this process, returns/apps.py; at most
# MEMO_SECONDS old in another). Two queries of the page's seven.
FILTER_CHOICES: ProcessMemo[tuple] = ProcessMemo()


def filter_reasons() -> tuple[ReturnReason, ...]:
    """Every reason, active or not, in their order: the overview's reason filter."""
    return FILTER_CHOICES.get("reasons", lambda: tuple(ReturnReason.objects.all()))


def filter_brands() -> tuple[Brand, ...]:
    """Every brand by name: the overview's brand filter."""
    return FILTER_CHOICES.get("brands", lambda: tuple(Brand.objects.order_by("name", "id")))


def forget_filter_choices(**_signal) -> None:
    """A reason or a brand changed (a signal receiver): the filters read them again."""
    FILTER_CHOICES.clear()


COUNTRIES_CACHE_KEY = "backoffice:return-countries"


def countries_with_returns() -> list[str]:
    """The orders' shipping countries, for the overview's country filter. A DISTINCT over every
    order is a full scan, so the list is cached for a few minutes."""
    countries = cache.get(COUNTRIES_CACHE_KEY)
    if countries is None:
        countries = sorted(
            Order.objects.exclude(shipping_country="")
            .values_list("shipping_country", flat=True)
            .distinct()
            .order_by()
        )
        cache.set(COUNTRIES_CACHE_KEY, countries, 300)
    return countries


# --- a return's page -------------------------------------------------------------------------


@dataclass
class ParcelInfo:
    """What the page shows of the return's label and its parcel (None without labels)."""

    label: ReturnLabel | None
    tracking_events: list[TrackingEvent]
    # What the panel says about the parcel (returns.selectors.labels.parcel_statement).
    statement: ParcelStatement
    # The latest request of a label when the return has no live one (a failure to retry).
    attempt: LabelAttempt | None = None
    carrier_name: str = ""


def return_for_page(pk) -> Return:
    """The return with everything its page shows, in a fixed number of queries (three: the
    return with its relations, its lines with theirs, the lines' photos).

    The first two are compiled to SQL once per connection (shop.compiled.CompiledModels: Django
    compiled their joins on every request, a sixth of the page's time); the rows are made as
    select_related and prefetch_related make them, so `ret.lines.all()` reads no query."""
    # An id no column holds matches nothing (the ORM's filter would answer so without a query).
    found = [] if id_out_of_range(pk) else _RETURN_PAGE.rows(None, {"pk": pk})
    if not found:
        raise Return.DoesNotExist("Return matching query does not exist.")
    ret = found[0]
    lines = _LINES_PAGE.rows(None, {"ret_id": ret.pk})
    for line in lines:
        ReturnLine.ret.field.set_cached_value(line, ret)
    prefetch_related_objects(lines, "photos")
    prefetched = ret.lines.all()
    # What prefetch_related("lines") leaves: the relation's queryset, already fetched.
    prefetched._result_cache, prefetched._prefetch_done = lines, True
    ret._prefetched_objects_cache = {ReturnLine.ret.field.remote_field.cache_name: prefetched}
    return ret


_RETURN_PAGE = CompiledModels(
    "returns.page.return",
    lambda _shape, stand_ins: Return.objects.filter(pk=stand_ins["pk"]).select_related(
        "order__customer", "action", "replacement_order", "created_by"
    ),
    {"pk": Parameter(-7_340_033, db_value(Return, "id"))},
)
_LINES_PAGE = CompiledModels(
    "returns.page.lines",
    lambda _shape, stand_ins: (
        ReturnLine.objects.filter(ret_id=stand_ins["ret_id"])
        .select_related("order_line__variant__product", "reason", "exchange_variant__product")
        .order_by("id")
    ),
    {"ret_id": Parameter(-7_340_033, db_value(ReturnLine, "ret"))},
)


def parcel_info(ret: Return) -> ParcelInfo:
    """The return's latest label (live first) with its tracking events."""
    label = latest_label(ret)
    events = _tracking_events(label) if label else []
    # A request matters only where a label may be made (failed: retry; pending: wait): the
    # policy says where, so other returns' pages read nothing more.
    may_make = label_refusal(LabelAction.CREATE, ret, label) is None
    attempt = latest_label_attempt(ret.pk) if may_make else None
    return ParcelInfo(
        label=label,
        tracking_events=events,
        attempt=attempt,
        carrier_name=carrier_name(label.carrier) if label else "",
        statement=parcel_statement(ret, label, attempt),
    )


@dataclass
class LabelPage:
    """What a label's back-office page shows, read in a fixed number of queries."""

    label: ReturnLabel
    carrier_name: str
    tracking_url: str
    tracking_events: list[TrackingEvent]
    # The return's label events (made, emailed again, cancelled, failed), newest first.
    events: list[ReturnEvent]
    # What to say of this label's parcel (returns.selectors.labels.parcel_statement).
    statement: ParcelStatement


def label_for_page(label_id: int) -> LabelPage | None:
    """The label `label_id` with its return, tracking events and label events; None if none."""
    label = (
        ReturnLabel.objects.defer("pdf")
        .select_related("ret__order__customer", "shipping_method", "created_by")
        .filter(pk=label_id)
        .first()
    )
    if label is None:
        return None
    return LabelPage(
        label=label,
        carrier_name=carrier_name(label.carrier),
        tracking_url=tracking_url(label.carrier, label.tracking_number),
        tracking_events=list(label.tracking_events.order_by("-occurred_at", "-id")),
        events=list(
            label.ret.events.filter(kind=ReturnEvent.Kind.LABEL)
            .select_related("actor")
            .order_by("-created_at", "-id")
        ),
        statement=parcel_statement(label.ret, label),
    )


def _tracking_events(label: ReturnLabel) -> list[TrackingEvent]:
    """The label's 20 latest tracking events, newest first."""
    events = _TRACKING_EVENTS.rows(None, {"label_id": label.pk}, 0, 20)
    for event in events:
        TrackingEvent.label.field.set_cached_value(event, label)  # as label.tracking_events
    return events


def timeline_for_page(ret: Return) -> list[ReturnEvent]:
    """return_timeline's events (staff see them all), in its order."""
    events = _EVENTS.rows(None, {"ret_id": ret.pk})
    for event in events:
        ReturnEvent.ret.field.set_cached_value(event, ret)  # as ret.events would
    return events


def notifications_for_page(ret: Return):
    return _NOTIFICATIONS.rows(None, {"ret_id": ret.pk})


def refunds_for_page(ret: Return) -> list[Refund]:
    return _REFUNDS.rows(None, {"ret_id": ret.pk})


def _notification_rows(_shape, stand_ins: dict):
    from notifications.models import Notification  # notifications imports returns

    return Notification.objects.filter(ret_id=stand_ins["ret_id"]).order_by("created_at", "id")


# A return's id, as its primary key writes it into a query (notifications' model cannot be
# imported here: notifications imports returns).
_RETURN_ID = {"ret_id": Parameter(-7_340_033, db_value(Return, "id"))}


# A return's page reads these by the return's id (a label's) on every request: each is compiled
# to SQL once per connection (shop.compiled.CompiledModels), since Django's compiling of their
# columns and joins cost more than the database's answer; a request only binds the id.
_TRACKING_EVENTS = CompiledModels(
    "returns.page.tracking",
    lambda _shape, stand_ins: TrackingEvent.objects.filter(label_id=stand_ins["label_id"]).order_by(
        "-occurred_at", "-id"
    ),
    {"label_id": Parameter(-7_340_033, db_value(ReturnLabel, "id"))},
)
_EVENTS = CompiledModels(
    "returns.page.timeline",
    # return_timeline's events, in its order (staff see them all).
    lambda _shape, stand_ins: return_timeline(Return(pk=stand_ins["ret_id"])),
    _RETURN_ID,
)
_REFUNDS = CompiledModels(
    "returns.page.refunds",
    lambda _shape, stand_ins: (
        Refund.objects.filter(ret_id=stand_ins["ret_id"])
        .select_related("created_by", "marked_by")
        .order_by("-created_at", "-id")
    ),
    _RETURN_ID,
)
_NOTIFICATIONS = CompiledModels("returns.page.notifications", _notification_rows, _RETURN_ID)


# --- an order's page -------------------------------------------------------------------------


@dataclass
class OrderLineSummary:
    line: object
    in_returns: int
    returnable: int
    refunded: Decimal

    @property
    def total_paid(self):
        return self.line.total_paid


def order_for_page(pk) -> Order:
    return Order.objects.select_related("customer").get(pk=pk)


def order_lines_summary(order: Order) -> list[OrderLineSummary]:
    """Each line with what live returns hold of it, what may still be returned, and the item
    value refunded on it (frozen quotes of the order's refunds)."""
    held = held_quantities(order)
    refunded = refunded_items_by_order_line(order)
    lines = list(order.lines.select_related("variant__product").order_by("id"))
    return [
        OrderLineSummary(
            line=line,
            in_returns=held.get(line.pk, 0),
            returnable=left_to_return(line.quantity, held.get(line.pk, 0)),
            refunded=refunded.get(line.pk, Decimal("0")),
        )
        for line in lines
    ]


def order_returns(order: Order) -> list[Return]:
    return list(
        order.returns.annotate(items_count=Coalesce(Sum("lines__quantity"), 0)).order_by(
            "-created_at", "-id"
        )
    )


def order_refunds(order: Order) -> list[Refund]:
    return list(
        Refund.objects.filter(order=order)
        .select_related("ret", "marked_by")
        .order_by("-created_at", "-id")
    )


def orders_overview(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """The orders list: the customer, and the number of returns as a subquery (one query)."""
    returns = (
        Return.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(n=Count("id"))
        .values("n")
    )
    return queryset.select_related("customer").annotate(
        returns_count=Coalesce(Subquery(returns, output_field=IntegerField()), 0)
    )


# --- creating a return -----------------------------------------------------------------------


def returnable_for_form(order: Order) -> dict[int, int]:
    return returnable_quantities(order)


def order_ids_for_identifier(term: str) -> set[int]:
    """Orders named exactly by `term`: their number in any case, their email or their
    customer's, or their outbound tracking number; each one lookup on an index
    (order_number_upper, order_email, the customer's unique email, order_tracking_number), so
    the orders list's search for an identifier stays instant at a million orders."""
    term = term.strip()
    if not term or " " in term:
        return set()
    found = set(Order.objects.filter(number__iexact=term).values_list("pk", flat=True))
    found |= set(Order.objects.filter(outbound_tracking_number=term).values_list("pk", flat=True))
    if "@" in term:
        found |= set(Order.objects.filter(email=term.lower()).values_list("pk", flat=True))
        found |= set(
            Order.objects.filter(customer__email=term.lower()).values_list("pk", flat=True)
        )
    return found


def return_ids_for_identifier(term: str) -> set[int]:
    """Returns named exactly by `term`: an RMA number, an order number, a customer's email or a
    tracking number. Each is one lookup on a unique or indexed column, so a search for an
    identifier stays instant at a million returns (a substring search scans every row)."""
    term = term.strip()
    if not term or " " in term:
        return set()
    found = set(Return.objects.filter(rma_number=term.upper()).values_list("pk", flat=True))
    found |= set(Return.objects.filter(order__number=term).values_list("pk", flat=True))
    found |= set(
        Return.objects.filter(order__outbound_tracking_number=term).values_list("pk", flat=True)
    )
    if "@" in term:
        found |= set(Return.objects.filter(order__email=term.lower()).values_list("pk", flat=True))
        found |= set(
            Return.objects.filter(order__customer__email=term.lower()).values_list("pk", flat=True)
        )
    found |= set(
        Return.objects.filter(labels__tracking_number=term.upper()).values_list("pk", flat=True)
    )
    return found
