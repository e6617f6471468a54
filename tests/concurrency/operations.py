"""The operations the concurrency tests race: each one a real service call as a surface makes it.

An operation is prepared from what a page would have shown (read before the race: the return,
its pending refund, its status) and run later, in its own thread or process, with its own
database connection and a fresh instance of the person acting. Preparing returns None when
there is nothing to act on (no pending refund to mark, no label to scan).

The services' own refusals (ReturnError and its subclasses, and the import's ImportFileError)
are outcomes; any other exception is a failure.
"""

import csv
import random
import re
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from refunds.models import ExchangeDue, Refund, RefundStatus
from refunds.money import money_for_return
from refunds.services import (
    exchange_due_mark_paid,
    exchange_settle,
    refund_cancel,
    refund_create,
    refund_mark_failed,
    refund_mark_refunded,
    refund_settle,
    store_credit_spend,
)
from returns.carriers import CarrierEvent
from returns.carriers.offline import STATUS_MAP
from returns.errors import ReturnError
from returns.models import Return, ReturnStatus
from returns.models.labels import LabelStatus, ReturnLabel
from returns.services import (
    ReturnLineInput,
    return_approve,
    return_cancel,
    return_complete,
    return_create,
    return_expire,
    return_inspect,
    return_mark_in_transit,
    return_receive,
    return_reject,
    return_request,
    return_update,
)
from returns.services.labels import label_cancel, label_create, label_resend
from returns.services.tracking import tracking_event_record
from shop.importing import CSV_COLUMNS, ImportFileError, import_orders
from shop.models import Order, User, Variant

REFUSALS = (ReturnError, ImportFileError)
Prepared = Callable[[], object]

REQUESTED, APPROVED, IN_TRANSIT, RECEIVED, COMPLETED = (
    ReturnStatus.REQUESTED,
    ReturnStatus.APPROVED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.RECEIVED,
    ReturnStatus.COMPLETED,
)
PARTIAL_REASON = "Item worn"
DELIVERY_OPTIONS = ["label", "in_store"]


@dataclass(frozen=True)
class Target:
    """What an operation acts on: an order, one of its returns (None: the order has none yet),
    the staff member and the order's customer acting, and the variants an exchange may get."""

    order_id: int
    ret_id: int | None
    staff_id: int
    customer_user_id: int
    exchange_variant_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Operation:
    """A service call and the return statuses in which it can act, best first (empty: any;
    the order-level operations act on the order whatever its returns)."""

    name: str
    prepare: Callable[[Target, random.Random], Prepared | None]
    statuses: tuple[str, ...] = ()
    needs_return: bool = True


def refusal_code(exc: BaseException) -> str:
    """A refusal's kind, the same whatever return or amount it was about: the exception's
    class and its message with numbers, amounts and RMA numbers left out."""
    message = str(getattr(exc, "message", None) or exc)
    message = re.sub(r"R-[0-9A-Z]{8}", "R-…", message)
    message = re.sub(r"\d[\d.,\u00a0 ]*", "#", message)
    message = message.split(":")[0] if isinstance(exc, ImportFileError) else message
    return f"{type(exc).__name__}: {message[:72]}"


# --- reads a page makes before acting --------------------------------------------------------


def _staff(target: Target) -> User:
    return User.objects.get(pk=target.staff_id)


def _customer(target: Target) -> User:
    return User.objects.get(pk=target.customer_user_id)


def _return(target: Target) -> Return:
    assert target.ret_id is not None
    return Return.objects.get(pk=target.ret_id)


def _pending_refund(target: Target) -> Refund | None:
    return (
        Refund.objects.filter(ret_id=target.ret_id, status=RefundStatus.PENDING)
        .order_by("id")
        .first()
    )


def _key() -> str:
    return uuid.uuid4().hex


# --- refunds ---------------------------------------------------------------------------------


def _refund_full(target: Target, rng: random.Random) -> Prepared:
    ret = _return(target)
    return lambda: refund_create(actor=_staff(target), ret=ret, idempotency_key=_key())


def _refund_partial(target: Target, rng: random.Random) -> Prepared:
    ret = _return(target)
    left = money_for_return(ret).left_to_refund
    amount = max(Decimal("0.01"), (left / 2).quantize(Decimal("0.01")))
    return lambda: refund_create(
        actor=_staff(target),
        ret=ret,
        idempotency_key=_key(),
        amount=amount,
        reason=PARTIAL_REASON,
    )


def _refund_store_credit(target: Target, rng: random.Random) -> Prepared:
    ret = _return(target)
    return lambda: refund_create(
        actor=_staff(target), ret=ret, idempotency_key=_key(), mode="store_credit"
    )


def _refund_settle(target: Target, rng: random.Random) -> Prepared:
    ret = _return(target)
    return lambda: refund_settle(
        actor=_staff(target),
        ret=ret,
        reference=f"re_{_key()[:8]}",
        idempotency_key=_key(),
        expected_status=ret.status,
    )


def _on_pending_refund(service: Callable[..., object], **kwargs: object):
    def prepare(target: Target, rng: random.Random) -> Prepared | None:
        refund = _pending_refund(target)
        if refund is None:
            return None
        return lambda: service(actor=_staff(target), refund=refund, **kwargs)

    return prepare


def _exchange_settle(target: Target, rng: random.Random) -> Prepared:
    ret = _return(target)
    return lambda: exchange_settle(actor=_staff(target), ret=ret, idempotency_key=_key())


def _exchange_due_mark_paid(target: Target, rng: random.Random) -> Prepared | None:
    due = ExchangeDue.objects.filter(ret_id=target.ret_id).first()
    if due is None:
        return None
    return lambda: exchange_due_mark_paid(actor=_staff(target), due=due, reference="pay_1")


def _store_credit_spend(target: Target, rng: random.Random) -> Prepared:
    order = Order.objects.select_related("customer").get(pk=target.order_id)
    amount = rng.choice(["5.00", "10.00", "25.00"])
    return lambda: store_credit_spend(
        actor=_customer(target), customer=order.customer, amount=amount, currency=order.currency
    )


# --- returns ---------------------------------------------------------------------------------


def _requested_lines(order: Order, rng: random.Random) -> list[ReturnLineInput]:
    lines = list(order.lines.order_by("id"))
    chosen = rng.sample(lines, rng.randint(1, len(lines)))
    return [
        ReturnLineInput(order_line_id=line.pk, quantity=rng.randint(1, 2), reason_code="wrong-size")
        for line in sorted(chosen, key=lambda line: line.pk)
    ]


def _mode(target: Target, rng: random.Random) -> tuple[str, Variant | None]:
    mode = rng.choice(["money_back", "money_back", "store_credit", "exchange"])
    if mode != "exchange" or not target.exchange_variant_ids:
        return ("store_credit" if mode == "store_credit" else "money_back"), None
    return mode, Variant.objects.get(pk=rng.choice(target.exchange_variant_ids))


def _return_request(target: Target, rng: random.Random) -> Prepared:
    order = Order.objects.select_related("customer").get(pk=target.order_id)
    mode, variant = _mode(target, rng)
    delivery = rng.choice(DELIVERY_OPTIONS)
    lines = _requested_lines(order, rng)
    if variant is not None:
        lines = _exchanged_line(order, variant)
    return lambda: return_request(
        actor=_customer(target),
        order=order,
        idempotency_key=_key(),
        lines=lines,
        refund_mode=mode,
        delivery_option=delivery,
    )


def _exchanged_line(order: Order, variant: Variant) -> list[ReturnLineInput]:
    """One unit of the order's first line, for another option of its product (the variants an
    exchange may get are of that product): each line of an exchange names its own."""
    first = order.lines.order_by("id").first()
    assert first is not None
    return [
        ReturnLineInput(
            order_line_id=first.pk, quantity=1, reason_code="wrong-size", exchange_variant=variant
        )
    ]


def _return_create(target: Target, rng: random.Random) -> Prepared:
    order = Order.objects.get(pk=target.order_id)
    mode, variant = _mode(target, rng)
    delivery = rng.choice(DELIVERY_OPTIONS)
    lines = _requested_lines(order, rng) if variant is None else _exchanged_line(order, variant)
    start = rng.choice([REQUESTED, APPROVED])
    return lambda: return_create(
        actor=_staff(target),
        order=order,
        idempotency_key=_key(),
        lines=lines,
        refund_mode=mode,
        delivery_option=delivery,
        start_status=start,
    )


def _on_return(service: Callable[..., object], *, by_customer: bool = False, **kwargs: object):
    """A return service the page calls with the status it showed."""

    def prepare(target: Target, rng: random.Random) -> Prepared:
        ret = _return(target)
        return lambda: service(
            actor=_customer(target) if by_customer else _staff(target),
            ret=ret,
            expected_status=ret.status,
            **kwargs,
        )

    return prepare


def _return_expire(target: Target, rng: random.Random) -> Prepared:
    ret = _return(target)
    return lambda: return_expire(actor=None, ret=ret)  # the sweep acts as the system


def _return_update_fee(target: Target, rng: random.Random) -> Prepared:
    ret = _return(target)
    fee = rng.choice(["0.00", "2.50", "5.00"])
    return lambda: return_update(
        actor=_staff(target), ret=ret, return_fee=fee, expected_status=ret.status
    )


def _label_scan(raw_status: str):
    """The carrier reports a scan of the return's live label (the webhook's call)."""

    def prepare(target: Target, rng: random.Random) -> Prepared | None:
        label = (
            ReturnLabel.objects.filter(ret_id=target.ret_id, status=LabelStatus.CREATED)
            .order_by("id")
            .first()
        )
        if label is None:
            return None
        event = CarrierEvent(
            event_id=f"evt-{_key()}",
            tracking_number=label.tracking_number,
            raw_status=raw_status,
            status=STATUS_MAP[raw_status],
            occurred_at=timezone.now(),
            location="Lyon hub",
            description="",
        )
        return lambda: tracking_event_record(carrier=label.carrier, event=event)

    return prepare


# --- the order import ------------------------------------------------------------------------


def _order_import(target: Target, rng: random.Random) -> Prepared:
    """The storefront's export of the order imported again, its lines in reverse order, each
    with a stock one more than the catalogue shows (a stock movement per line)."""
    order = Order.objects.select_related("customer").get(pk=target.order_id)
    rows = []
    for line in order.lines.select_related("variant__product").order_by("-id"):
        variant = line.variant
        rows.append(
            {
                "order_number": order.number,
                "placed_at": order.placed_at.isoformat(),
                "delivered_at": order.delivered_at.isoformat() if order.delivered_at else "",
                "status": order.status,
                "currency": order.currency,
                "email": order.customer.email,
                "shipping_country": order.shipping_country,
                "shipping_postcode": order.shipping_postcode,
                "shipping_address": order.shipping_address,
                "shipping_cost": str(order.shipping_cost),
                "discount": str(order.discount),
                "amount_paid": str(order.amount_paid),
                "outbound_tracking_number": order.outbound_tracking_number,
                "sku": variant.sku,
                "product_name": variant.product.name,
                "option": variant.option,
                "variant_price": str(variant.price),
                "quantity": str(line.quantity),
                "unit_price_paid": str(line.unit_price_paid),
                "stock_on_hand": str(variant.stock_on_hand + 1),
            }
        )
    with tempfile.NamedTemporaryFile(
        "w", suffix=".csv", delete=False, newline="", encoding="utf-8"
    ) as file:
        writer = csv.DictWriter(file, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    path = Path(file.name)

    def run() -> object:
        try:
            return import_orders(str(path))
        finally:
            path.unlink(missing_ok=True)

    return run


# --- every operation -------------------------------------------------------------------------

REFUNDABLE = (RECEIVED, APPROVED, IN_TRANSIT)

# The services that write money or quantities, raced two by two on one return.
MONEY_OPERATIONS = [
    Operation("refund_create_full", _refund_full, REFUNDABLE),
    Operation("refund_create_partial", _refund_partial, REFUNDABLE),
    Operation("refund_create_store_credit", _refund_store_credit, REFUNDABLE),
    Operation("refund_settle", _refund_settle, REFUNDABLE),
    Operation(
        "refund_mark_refunded",
        _on_pending_refund(refund_mark_refunded, reference="re_mark"),
        REFUNDABLE,
    ),
    Operation("refund_cancel", _on_pending_refund(refund_cancel, note="wrong amount"), REFUNDABLE),
    Operation(
        "refund_mark_failed",
        _on_pending_refund(refund_mark_failed, note="card expired"),
        REFUNDABLE,
    ),
    Operation("exchange_settle", _exchange_settle, (RECEIVED, APPROVED, IN_TRANSIT)),
    Operation("exchange_due_mark_paid", _exchange_due_mark_paid, (RECEIVED, APPROVED, IN_TRANSIT)),
    Operation("store_credit_spend", _store_credit_spend, needs_return=False),
    Operation("return_receive", _on_return(return_receive), (APPROVED, IN_TRANSIT)),
    Operation("return_complete", _on_return(return_complete), (RECEIVED,)),
    Operation("return_cancel", _on_return(return_cancel), (APPROVED, REQUESTED)),
    Operation(
        "return_reject",
        _on_return(return_reject, reason="Worn, not returnable"),
        (REQUESTED, RECEIVED),
    ),
    Operation("return_expire", _return_expire, (APPROVED,)),
    Operation("order_import", _order_import, needs_return=False),
    Operation("return_request", _return_request, needs_return=False),
    Operation("return_create", _return_create, needs_return=False),
    Operation("return_update_fee", _return_update_fee, (REQUESTED, APPROVED, IN_TRANSIT, RECEIVED)),
    Operation("carrier_delivered", _label_scan("delivered"), (APPROVED, IN_TRANSIT)),
    Operation("return_inspect", _on_return(return_inspect), (RECEIVED,)),
]

# The rest of what happens to a return, for the processes' random walk.
OTHER_OPERATIONS = [
    Operation("return_approve", _on_return(return_approve), (REQUESTED,)),
    Operation("return_mark_in_transit", _on_return(return_mark_in_transit), (APPROVED,)),
    Operation(
        "return_cancel_by_customer", _on_return(return_cancel, by_customer=True), (REQUESTED,)
    ),
    Operation("carrier_in_transit", _label_scan("in_transit"), (APPROVED,)),
    Operation("label_create", _on_return(label_create), (APPROVED,)),
    Operation("label_resend", _on_return(label_resend), (APPROVED, IN_TRANSIT)),
    Operation("label_cancel", _on_return(label_cancel), (APPROVED,)),
]

OPERATIONS = {operation.name: operation for operation in MONEY_OPERATIONS + OTHER_OPERATIONS}
