"""The stock and the replacement order of an exchange for chosen items, line by line.

Every line of an exchange names the size or colour of its product the customer gets instead
(ReturnLine.exchange_variant). When the return is approved, each line's units are held: a
ledger movement takes them out of what may be sold (`ExchangeReservation`, one held per line),
so two customers wanting the last unit cannot both be approved (stock_move's conditional
UPDATE refuses the second; the variant's CHECK keeps the stock from going below zero). When the
parcel is received (or at approval with the shop's instant exchange), the replacement order is
made with one line per line exchanged, from the held units, and what did not come back is
released. A return that closes releases what it held; staff choosing another item for a line
move that line's reservation. Several variants move in variant id order (returns/locks.py,
rank 7). Callers hold the return's lock (and the order's before it when a replacement order
may be made: it is numbered under that lock)."""

from collections.abc import Callable
from functools import partial

from django.utils import timezone
from django.utils.translation import gettext

from returns.errors import ReturnError
from returns.locks import lock_customer
from returns.models import ExchangeReservation, ReservationStatus, Return, ReturnEvent, ReturnLine
from returns.services._common import record_event
from shop.models import Order, OrderLine, ShopSettings, StockMovement, User, Variant
from shop.money import quantize
from shop.services import StockError, stock_move


def exchange_lines(ret: Return) -> list[ReturnLine]:
    """The lines of `ret` that name an item in exchange, with it, in variant id order (the
    order their stock moves in)."""
    lines = ret.lines.filter(exchange_variant__isnull=False).select_related(
        "exchange_variant__product"
    )
    return sorted(lines, key=lambda line: (line.exchange_variant_id or 0, line.pk))


def held_reservations(ret: Return) -> dict[int, ExchangeReservation]:
    """By return line id: what each line of `ret` holds now."""
    held = ExchangeReservation.objects.filter(ret=ret, status=ReservationStatus.HELD)
    return {reservation.line_id: reservation for reservation in held.select_related("variant")}


def on_approval(ret: Return, *, actor: User | None) -> None:
    """The approval's work for an exchange: hold its lines' units, and with instant exchange
    make the replacement order at once for every unit announced."""
    instant = ret.is_exchange_for_item and ShopSettings.load().instant_exchange
    if instant:
        lock_replacement_customer(ret)
    reserve_replacement(ret, actor=actor)
    if instant:
        ship_replacement(ret, received=False, actor=actor)


def lock_replacement_customer(ret: Return) -> None:
    """Before any stock moves in a transaction that may make the replacement order: that
    order references the customer, and PostgreSQL checks the reference at commit with a lock
    on the customer's row, after the stock moved. Taken first, in the lock order
    (returns/locks.py: the customer, then stock), it cannot deadlock with a transaction that
    locks the customer and then moves stock (the order import). Seen in the 8-process test."""
    if ret.is_exchange_for_item and ret.replacement_order_id is None:
        lock_customer(ret.order.customer_id)


def reserve_replacement(ret: Return, *, actor: User | None) -> None:
    """Hold each exchanged line's units of its item (once per line; none for an item whose
    stock the point of sale owns)."""
    if ret.refund_mode != Return.RefundMode.EXCHANGE:
        return
    held = held_reservations(ret)
    for line in exchange_lines(ret):
        variant = line.exchange_variant
        if variant is None or variant.stock_managed_by_pos or line.pk in held:
            continue
        _hold(line, variant, actor=actor)
        record_event(
            ret,
            kind=ReturnEvent.Kind.NOTE,
            actor=actor,
            code="exchange.reserved",
            params={"count": line.quantity, "item": str(variant)},
        )


def _hold(line: ReturnLine, variant: Variant, *, actor: User | None) -> None:
    units = line.quantity
    reservation = ExchangeReservation.objects.create(
        ret_id=line.ret_id, line=line, variant=variant, quantity=units
    )
    try:
        stock_move(
            variant=variant,
            quantity=-units,
            kind=StockMovement.Kind.EXCHANGE_RESERVED,
            actor=actor,
            note=line.ret.rma_number,
            key=reservation.stock_key("take"),
        )
    except StockError as exc:
        raise ReturnError(
            gettext(
                "Not enough stock of “%(item)s” to hold %(count)d for the exchange: choose "
                "another item or settle the return another way."
            )
            % {"item": variant, "count": units},
            code="exchange_out_of_stock",
        ) from exc


def release_replacement(ret: Return, *, actor: User | None) -> None:
    """Give back to the stock every unit `ret` holds (it closed, or nothing came back)."""
    held = sorted(held_reservations(ret).values(), key=lambda r: (r.variant_id, r.pk))
    for reservation in held:
        _end(reservation, ReservationStatus.RELEASED)
        _release(reservation, reservation.quantity, actor=actor)


def _end(reservation: ExchangeReservation, status: str) -> None:
    reservation.status = status
    reservation.ended_at = timezone.now()
    reservation.save(update_fields=["status", "ended_at"])


def _release(reservation: ExchangeReservation, units: int, *, actor: User | None) -> None:
    if units:
        stock_move(
            variant=reservation.variant,
            quantity=units,
            kind=StockMovement.Kind.EXCHANGE_RELEASED,
            actor=actor,
            note=reservation.ret.rma_number,
            key=reservation.stock_key("release"),
        )


# While approved and not yet shipped, an exchange holds its units.
HOLDING_STATUSES = (Return.Status.APPROVED, Return.Status.IN_TRANSIT, Return.Status.RECEIVED)


def move_reservation(line: ReturnLine, variant: Variant, *, actor: User | None) -> None:
    """Staff chose `variant` instead for `line` (it already names it): see move_reservations."""
    move_reservations([(line, variant)], actor=actor)


def move_reservations(changes: list[tuple[ReturnLine, Variant]], *, actor: User | None) -> None:
    """Staff chose another item for each of these lines of one return (they already name
    it): what each line held of its former item is released and its units are held of the new
    one, every variant moved in id order (returns/locks.py, rank 7). The other lines keep
    theirs."""
    if not changes:
        return
    ret = changes[0][0].ret
    if ret.status not in HOLDING_STATUSES or ret.replacement_order_id is not None:
        return
    held = held_reservations(ret)
    moves: list[tuple[int, Callable[[], None]]] = []
    for line, variant in changes:
        former = held.get(line.pk)
        if former is not None:
            _end(former, ReservationStatus.RELEASED)  # one held per line: the new one
            moves.append(
                (former.variant_id, partial(_release, former, former.quantity, actor=actor))
            )
        if ret.refund_mode == Return.RefundMode.EXCHANGE and not variant.stock_managed_by_pos:
            moves.append((variant.pk, partial(_hold, line, variant, actor=actor)))
    for _variant_id, move in sorted(moves, key=lambda pair: pair[0]):
        move()


def ship_replacement(ret: Return, *, received: bool, actor: User | None) -> None:
    """Make the replacement order: one line per line exchanged, of its item, for the units
    that came back (`received`) or were announced (instant exchange), from the units held
    (what a line holds beyond them is released), or from the stock when nothing is held (a
    return approved before reservations existed). Once per return; none for nothing received."""
    if not ret.is_exchange_for_item or ret.replacement_order_id is not None:
        return
    lines = exchange_lines(ret)
    units = {
        line.pk: (line.received_quantity or 0) if received else line.quantity for line in lines
    }
    if not any(units.values()):
        release_replacement(ret, actor=actor)
        return
    held = held_reservations(ret)
    lock_replacement_customer(ret)  # taken already where stock moved before (a receipt)
    ret.replacement_order = _replacement_order(ret, lines, units)
    ret.save(update_fields=["replacement_order"])
    for line in lines:
        variant = line.exchange_variant
        assert variant is not None  # exchange_lines' lines name one
        reservation = held.get(line.pk)
        if reservation is not None:
            _end(reservation, ReservationStatus.SHIPPED)
            _release(reservation, max(0, reservation.quantity - units[line.pk]), actor=actor)
        elif units[line.pk] and not variant.stock_managed_by_pos:
            _take_for_shipping(line, variant, units[line.pk], actor=actor)
    shipped = [(units[line.pk], str(line.exchange_variant)) for line in lines if units[line.pk]]
    number = ret.replacement_order.number
    if len(shipped) == 1:
        code, params = "exchange.replacement", {"count": shipped[0][0], "item": shipped[0][1]}
    else:
        items = ", ".join(f"{count} × {item}" for count, item in shipped)
        code, params = "exchange.replacement_lines", {"items": items}
    record_event(
        ret,
        kind=ReturnEvent.Kind.NOTE,
        actor=actor,
        code=code,
        params={"order": number, **params},
        visible_to_customer=True,
    )


def _take_for_shipping(
    line: ReturnLine, variant: Variant, units: int, *, actor: User | None
) -> None:
    try:
        stock_move(
            variant=variant,
            quantity=-units,
            kind=StockMovement.Kind.EXCHANGE,
            actor=actor,
            note=line.ret.rma_number,
            key=f"return-line:{line.pk}:exchange",
        )
    except StockError as exc:
        raise ReturnError(
            gettext("Not enough stock of “%(item)s” to send %(count)d in exchange.")
            % {"item": variant, "count": units}
        ) from exc


def _replacement_order(ret: Return, lines: list[ReturnLine], units: dict[int, int]) -> Order:
    order = ret.order  # locked by the caller before the return
    replacement = Order.objects.create(
        number=_replacement_number(order),
        customer=order.customer,
        email=order.email,
        status=Order.Status.PLACED,
        shipping_country=order.shipping_country,
        shipping_postcode=order.shipping_postcode,
        currency=order.currency,
        shipping_cost=0,
        discount=0,
        amount_paid=0,
    )
    for line in sorted(lines, key=lambda line: line.pk):
        variant = line.exchange_variant
        if variant is None or not units[line.pk]:
            continue
        OrderLine.objects.create(
            order=replacement,
            variant=variant,
            quantity=units[line.pk],
            unit_price_paid=quantize(variant.price, order.currency),
        )
    return replacement


def _replacement_number(order: Order) -> str:
    n = Return.objects.filter(order=order, replacement_order__isnull=False).count() + 1
    while Order.objects.filter(number=f"{order.number}-X{n}").exists():
        n += 1
    return f"{order.number}-X{n}"
