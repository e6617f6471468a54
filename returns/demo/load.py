"""Load data for the benchmarks: a shop with N returns, written straight to the tables.

Customers, orders of two or three lines, and one return for four orders in five; each return
in one of every status with the events that lead there, its emails (sent), its label and label
request when it was sent back with one, and its refund when it reached the money (completed:
refunded, to the original payment or as store credit with its ledger credit; one received return
in three: a refund pending). The money adds up as the services would make it: no order
discount, no return fee, a return never takes every line of its order (so no original shipping),
and a refund is the quote of what came back (refunds.quotes).

No service runs (a million returns through them would take hours): rows are made in memory with
their ids given, each value already in the text the database reads (a time turned into text
once, a JSON value dumped once), the values every row of a table shares written once in the
table's template. Each batch of BATCH returns has its own block of ids and numbers and its own
random stream (`Generator.start`). On PostgreSQL the tables' keys and indexes are dropped
(committed), two forked processes make the batches in turn and COPY each batch of a table as
one text (`template % row`, joined) on a connection of their own: Python making rows and two
backends parsing them share both cores. The keys are made again after, on two connections
(returns.demo.keys). Inside a transaction (the tests') the processes hand the COPY texts over
to this one, which streams them in it, and the keys are made in it. On SQLite: batched
INSERTs. The sequences are moved past the ids and the planner's statistics refreshed
(ANALYZE).
Not generated: stock movements (the restocked units), tracking events, exchanges, webhooks.
"""

import bisect
import contextlib
import gc
import itertools
import json
import multiprocessing
import queue
import random
import secrets
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from notifications.models import Notification
from refunds.models import (
    Refund,
    RefundMode,
    RefundStatus,
    StoreCreditCode,
    StoreCreditMovement,
)
from refunds.quotes import BASIS_RECEIVED, ITEM, Quote, QuoteLine
from returns.carriers.offline import TRACKING_PREFIX, check_letter
from returns.demo import keys
from returns.events import money_param
from returns.models import (
    LabelAttempt,
    LabelAttemptStatus,
    LabelStatus,
    ParcelStatus,
    Return,
    ReturnEvent,
    ReturnLabel,
    ReturnLine,
    ReturnReason,
    ReturnStatus,
)
from shop.models import Customer, Order, OrderLine, Product, Variant

S = ReturnStatus
# The statuses a return went through to reach each one (its events replay them).
PATHS: dict[str, tuple[str, ...]] = {
    S.REQUESTED: (S.REQUESTED,),
    S.APPROVED: (S.REQUESTED, S.APPROVED),
    S.REJECTED: (S.REQUESTED, S.REJECTED),
    S.CANCELLED: (S.REQUESTED, S.CANCELLED),
    S.IN_TRANSIT: (S.REQUESTED, S.APPROVED, S.IN_TRANSIT),
    S.RECEIVED: (S.REQUESTED, S.APPROVED, S.IN_TRANSIT, S.RECEIVED),
    S.COMPLETED: (S.REQUESTED, S.APPROVED, S.IN_TRANSIT, S.RECEIVED, S.COMPLETED),
    S.EXPIRED: (S.REQUESTED, S.APPROVED, S.EXPIRED),
}
# A returns desk a year old: returns older than a month are settled, the recent ones anywhere.
SETTLED_WEIGHTS = {S.COMPLETED: 80, S.REJECTED: 8, S.CANCELLED: 7, S.EXPIRED: 5}
RECENT_WEIGHTS = {
    S.REQUESTED: 20,
    S.APPROVED: 15,
    S.IN_TRANSIT: 15,
    S.RECEIVED: 15,
    S.COMPLETED: 20,
    S.REJECTED: 5,
    S.CANCELLED: 5,
    S.EXPIRED: 5,
}
RECENT_SHARE = 0.1  # of the returns made in the last 30 days
ORDERS_PER_RETURN = 1.25
ORDERS_PER_CUSTOMER = 2
PRODUCTS = 50
SIZES = ("S", "M", "L", "XL")
SHIPPING_COST = Decimal("4.90")
LABEL_SHARE = 0.85  # sent back with a prepaid label; the others dropped in store
STORE_CREDIT_SHARE = 0.15
PENDING_REFUND_SHARE = 1 / 3  # of the received returns
COUNTRIES = ("FR", "FR", "BE", "DE", "ES")  # where customers live
SHIPPING_COUNTRIES = ("FR", "BE", "DE", "ES")
DELIVERY = timedelta(days=3)  # an order is delivered three days after it was placed
SENT_AFTER = timedelta(seconds=5)  # an email is handed over and sent five seconds after
LABEL_TAKES = timedelta(seconds=2)  # the carrier's answer to a label request
BATCH = 10_000  # returns made, then written, at a time
MAKERS = 2  # processes making the rows on PostgreSQL, a batch each in turn
# The rows a return makes at most (with the order without a return one time in five), so that
# each batch has its own block of ids: two orders of three lines and two customers, five
# statuses and a label and a refund (events), five emails.
AT_MOST = {
    "customers": 2,
    "orders": 2,
    "order_lines": 6,
    "returns": 1,
    "return_lines": 2,
    "events": 7,
    "labels": 1,
    "attempts": 1,
    "refunds": 1,
    "codes": 1,
    "credits": 1,
    "notifications": 5,
}
SERIALS_AT_MOST = 2  # numbers (customers, orders, RMAs) taken per return
# A one-page PDF: every label carries the same few bytes (the bench never reads them).
LABEL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# What the customer is emailed on reaching each status (notifications.events).
EMAILS: dict[str, str] = {
    S.REQUESTED: "requested",
    S.REJECTED: "rejected",
    S.CANCELLED: "cancelled",
    S.IN_TRANSIT: "in_transit",
    S.RECEIVED: "received",
    S.EXPIRED: "expired",
}


# What PostgreSQL's COPY reads as NULL: str(None), so that `template % row` writes a None as is.
# No value the load makes is the text "None".
_NULL = "None"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class Table:
    """Rows of one model, each a tuple in the order of `columns` (the id first, given here), of
    values already in the database's text where it matters (times, JSON); the values every row
    shares are `constants`, with the model's defaults for the columns the load does not choose
    (as the ORM would write them: a field added later needs no change here)."""

    def __init__(
        self, model: type[models.Model], columns: str, constants: dict[str, Any], next_id: int
    ):
        self.model = model
        self.columns = ["id", *columns.split()]
        chosen = {*self.columns, *constants}
        self.constants = {
            **constants,
            **{
                str(f.column): f.get_default()
                for f in model._meta.concrete_fields
                if f.column not in chosen
            },
        }
        self.rows: list[tuple] = []
        self.next_id = next_id

    def add(self, *values: Any) -> int:
        row_id = self.next_id
        self.next_id += 1
        self.rows.append((row_id, *values))
        return row_id


def _tables(start: Callable[[type[models.Model]], int]) -> dict[str, Table]:
    no_one = None  # the load's rows are made by no user and no staff member
    specs: dict[str, tuple[type[models.Model], str, dict[str, Any]]] = {
        "customers": (
            Customer,
            "email last_name language country",
            {"first_name": "Client", "user_id": None},
        ),
        "orders": (
            Order,
            "number customer_id email shipping_country placed_at delivered_at amount_paid "
            "outbound_tracking_number",
            {
                "status": Order.Status.DELIVERED,
                "shipping_postcode": "75011",
                "shipping_address": "1 rue du Test\nParis",
                "currency": "EUR",
                "shipping_cost": SHIPPING_COST,
                "discount": Decimal(0),
                "brand_id": None,
            },
        ),
        "order_lines": (OrderLine, "order_id variant_id quantity unit_price_paid", {}),
        "returns": (
            Return,
            "rma_number order_id status refund_mode delivery_option created_at status_changed_at",
            {
                "created_by_id": no_one,
                "channel": Return.Channel.PORTAL,
                "action_id": None,
                "replacement_order_id": None,
                "shipping_method_id": None,
                "customer_comment": "",
                "staff_note": "",
                "notify_customer": True,
                "return_fee": Decimal(0),
                "rejection_reason": "",
                "idempotency_key": None,
            },
        ),
        "return_lines": (
            ReturnLine,
            "ret_id order_line_id quantity reason_id received_quantity",
            {"reason_detail": "", "restock": True},
        ),
        "events": (
            ReturnEvent,
            "ret_id kind created_at from_status to_status code params",
            {"actor_id": no_one, "note": "", "visible_to_customer": True},
        ),
        "labels": (
            ReturnLabel,
            "ret_id tracking_number carrier_reference status parcel_status parcel_status_at "
            "created_at cancelled_at",
            {
                "shipping_method_id": None,
                "carrier": "offline",
                "pdf": LABEL_PDF,
                "created_by_id": no_one,
            },
        ),
        "attempts": (
            LabelAttempt,
            "ret_id label_id started_at finished_at",
            {"status": LabelAttemptStatus.SUCCEEDED, "error": "", "actor_id": no_one},
        ),
        "refunds": (
            Refund,
            "ret_id order_id amount quote mode status created_at marked_at idempotency_key",
            {
                "currency": "EUR",
                "includes_shipping": False,
                "is_partial": False,
                "partial_reason": "",
                "reference": "",
                "note": "",
                "created_by_id": no_one,
                "marked_by_id": no_one,
                "reversed_by_id": None,
                "reversed_at": None,
                "reversal_reason": "",
            },
        ),
        "codes": (
            StoreCreditCode,
            "code customer_id amount balance refund_id created_at",
            {"currency": "EUR", "expires_at": None, "created_by_id": no_one},
        ),
        "credits": (
            StoreCreditMovement,
            "customer_id amount refund_id code_id created_at",
            {"currency": "EUR", "note": "", "created_by_id": no_one},
        ),
        "notifications": (
            Notification,
            "ret_id return_event_id event dedup_key message_uuid recipient language "
            "next_attempt_at claimed_at handed_over_at sent_at created_at updated_at",
            {
                "user_id": None,
                "status": Notification.Status.SENT,
                "attempts": 1,
                "max_attempts": 6,
                "provider_message_id": "",
                "last_error": "",
            },
        ),
    }
    return {
        name: Table(model, columns, constants, start(model))
        for name, (model, columns, constants) in specs.items()
    }


@dataclass
class Catalogue:
    variants: list[tuple[int, Decimal, str]]  # id, price, product name
    reasons: list[int]


def ensure_catalogue() -> Catalogue:
    """The clothes the load's orders are made of (made once, kept by --append)."""
    if not Variant.objects.filter(sku__startswith="LOAD-").exists():
        for number in range(PRODUCTS):
            name = f"Load item {number:02d}"
            product = Product.objects.create(name_fr=name, name_en=name, category="load")
            Variant.objects.bulk_create(
                Variant(
                    product=product,
                    sku=f"LOAD-{number:02d}-{size}",
                    option_fr=size,
                    option_en=size,
                    price=Decimal(15 + 5 * (number % 12)) - Decimal("0.10"),
                    stock_on_hand=1_000_000,
                )
                for size in SIZES
            )
    variants = [
        (variant.pk, variant.price, variant.product.name)
        for variant in Variant.objects.filter(sku__startswith="LOAD-")
        .select_related("product")
        .order_by("id")
    ]
    reasons = list(ReturnReason.objects.order_by("id").values_list("id", flat=True))
    return Catalogue(variants, reasons)


def _copy_json(value: Any) -> str:
    """JSON as COPY's text reads it: json.dumps writes no tab or newline, only backslashes."""
    text = json.dumps(value)
    return text.replace("\\", "\\\\") if "\\" in text else text


class _Uuids:
    """Version 4 UUIDs (as 32 hex digits, how both databases read them), a random half per
    load and a counter: unique across --append runs like uuid4's, without a system call and a
    UUID object per email."""

    def __init__(self) -> None:
        high, low = secrets.randbits(64), secrets.randbits(62)
        self.high = f"{high & ~(0xF << 12) | 0x4 << 12:016x}"  # the version nibble: 4
        self.low = low
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"{self.high}{(self.low + self.count) & _LOW_BITS | _VARIANT:016x}"


_LOW_BITS = (1 << 62) - 1
_VARIANT = 1 << 63  # RFC 4122's variant bits: 10


class Generator:
    """Makes the rows of returns (and their orders) into `tables`, one `one()` at a time. Its
    draws are plain `random()` arithmetic (no `choice`, `sample` or `randint` per row) and
    each time is turned into the database's text once (`stamp`), each JSON value once
    (`dump`)."""

    def __init__(
        self,
        tables: dict[str, Table],
        catalogue: Catalogue,
        now: datetime,
        seed: int,
        serial: int,
        *,
        stamp: Callable[[datetime], Any],
        dump: Callable[[Any], Any],
    ):
        self.tables = tables
        self.variants = catalogue.variants
        self.reasons = catalogue.reasons
        self.now = now
        self.seed = seed
        self.random = random.Random(seed).random
        self.serial = serial  # numbers customers, orders and RMAs after those of earlier loads
        self.first_ids = {name: table.next_id for name, table in tables.items()}
        self.first_serial = serial
        self.batch = 0
        self.stamp = stamp
        self.dump = dump
        self.uuids = _Uuids()
        self.customer: tuple[int, str, str] | None = None  # id, email, language
        self.no_params = dump({})
        self.amounts: dict[Decimal, Any] = {}
        # A label event's params, its number put in the dumped text (letters and digits).
        self.label_params = dump({"carrier": "Offline Post", "number": "%s"})
        self.weights = {
            recent: _cumulative(RECENT_WEIGHTS if recent else SETTLED_WEIGHTS)
            for recent in (True, False)
        }
        # Each table's add, looked up once.
        self.add = {name: table.add for name, table in tables.items()}

    def start(self, batch: int) -> None:
        """Batch number `batch` (of BATCH returns) from ids, numbers and a random stream of its
        own: the batches can be made apart (by two processes) in any order, and never share an
        id or a number. Each table's block is what BATCH returns make at most (AT_MOST); the
        ids not used are left out, as a sequence's are after a rollback."""
        for name, table in self.tables.items():
            table.next_id = self.first_ids[name] + batch * BATCH * AT_MOST[name]
        self.serial = self.first_serial + batch * BATCH * SERIALS_AT_MOST
        self.uuids.count = batch * BATCH * AT_MOST["notifications"]
        self.random = random.Random(self.seed + batch).random
        self.customer = None
        self.batch = batch

    def check(self) -> None:
        """No table went past its batch's block (a broken AT_MOST would reuse an id)."""
        for name, table in self.tables.items():
            block_end = self.first_ids[name] + (self.batch + 1) * BATCH * AT_MOST[name]
            if table.next_id > block_end:
                raise RuntimeError(f"generate_load_data: {name} beyond AT_MOST per return")

    def _customer(self) -> tuple[int, str, str]:
        r = self.random
        if self.customer is None or r() < 1 / ORDERS_PER_CUSTOMER:
            email = f"customer{self.serial}@load.example"
            language = "en" if r() < 0.3 else "fr"
            country = COUNTRIES[int(r() * len(COUNTRIES))]
            row_id = self.add["customers"](email, str(self.serial), language, country)
            self.customer = (row_id, email, language)
        return self.customer

    def order(self, placed: datetime) -> tuple[int, str, str, list[tuple[int, int, Decimal, str]]]:
        """A delivered order of two or three lines: (id, email, language, lines)."""
        r = self.random
        customer_id, email, language = self._customer()
        picked = _pick(self.variants, 3 if r() < 1 / 3 else 2, r)
        quantities = [2 if r() < 0.25 else 1 for _ in picked]
        paid = SHIPPING_COST
        for (_, price, _), qty in zip(picked, quantities, strict=True):
            paid += price * qty
        order_id = self.add["orders"](
            f"L{self.serial:09d}", customer_id, email,
            SHIPPING_COUNTRIES[int(r() * len(SHIPPING_COUNTRIES))], self.stamp(placed),
            self.stamp(placed + DELIVERY), paid, f"OUT{self.serial:09d}",
        )  # fmt: skip
        add_line = self.add["order_lines"]
        lines = []
        for (variant_id, price, name), qty in zip(picked, quantities, strict=True):
            lines.append((add_line(order_id, variant_id, qty, price), qty, price, name))
        return order_id, email, language, lines

    def status(self, recent: bool) -> str:
        statuses, cumulative = self.weights[recent]
        return statuses[bisect.bisect(cumulative, self.random() * cumulative[-1])]

    def one(self) -> None:
        """One return with its order, or (one time in five) an order without a return."""
        r = self.random
        self.serial += 1
        if r() < 1 - 1 / ORDERS_PER_RETURN:
            self.order(self.now - timedelta(minutes=60 + int(r() * (525_600 - 59))))
            self.serial += 1
        recent = r() < RECENT_SHARE
        span = 43_200 if recent else 525_600
        created = self.now - timedelta(minutes=60 + int(r() * (span - 59)))
        placed = created - timedelta(days=4 + int(r() * 22))
        order_id, email, language, lines = self.order(placed)
        self._return(order_id, email, language, lines, created, self.status(recent))

    def _return(
        self,
        order_id: int,
        email: str,
        language: str,
        order_lines: list[tuple[int, int, Decimal, str]],
        created: datetime,
        status: str,
    ) -> None:
        r, stamp, add = self.random, self.stamp, self.add
        path = PATHS[status]
        # In whole seconds, as `now` is: shorter text, and the same to the second.
        seconds = min(2 * 86_400, int((self.now - created).total_seconds()) // (len(path) + 1))
        times = [created + timedelta(seconds=seconds * step) for step in range(len(path) + 1)]
        stamps = [stamp(at) for at in times]
        with_label = r() < LABEL_SHARE
        store_credit = status == S.COMPLETED and r() < STORE_CREDIT_SHARE
        ret_id = add["returns"](
            f"R-L{self.serial:09d}", order_id, status,
            Return.RefundMode.STORE_CREDIT if store_credit else Return.RefundMode.MONEY_BACK,
            Return.DeliveryOption.LABEL if with_label else Return.DeliveryOption.IN_STORE,
            stamps[0], stamps[len(path) - 1],
        )  # fmt: skip
        taken = self._lines(ret_id, order_lines, status)
        previous = ""
        for step, reached in enumerate(path):
            event_id = add["events"](
                ret_id, ReturnEvent.Kind.STATUS, stamps[step], previous, reached, "text",
                self.no_params,
            )  # fmt: skip
            kind = EMAILS.get(reached)
            if reached == S.APPROVED:
                kind = "approved_with_label" if with_label else "approved"
            if kind:
                self._email(ret_id, event_id, kind, email, language, times[step], stamps[step])
            if reached == S.APPROVED and with_label:
                self._label(ret_id, status, times, stamps)
            previous = reached
        settled = times[len(path) - 1]
        if status == S.COMPLETED:
            self._refund(
                ret_id, order_id, taken, RefundStatus.REFUNDED, store_credit, settled, email,
                language,
            )  # fmt: skip
        elif status == S.RECEIVED and r() < PENDING_REFUND_SHARE:
            self._refund(
                ret_id, order_id, taken, RefundStatus.PENDING, False, settled, email, language
            )

    def _lines(
        self, ret_id: int, order_lines: list[tuple[int, int, Decimal, str]], status: str
    ) -> list[tuple[int, int, Decimal, str]]:
        """Return lines on all but one of the order's lines at most: what came back."""
        r, add = self.random, self.add["return_lines"]
        taken = _pick(order_lines, 1 + int(r() * (len(order_lines) - 1)), r)
        received = status in (S.RECEIVED, S.COMPLETED)
        reasons = self.reasons
        for line_id, quantity, _, _ in taken:
            add(
                ret_id, line_id, quantity, reasons[int(r() * len(reasons))],
                quantity if received else None,
            )  # fmt: skip
        return taken

    def _email(
        self,
        ret_id: int,
        event_id: int,
        kind: str,
        email: str,
        language: str,
        at: datetime,
        at_text: Any,
    ) -> None:
        sent = self.stamp(at + SENT_AFTER)
        self.add["notifications"](
            ret_id, event_id, kind, f"load:{ret_id}:{kind}", self.uuids.next(), email, language,
            at_text, at_text, sent, sent, at_text, sent,
        )  # fmt: skip

    def _label(self, ret_id: int, status: str, times: list[datetime], stamps: list[Any]) -> None:
        add = self.add
        label_id = self.tables["labels"].next_id
        digits = f"{label_id:09d}"
        number = f"{TRACKING_PREFIX}{digits}{check_letter(digits)}"
        parcel, parcel_at = "", None
        if status == S.IN_TRANSIT:
            parcel, parcel_at = ParcelStatus.IN_TRANSIT, stamps[2]
        elif status in (S.RECEIVED, S.COMPLETED):
            parcel, parcel_at = ParcelStatus.DELIVERED, stamps[3]
        expired = status == S.EXPIRED
        at = stamps[1]  # approved
        add["labels"](
            ret_id, number, number, LabelStatus.CANCELLED if expired else LabelStatus.CREATED,
            parcel, parcel_at, at, stamps[2] if expired else None,
        )  # fmt: skip
        add["attempts"](ret_id, label_id, at, self.stamp(times[1] + LABEL_TAKES))
        add["events"](
            ret_id, ReturnEvent.Kind.LABEL, at, "", "", "label.created",
            self.label_params % number,
        )  # fmt: skip

    def _refund(
        self,
        ret_id: int,
        order_id: int,
        taken: list[tuple[int, int, Decimal, str]],
        status: str,
        store_credit: bool,
        at: datetime,
        email: str,
        language: str,
    ) -> None:
        """The refund of the quote of what came back (refunds.quotes)."""
        add, stamp = self.add, self.stamp(at)
        quote_lines = tuple(
            QuoteLine(ITEM, price * quantity, quantity, price, name, line_id)
            for line_id, quantity, price, name in taken
        )
        total = sum((line.amount for line in quote_lines), Decimal(0))
        quote = Quote("EUR", quote_lines, total, Decimal(0), Decimal(0), total, BASIS_RECEIVED)
        mode = RefundMode.STORE_CREDIT if store_credit else RefundMode.ORIGINAL_PAYMENT
        refunded = status == RefundStatus.REFUNDED
        refund_id = add["refunds"](
            ret_id, order_id, total, self.dump(quote.to_json()), mode, status, stamp,
            stamp if refunded else None, f"load-refund-{ret_id}",
        )  # fmt: skip
        if not refunded:
            return
        event_id = add["events"](
            ret_id, ReturnEvent.Kind.REFUND, stamp, "", "",
            "refund.credited" if store_credit else "refund.refunded",
            self._amount_params(total),
        )  # fmt: skip
        kind = "credited" if store_credit else "refunded"
        self._email(ret_id, event_id, kind, email, language, at, stamp)
        if store_credit:
            assert self.customer is not None
            customer_id = self.customer[0]
            # Unguessable even in load data, and unique across --append runs of one seed.
            code_id = add["codes"](
                StoreCreditCode.new_code(), customer_id, total, total, refund_id, stamp
            )
            add["credits"](customer_id, total, refund_id, code_id, stamp)

    def _amount_params(self, total: Decimal) -> Any:
        """A refund event's params: few amounts recur (sums of a few prices), dumped once."""
        params = self.amounts.get(total)
        if params is None:
            params = self.amounts[total] = self.dump({"amount": money_param(total, "EUR")})
        return params


def _cumulative(weights: Mapping[Any, int]) -> tuple[list[str], list[int]]:
    return list(weights), list(itertools.accumulate(weights.values()))


def _pick(items: list, count: int, r: Callable[[], float]) -> list:
    """`count` distinct items drawn at random, in the order drawn (random.sample's result)."""
    picked: list = []
    while len(picked) < count:
        item = items[int(r() * len(items))]
        if item not in picked:
            picked.append(item)
    return picked


# --- writing -------------------------------------------------------------------------------


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=models.Max("id"))["top"] or 0) + 1


def _copy_text(value: Any) -> str:
    """A constant as COPY's text reads it."""
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    if isinstance(value, dict | list):
        return _copy_json(value)
    return str(value).translate(_COPY_ESCAPES)


def _copy_plan(table: Table) -> tuple[str, str]:
    """The table's COPY statement and its row template: `template % row` is a row's COPY text,
    the constants written in the template once."""
    qn = connection.ops.quote_name
    names = ", ".join(qn(name) for name in [*table.columns, *table.constants])
    fixed = [_copy_text(value).replace("%", "%%") for value in table.constants.values()]
    template = "\t".join(["%s"] * len(table.columns) + fixed) + "\n"
    sql = f"COPY {qn(table.model._meta.db_table)} ({names}) FROM STDIN WITH (NULL '{_NULL}')"
    return sql, template


def _copy_from_processes(
    generator: Generator,
    tables: list[Table],
    count: int,
    progress: Callable[[int], None],
    *,
    direct: bool,
) -> None:
    """PostgreSQL: MAKERS forked processes make the rows (`_make`), batch by batch in turn.
    `direct`: each COPYs its batches on a connection of its own, in a transaction committed
    after its last batch (the tables' locks committed away, no key left to check: each batch
    has its own ids), so two backends parse at once. Else each hands each batch of a table
    over a pipe as COPY text and this one, in its transaction, streams them to the server in
    the batches' order. Either way the Python making batches and the server parsing run on
    both cores at once, and each process holds one batch at most (memory stays flat)."""
    plans = [_copy_plan(table) for table in tables]
    sizes = list(_batches(count))
    params = keys.connection_params() if direct else None
    context = multiprocessing.get_context("fork")
    receivers, makers = [], []
    for first in range(min(MAKERS, len(sizes))):
        receiver, sender = context.Pipe(duplex=False)
        batches = list(enumerate(sizes))[first::MAKERS]
        maker = context.Process(
            target=_make,
            args=(generator, tables, plans, batches, sender, params),
            name=f"generate_load_data rows {first}",
            daemon=True,
        )
        maker.start()
        sender.close()
        receivers.append(receiver)
        makers.append(maker)
    try:
        with connection.connection.cursor() as cursor:
            for number, size in enumerate(sizes):
                _receive(receivers[number % len(receivers)], cursor, plans)
                progress(size)
            for receiver in receivers:
                _receive(receiver, cursor, plans)  # its end: committed when direct
    finally:
        for receiver in receivers:
            receiver.close()
        for maker in makers:
            maker.join(timeout=5)
            if maker.is_alive():
                maker.kill()
                maker.join()


def _receive(receiver: Any, cursor: Any, plans: list[tuple[str, str]]) -> None:
    """A maker's messages up to its next batch's (or its end's), streamed to the server."""
    while (message := receiver.recv_bytes()) != b"batch":
        kind, _, value = message.partition(b" ")
        if kind != b"copy":
            raise RuntimeError(f"generate_load_data: making the rows failed:\n{value.decode()}")
        data = receiver.recv_bytes()
        with cursor.copy(plans[int(value)][0]) as copy:
            copy.write(memoryview(data))
        del data


def _make(
    generator: Generator,
    tables: list[Table],
    plans: list[tuple[str, str]],
    batches: list[tuple[int, int]],
    sender: Any,
    params: dict[str, Any] | None,
) -> None:
    """A forked process: its batches' rows, table by table, as COPY text, on a connection of
    its own (`params`) or down the pipe. It never touches the connection it inherited (the
    parent's) and leaves with os._exit (multiprocessing's), closing nothing of it. Its garbage
    collector is off: the rows make no reference cycles and it lives for this load only."""
    gc.disable()
    try:
        with contextlib.ExitStack() as stack:
            write: Callable[[int, bytes], None] = _pipe_writer(sender)
            if params is not None:
                write = writer = _CopyWriter(stack.enter_context(psycopg.connect(**params)), plans)
                stack.callback(writer.close)  # its COPYs done before the commit
            for number, size in batches:
                generator.start(number)
                for _ in range(size):
                    generator.one()
                generator.check()
                for index, (table, (_, template)) in enumerate(zip(tables, plans, strict=True)):
                    rows, table.rows = table.rows, []
                    write(index, "".join([template % row for row in rows]).encode())
                    del rows
                sender.send_bytes(b"batch")
        sender.send_bytes(b"batch")  # the end, committed (psycopg's connection block)
    except BrokenPipeError:  # the parent stopped (its COPY failed): it says why
        pass
    except BaseException:
        sender.send_bytes(b"error " + traceback.format_exc().encode())


def _pipe_writer(sender: Any) -> Callable[[int, bytes], None]:
    def write(index: int, data: bytes) -> None:
        sender.send_bytes(b"copy %d" % index)
        sender.send_bytes(data)

    return write


class _CopyWriter:
    """A maker's COPYs on a thread of their own: it makes the next batch while its backend
    parses this one (the thread waits on the socket without the GIL). A batch's tables wait
    at most; a failure is raised by the next write or by `close`."""

    def __init__(self, on: psycopg.Connection, plans: list[tuple[str, str]]):
        self.on, self.plans = on, plans
        self.queue: queue.Queue[tuple[int, bytes] | None] = queue.Queue(maxsize=len(plans))
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._copy, daemon=True)
        self.thread.start()

    def __call__(self, index: int, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((index, data))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _copy(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None:
                try:
                    with self.on.cursor() as cursor, cursor.copy(self.plans[item[0]][0]) as copy:
                        copy.write(item[1])
                except BaseException as error:
                    self.error = error


def _insert(table: Table) -> None:
    """SQLite (and any other database): batched INSERTs."""
    name = connection.ops.quote_name(table.model._meta.db_table)
    names = [*table.columns, *table.constants]
    columns = ", ".join(connection.ops.quote_name(column) for column in names)
    marks = ", ".join(["%s"] * len(names))
    fixed = tuple(_sqlite_value(value) for value in table.constants.values())
    sql = f"INSERT INTO {name} ({columns}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for start in range(0, len(table.rows), 500):
            cursor.executemany(sql, [row + fixed for row in table.rows[start : start + 500]])
    table.rows.clear()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, Decimal):
        return str(value)
    return value


def _reset_sequences(tables: Iterable[Table]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), [t.model for t in tables])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def has_data() -> bool:
    return Order.objects.exists() or Return.objects.exists() or Customer.objects.exists()


def generate(count: int, *, seed: int = 20261202, progress: Callable[[int], None] = print) -> None:
    """Add `count` returns (and their orders, customers, events, emails, labels, refunds),
    `progress(done)` told after each batch; then ANALYZE. On PostgreSQL the keys are made
    after the rows are committed, then ANALYZE, on two connections (returns.demo.keys),
    unless the caller's transaction holds the rows: then in it. A failure while making them
    deletes the load's rows (and makes the keys again) before it is raised."""
    postgres = connection.vendor == "postgresql"
    apart = postgres and not connection.in_atomic_block
    with transaction.atomic():
        catalogue = ensure_catalogue()
        tables = _tables(_next_id)
        serial = tables["orders"].next_id * 10  # beyond every number an earlier load used
        stamp: Callable[[datetime], Any] = str
        dump: Callable[[Any], Any] = _copy_json
        if not postgres:
            stamp, dump = connection.ops.adapt_datetimefield_value, json.dumps
        generator = Generator(
            tables,
            catalogue,
            timezone.now().replace(microsecond=0),
            seed,
            serial,
            stamp=stamp,
            dump=dump,
        )
        if postgres:
            dropped = keys.drop(table.model._meta.db_table for table in tables.values())
            if not apart:
                _copy_from_processes(generator, [*tables.values()], count, progress, direct=False)
                keys.make_here(dropped)
        else:
            _insert_batches(generator, list(tables.values()), count, progress)
        if not apart:
            _reset_sequences(tables.values())
    if not apart:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return
    try:
        _copy_from_processes(generator, [*tables.values()], count, progress, direct=True)
        _reset_sequences(tables.values())
        keys.make_apart(dropped, analyze=connection.introspection.table_names())
    except BaseException:
        first_ids = {
            table.model._meta.db_table: generator.first_ids[name] for name, table in tables.items()
        }
        keys.remove_rows(first_ids, dropped)
        raise


def _insert_batches(
    generator: Generator, tables: list[Table], count: int, progress: Callable[[int], None]
) -> None:
    for number, batch in enumerate(_batches(count)):
        generator.start(number)
        for _ in range(batch):
            generator.one()
        generator.check()
        for table in tables:
            _insert(table)
        progress(batch)


def _batches(count: int) -> Iterator[int]:
    for start in range(0, count, BATCH):
        yield min(BATCH, count - start)
