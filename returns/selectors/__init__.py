"""Reads of the returns app: quantities still returnable, timelines, a customer's returns."""

from collections.abc import Sequence
from typing import NamedTuple

from django.db.models import Case, F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from returns.models import LIVE_STATUSES, Return, ReturnEvent, ReturnLine, ReturnStatus
from shop.compiled import CompiledPage
from shop.models import Order, OrderLine

# Once a parcel has been received, a line holds what actually came back, not what was asked.
_COUNTED_AS_RECEIVED = [ReturnStatus.RECEIVED, ReturnStatus.COMPLETED]


def _held() -> Sum:
    """What a return line holds of its order line: what came back once received, else what
    was asked (summed over the live returns' lines)."""
    return Sum(
        Case(
            When(
                ret__status__in=_COUNTED_AS_RECEIVED,
                received_quantity__isnull=False,
                then=F("received_quantity"),
            ),
            default=F("quantity"),
        )
    )


def held_quantities(order: Order, *, exclude_return_id: int | None = None) -> dict[int, int]:
    """Per order line id, the quantity held by the order's live returns."""
    lines = ReturnLine.objects.filter(order_line__order=order, ret__status__in=LIVE_STATUSES)
    if exclude_return_id is not None:
        lines = lines.exclude(ret_id=exclude_return_id)
    rows = lines.values("order_line_id").annotate(held=_held())
    return {row["order_line_id"]: row["held"] for row in rows}


class ReturnableLines(NamedTuple):
    lines: list[OrderLine]
    remaining: dict[int, int]
    # The id of the return an idempotency key made, read in the same statement (None: none,
    # or no key asked, or an order without lines).
    keyed_return_id: int | None = None


def returnable_lines(order: Order, *, key: str = "") -> ReturnableLines:
    """The order's lines with their variants and products, and per line id what may still be
    returned (left_to_return), in one query: what returnable_quantities answers, for a service
    that reads both under the order's lock. `key`: an idempotency key, whose return's id comes
    with the lines (one statement where a lookup of its own would be another).

    Its SQL is compiled once per connection (shop.compiled.CompiledPage): Django building
    these subqueries cost three times the database's answer, and a confirm reads it twice."""
    ids = OrderLine.objects.filter(order_id=order.pk).values("pk")
    lines = _KEYED_LINES.rows(ids, ["id"], values=[key]) if key else _LINES.rows(ids, ["id"])
    for line in lines:
        line.order = order  # as order.lines.all() gives them: their order not read again
    remaining = {line.pk: left_to_return(line.quantity, line.held) for line in lines}
    keyed_id = lines[0].keyed_return_id if key and lines else None
    return ReturnableLines(lines, remaining, keyed_id)


def _lines_query(ids, *key: str) -> QuerySet[OrderLine]:
    held = (
        ReturnLine.objects.filter(order_line=OuterRef("pk"), ret__status__in=LIVE_STATUSES)
        .order_by()
        .values("order_line")
        .annotate(held=_held())
        .values("held")
    )
    query = (
        OrderLine.objects.filter(pk__in=ids)
        .select_related("variant__product")
        .annotate(held=Coalesce(Subquery(held), Value(0), output_field=IntegerField()))
    )
    if key:
        keyed = Return.objects.filter(idempotency_key=key[0]).order_by().values("pk")[:1]
        query = query.annotate(keyed_return_id=Subquery(keyed, output_field=IntegerField()))
    return query


# A key no form carries (a form's is "portal:<hex>" or the back-office's), found once among the
# compiled parameters.
_KEY_STAND_IN = "\x00compiled:idempotency-key"
_LINES = CompiledPage("returns.returnable_lines", _lines_query)
_KEYED_LINES = CompiledPage("returns.returnable_lines.keyed", _lines_query, [_KEY_STAND_IN])


def left_to_return(ordered: int, held: int) -> int:
    """What of an order line may still be returned: ordered minus what live returns hold."""
    return max(0, ordered - held)


def returnable_quantities(
    order: Order, *, order_lines: Sequence[OrderLine] | None = None
) -> dict[int, int]:
    """Per order line id, what may still be returned (left_to_return). `order_lines`: every
    line of the order, when the caller has read them already (None: read here)."""
    held = held_quantities(order)
    if order_lines is None:
        pairs = list(order.lines.values_list("id", "quantity"))
    else:
        pairs = [(line.pk, line.quantity) for line in order_lines]
    return {line_id: left_to_return(quantity, held.get(line_id, 0)) for line_id, quantity in pairs}


def return_timeline(ret: Return, *, for_customer: bool = False) -> QuerySet[ReturnEvent]:
    """The return's events, oldest first; a customer sees only what is meant for them. Each
    event's `text` is its message rendered in the reader's language (returns/events.py)."""
    events = ret.events.select_related("actor").order_by("created_at", "id")
    if for_customer:
        events = events.filter(visible_to_customer=True)
    return events


def is_pending_inspection(ret: Return) -> bool:
    """Received unopened (a carrier's delivery scan): its lines' quantities are not known yet
    (returns/services/inspection.py)."""
    return (
        ret.status in (ReturnStatus.RECEIVED, ReturnStatus.COMPLETED)
        and ReturnLine.objects.filter(ret_id=ret.pk, received_quantity__isnull=True).exists()
    )


def return_of_form(order: Order, idempotency_key: str) -> Return | None:
    """The return of `order` a form with this key already made: a page sent again after it
    went through is shown that return rather than refused for quantities it took itself."""
    if not idempotency_key:
        return None
    return Return.objects.filter(order=order, idempotency_key=idempotency_key).first()
