"""The stock and the replacement order of an exchange for a chosen item.

When the return is approved, the units wanted are held: a ledger movement takes them out of
what may be sold (`ExchangeReservation`, one held per return), so two customers wanting the
last unit cannot both be approved (stock_move's conditional UPDATE refuses the second; the
variant's CHECK keeps the stock from going below zero). When the parcel is received (or at
approval with the shop's instant exchange), the replacement order is made from the held
units, and what did not come back is released. A return that closes releases what it held;
staff choosing another item move the reservation. Callers hold the return's lock (and the
order's before it when a replacement order may be made: it is numbered under that lock)."""

from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext

from returns.errors import ReturnError
from returns.locks import lock_customer
from returns.models import ExchangeReservation, ReservationStatus, Return, ReturnEvent
from returns.services._common import record_event
from shop.models import Order, OrderLine, ShopSettings, StockMovement, User, Variant
from shop.money import quantize
from shop.services import StockError, stock_move


def held_reservation(ret: Return) -> ExchangeReservation | None:
    return (
        ExchangeReservation.objects.filter(ret=ret, status=ReservationStatus.HELD)
        .select_related("variant__product")
        .first()
    )


def units_wanted(ret: Return) -> int:
    return sum(line.quantity for line in ret.lines.all())


def on_approval(ret: Return, *, actor: User | None) -> None:
    """The approval's work for an exchange: hold its units, and with instant exchange make the
    replacement order at once for every unit announced."""
    instant = ret.is_exchange_for_item and ShopSettings.load().instant_exchange
    if instant:
        lock_replacement_customer(ret)
    reserve_replacement(ret, actor=actor)
    if instant:
        ship_replacement(ret, units_wanted(ret), actor=actor)


def lock_replacement_customer(ret: Return) -> None:
    """Before any stock moves in a transaction that may make the replacement order: that
    order references the customer, and PostgreSQL checks the reference at commit with a lock
    on the customer's row, after the stock moved. Taken first, in the lock order
    (returns/locks.py: the customer, then stock), it cannot deadlock with a transaction that
    locks the customer and then moves stock (the order import). Seen in the 8-process test."""
    if ret.is_exchange_for_item and ret.replacement_order_id is None:
        lock_customer(ret.order.customer_id)


def reserve_replacement(ret: Return, *, actor: User | None) -> None:
    variant = ret.exchange_variant
    if not ret.is_exchange_for_item or variant is None or variant.stock_managed_by_pos:
        return  # nothing to hold: no item chosen, or the point of sale owns its stock
    if held_reservation(ret) is not None:
        return
    _hold(ret, variant, units_wanted(ret), actor=actor)
    record_event(
        ret,
        kind=ReturnEvent.Kind.NOTE,
        actor=actor,
        code="exchange.reserved",
        params={"count": units_wanted(ret), "item": str(variant)},
    )


def _hold(ret: Return, variant: Variant, units: int, *, actor: User | None) -> None:
    reservation = ExchangeReservation.objects.create(ret=ret, variant=variant, quantity=units)
    try:
        stock_move(
            variant=variant,
            quantity=-units,
            kind=StockMovement.Kind.EXCHANGE_RESERVED,
            actor=actor,
            note=ret.rma_number,
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
    reservation = held_reservation(ret)
    if reservation is not None:
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


def move_reservation(ret: Return, variant: Variant, *, actor: User | None) -> None:
    """Staff chose `variant` instead (`ret` already names it): what was held for the former
    item is released and the units are held of the new one, the two variants moved in id
    order (returns/locks.py, rank 7)."""
    if ret.status not in HOLDING_STATUSES or ret.replacement_order_id is not None:
        return
    former = held_reservation(ret)
    moves: list[tuple[int, Callable[[], None]]] = []
    if former is not None:
        _end(former, ReservationStatus.RELEASED)  # one held per return: the new one
        moves.append((former.variant_id, lambda: _release(former, former.quantity, actor=actor)))
    if ret.is_exchange_for_item and not variant.stock_managed_by_pos:
        moves.append((variant.pk, lambda: _hold(ret, variant, units_wanted(ret), actor=actor)))
    for _variant_id, move in sorted(moves, key=lambda pair: pair[0]):
        move()


def ship_replacement(ret: Return, units: int, *, actor: User | None) -> None:
    """Make the replacement order of `units` of the item chosen, from the units held (what is
    held beyond `units` is released), or from the stock when nothing is held (a return approved
    before reservations existed). Once per return; none for nothing received."""
    variant = ret.exchange_variant
    if not ret.is_exchange_for_item or variant is None or ret.replacement_order_id is not None:
        return
    reservation = held_reservation(ret)
    if units == 0:
        release_replacement(ret, actor=actor)
        return
    lock_replacement_customer(ret)  # taken already where stock moved before (a receipt)
    ret.replacement_order = _replacement_order(ret, variant, units)
    ret.save(update_fields=["replacement_order"])
    if reservation is not None:
        _end(reservation, ReservationStatus.SHIPPED)
        _release(reservation, reservation.quantity - units, actor=actor)
    elif not variant.stock_managed_by_pos:
        _take_for_shipping(ret, variant, units, actor=actor)
    record_event(
        ret,
        kind=ReturnEvent.Kind.NOTE,
        actor=actor,
        code="exchange.replacement",
        params={"order": ret.replacement_order.number, "count": units, "item": str(variant)},
        visible_to_customer=True,
    )


def _take_for_shipping(ret: Return, variant: Variant, units: int, *, actor: User | None) -> None:
    try:
        stock_move(
            variant=variant,
            quantity=-units,
            kind=StockMovement.Kind.EXCHANGE,
            actor=actor,
            note=ret.rma_number,
            key=f"return:{ret.pk}:exchange",
        )
    except StockError as exc:
        raise ReturnError(
            gettext("Not enough stock of “%(item)s” to send %(count)d in exchange.")
            % {"item": variant, "count": units}
        ) from exc


def _replacement_order(ret: Return, variant: Variant, units: int) -> Order:
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
    OrderLine.objects.create(
        order=replacement,
        variant=variant,
        quantity=units,
        unit_price_paid=quantize(variant.price, order.currency),
    )
    return replacement


def _replacement_number(order: Order) -> str:
    n = Return.objects.filter(order=order, replacement_order__isnull=False).count() + 1
    while Order.objects.filter(number=f"{order.number}-X{n}").exists():
        n += 1
    return f"{order.number}-X{n}"
