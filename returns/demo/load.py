"""Load data for the benchmarks: a shop with N returns, written straight to the tables.

Customers, orders of two or three lines, and one return for four orders in five; each return
in one of every status with the events that lead there, its emails (sent), its label and label
request when it was sent back with one, and its refund when it reached the money (completed:
refunded, to the original payment or as store credit with its ledger credit; one received return
in three: a refund pending). The money adds up as the services would make it: no order
discount, no return fee, a return never takes every line of its order (so no original shipping),
and a refund is the quote of what came back (refunds.quotes).

No service runs (a million returns through them would take hours): rows are made in memory with
their ids given, then written table by table with PostgreSQL's COPY, or batched INSERTs on
SQLite (on PostgreSQL with the tables' keys and indexes made after the COPY); the sequences are
moved past the ids and the planner's statistics refreshed (ANALYZE).
Not generated: stock movements (the restocked units), tracking events, exchanges, webhooks.
"""

import json
import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

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
BATCH = 20_000
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


class Table:
    """Rows of one model, each a tuple in the order of `columns`, with ids given here."""

    def __init__(self, model: type[models.Model], columns: str, next_id: int):
        self.model = model
        self.columns = ["id", *columns.split()]
        self.rows: list[tuple] = []
        self.next_id = next_id

    def add(self, *values: Any) -> int:
        row_id = self.next_id
        self.next_id += 1
        self.rows.append((row_id, *values))
        return row_id


def _tables(start: Callable[[type[models.Model]], int]) -> dict[str, Table]:
    specs = {
        "customers": (Customer, "email first_name last_name language country user_id"),
        "orders": (
            Order,
            "number customer_id email status shipping_country shipping_postcode "
            "shipping_address currency placed_at delivered_at shipping_cost discount "
            "amount_paid outbound_tracking_number brand_id",
        ),
        "order_lines": (OrderLine, "order_id variant_id quantity unit_price_paid"),
        "returns": (
            Return,
            "rma_number order_id created_by_id channel status action_id refund_mode "
            "replacement_order_id delivery_option shipping_method_id "
            "customer_comment staff_note notify_customer return_fee rejection_reason "
            "created_at status_changed_at idempotency_key",
        ),
        "return_lines": (
            ReturnLine,
            "ret_id order_line_id quantity reason_id reason_detail restock received_quantity",
        ),
        "events": (
            ReturnEvent,
            "ret_id kind actor_id created_at from_status to_status code params note "
            "visible_to_customer",
        ),
        "labels": (
            ReturnLabel,
            "ret_id shipping_method_id carrier tracking_number carrier_reference pdf status "
            "parcel_status parcel_status_at created_at created_by_id cancelled_at",
        ),
        "attempts": (
            LabelAttempt,
            "ret_id status error label_id started_at finished_at actor_id",
        ),
        "refunds": (
            Refund,
            "ret_id order_id amount currency quote includes_shipping mode status is_partial "
            "partial_reason reference note created_by_id created_at marked_by_id marked_at "
            "reversed_by_id reversed_at reversal_reason idempotency_key",
        ),
        "codes": (
            StoreCreditCode,
            "code customer_id currency amount balance expires_at refund_id created_by_id "
            "created_at",
        ),
        "credits": (
            StoreCreditMovement,
            "customer_id amount currency refund_id code_id note created_by_id created_at",
        ),
        "notifications": (
            Notification,
            "ret_id user_id return_event_id event dedup_key message_uuid recipient language "
            "status attempts max_attempts next_attempt_at claimed_at handed_over_at sent_at "
            "provider_message_id last_error created_at updated_at",
        ),
    }
    return {name: Table(model, columns, start(model)) for name, (model, columns) in specs.items()}


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


@dataclass
class Generator:
    """Makes the rows of `count` returns (and their orders) into `tables`."""

    tables: dict[str, Table]
    catalogue: Catalogue
    now: datetime
    random: random.Random
    serial: int  # numbers customers, orders and RMAs after those of earlier loads
    customers: list[tuple[int, str, str]] = field(default_factory=list)

    def customer(self) -> tuple[int, str, str]:
        if not self.customers or self.random.random() < 1 / ORDERS_PER_CUSTOMER:
            email = f"customer{self.serial}@load.example"
            language = "en" if self.random.random() < 0.3 else "fr"
            country = self.random.choice(("FR", "FR", "BE", "DE", "ES"))
            row_id = self.tables["customers"].add(
                email, "Client", str(self.serial), language, country, None
            )
            self.customers = [(row_id, email, language)]
        return self.customers[0]

    def order(self, placed: datetime) -> tuple[int, str, str, list[tuple[int, int, Decimal, str]]]:
        """A delivered order of two or three lines: (id, email, language, lines)."""
        customer_id, email, language = self.customer()
        picked = self.random.sample(self.catalogue.variants, self.random.choice((2, 2, 3)))
        quantities = [self.random.choice((1, 1, 1, 2)) for _ in picked]
        paid = sum(price * qty for (_, price, _), qty in zip(picked, quantities, strict=True))
        order_id = self.tables["orders"].add(
            f"L{self.serial:09d}", customer_id, email, Order.Status.DELIVERED,
            self.random.choice(("FR", "BE", "DE", "ES")), "75011", "1 rue du Test\nParis",
            "EUR", placed, placed + timedelta(days=3), SHIPPING_COST, Decimal(0),
            paid + SHIPPING_COST, f"OUT{self.serial:09d}", None,
        )  # fmt: skip
        lines = []
        for (variant_id, price, name), qty in zip(picked, quantities, strict=True):
            line_id = self.tables["order_lines"].add(order_id, variant_id, qty, price)
            lines.append((line_id, qty, price, name))
        return order_id, email, language, lines

    def status(self, recent: bool) -> str:
        weights = RECENT_WEIGHTS if recent else SETTLED_WEIGHTS
        return self.random.choices(list(weights), weights=list(weights.values()))[0]

    def one(self) -> None:
        """One return with its order, or (one time in five) an order without a return."""
        self.serial += 1
        if self.random.random() < 1 - 1 / ORDERS_PER_RETURN:
            self.order(self.now - timedelta(minutes=self.random.randint(60, 525_600)))
            self.serial += 1
        recent = self.random.random() < RECENT_SHARE
        age = timedelta(minutes=self.random.randint(60, 43_200 if recent else 525_600))
        created = self.now - age
        placed = created - timedelta(days=self.random.randint(4, 25))
        order_id, email, language, lines = self.order(placed)
        _Return(self, order_id, email, language, lines, created, self.status(recent)).write()


@dataclass
class _Return:
    gen: Generator
    order_id: int
    email: str
    language: str
    order_lines: list[tuple[int, int, Decimal, str]]
    created: datetime
    status: str

    def write(self) -> None:
        gen, tables = self.gen, self.gen.tables
        path = PATHS[self.status]
        gap = min(timedelta(days=2), (gen.now - self.created) / (len(path) + 1))
        self.times = [self.created + gap * step for step in range(len(path) + 1)]
        with_label = gen.random.random() < LABEL_SHARE
        store_credit = self.status == S.COMPLETED and gen.random.random() < STORE_CREDIT_SHARE
        mode = Return.RefundMode.STORE_CREDIT if store_credit else Return.RefundMode.MONEY_BACK
        option = Return.DeliveryOption.LABEL if with_label else Return.DeliveryOption.IN_STORE
        self.ret_id = tables["returns"].add(
            f"R-L{gen.serial:09d}", self.order_id, None, Return.Channel.PORTAL, self.status,
            None, mode, None, option, None, "", "", True, Decimal(0), "", self.created,
            self.times[len(path) - 1], None,
        )  # fmt: skip
        quote = self._lines()
        previous = ""
        for step, status in enumerate(path):
            event_id = self._event(self.times[step], previous, status)
            email = EMAILS.get(status)
            if status == S.APPROVED:
                email = "approved_with_label" if with_label else "approved"
            if email:
                self._email(event_id, email, self.times[step])
            if status == S.APPROVED and with_label:
                self._label(self.times[step])
            previous = status
        if self.status == S.COMPLETED:
            self._refund(quote, RefundStatus.REFUNDED, store_credit, self.times[len(path) - 1])
        elif self.status == S.RECEIVED and gen.random.random() < PENDING_REFUND_SHARE:
            self._refund(quote, RefundStatus.PENDING, False, self.times[len(path) - 1])

    def _lines(self) -> Quote:
        """Return lines on all but one of the order's lines at most: the quote of what came back."""
        gen = self.gen
        taken = gen.random.sample(
            self.order_lines, gen.random.randint(1, len(self.order_lines) - 1)
        )
        received = self.status in (S.RECEIVED, S.COMPLETED)
        quote_lines = []
        for line_id, quantity, price, name in taken:
            gen.tables["return_lines"].add(
                self.ret_id, line_id, quantity, gen.random.choice(gen.catalogue.reasons), "",
                True, quantity if received else None,
            )  # fmt: skip
            quote_lines.append(QuoteLine(ITEM, price * quantity, quantity, price, name, line_id))
        total = sum((line.amount for line in quote_lines), Decimal(0))
        return Quote(
            "EUR", tuple(quote_lines), total, Decimal(0), Decimal(0), total, BASIS_RECEIVED
        )

    def _event(self, at: datetime, from_status: str, to_status: str) -> int:
        return self.gen.tables["events"].add(
            self.ret_id, ReturnEvent.Kind.STATUS, None, at, from_status, to_status, "text", {},
            "", True,
        )  # fmt: skip

    def _email(self, event_id: int | None, event: str, at: datetime) -> None:
        sent = at + timedelta(seconds=5)
        self.gen.tables["notifications"].add(
            self.ret_id, None, event_id, event, f"load:{self.ret_id}:{event}", uuid.uuid4(),
            self.email, self.language, Notification.Status.SENT, 1, 6, at, at, sent, sent, "",
            "", at, sent,
        )  # fmt: skip

    def _label(self, at: datetime) -> None:
        tables = self.gen.tables
        label_id = tables["labels"].next_id
        digits = f"{label_id:09d}"
        number = f"{TRACKING_PREFIX}{digits}{check_letter(digits)}"
        parcel, parcel_at = "", None
        if self.status == S.IN_TRANSIT:
            parcel, parcel_at = ParcelStatus.IN_TRANSIT, self.times[2]
        elif self.status in (S.RECEIVED, S.COMPLETED):
            parcel, parcel_at = ParcelStatus.DELIVERED, self.times[3]
        expired = self.status == S.EXPIRED
        tables["labels"].add(
            self.ret_id, None, "offline", number, number, LABEL_PDF,
            LabelStatus.CANCELLED if expired else LabelStatus.CREATED, parcel, parcel_at, at,
            None, self.times[2] if expired else None,
        )  # fmt: skip
        tables["attempts"].add(
            self.ret_id, LabelAttemptStatus.SUCCEEDED, "", label_id, at, at + timedelta(seconds=2),
            None,
        )  # fmt: skip
        tables["events"].add(
            self.ret_id, ReturnEvent.Kind.LABEL, None, at, "", "", "label.created",
            {"carrier": "Offline Post", "number": number}, "", True,
        )  # fmt: skip

    def _refund(self, quote: Quote, status: str, store_credit: bool, at: datetime) -> None:
        tables = self.gen.tables
        mode = RefundMode.STORE_CREDIT if store_credit else RefundMode.ORIGINAL_PAYMENT
        marked = at if status == RefundStatus.REFUNDED else None
        refund_id = tables["refunds"].add(
            self.ret_id, self.order_id, quote.total, "EUR", quote.to_json(), False, mode, status,
            False, "", "", "", None, at, None, marked, None, None, "",
            f"load-refund-{self.ret_id}",
        )  # fmt: skip
        if status != RefundStatus.REFUNDED:
            return
        code = "refund.credited" if store_credit else "refund.refunded"
        event_id = tables["events"].add(
            self.ret_id, ReturnEvent.Kind.REFUND, None, at, "", "", code,
            {"amount": money_param(quote.total, "EUR")}, "", True,
        )  # fmt: skip
        self._email(event_id, "credited" if store_credit else "refunded", at)
        if store_credit:
            customer_id = self.gen.customers[0][0]
            # Unguessable even in load data, and unique across --append runs of one seed.
            typed = StoreCreditCode.new_code()
            code_id = tables["codes"].add(
                typed, customer_id, "EUR", quote.total, quote.total, None, refund_id, None, at
            )
            tables["credits"].add(customer_id, quote.total, "EUR", refund_id, code_id, "", None, at)


# --- writing -------------------------------------------------------------------------------


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=models.Max("id"))["top"] or 0) + 1


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, Decimal):
        return str(value)
    return value


def _write(table: Table) -> None:
    """The table's rows into the database: COPY on PostgreSQL, batched INSERTs elsewhere."""
    name = connection.ops.quote_name(table.model._meta.db_table)
    # Columns the load does not choose get the model's defaults, as the ORM would write them:
    # a field added later (a payment provider, fee lines) needs no change here.
    unlisted = [f for f in table.model._meta.concrete_fields if f.column not in table.columns]
    defaults = tuple(field.get_default() for field in unlisted)
    all_columns = [*table.columns, *(str(field.column) for field in unlisted)]
    columns = ", ".join(connection.ops.quote_name(column) for column in all_columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                for row in table.rows:
                    copy.write_row([_json(v) for v in (*row, *defaults)])
        else:
            marks = ", ".join(["%s"] * len(all_columns))
            sql = f"INSERT INTO {name} ({columns}) VALUES ({marks})"
            for start in range(0, len(table.rows), 500):
                batch = table.rows[start : start + 500]
                cursor.executemany(
                    sql, [[_sqlite_value(_json(v)) for v in (*row, *defaults)] for row in batch]
                )
    table.rows.clear()


def _json(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _reset_sequences(tables: Iterable[Table]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), [t.model for t in tables])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


_KEYS_SQL = """
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), NULL
    FROM pg_constraint WHERE conrelid = ANY(%(tables)s::regclass[]) AND contype IN ('f', 'u')
    UNION ALL
    SELECT indrelid::regclass::text, indexrelid::regclass::text, NULL,
           pg_get_indexdef(indexrelid)
    FROM pg_index WHERE indrelid = ANY(%(tables)s::regclass[]) AND NOT indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid
                      AND contype IN ('p', 'u', 'x'))
"""


@contextmanager
def _keys_made_after(tables: Iterable[Table]) -> Iterator[None]:
    """On PostgreSQL, the loaded tables' foreign keys, unique constraints and indexes (all but
    the primary keys) are dropped for the COPY and made again after it, in the same
    transaction, as pg_restore does: checking each row's keys one by one (the deferred
    foreign-key triggers at commit, every index updated per row) was most of the load's time.
    Made again, each is checked over every row at once: a broken key fails the whole load."""
    if connection.vendor != "postgresql":
        yield
        return
    names = [table.model._meta.db_table for table in tables]
    with connection.cursor() as cursor:
        # The catalogue's rows, just made, have their key checks pending: ALTER TABLE waits
        # for none.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(_KEYS_SQL, {"tables": names})
        keys = cursor.fetchall()
        for table, name, constraint, _index in keys:
            if constraint is not None:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            else:
                cursor.execute(f"DROP INDEX {name}")
    yield
    foreign_last = sorted(keys, key=lambda key: (key[2] or "").startswith("FOREIGN KEY"))
    with connection.cursor() as cursor:
        for table, name, constraint, index in foreign_last:
            if constraint is not None:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {constraint}')
            else:
                cursor.execute(index)


def has_data() -> bool:
    return Order.objects.exists() or Return.objects.exists() or Customer.objects.exists()


def generate(count: int, *, seed: int = 20261202, progress: Callable[[int], None] = print) -> None:
    """Add `count` returns (and their orders, customers, events, emails, labels, refunds),
    `progress(done)` told after each batch; then ANALYZE."""
    with transaction.atomic():
        catalogue = ensure_catalogue()
        tables = _tables(_next_id)
        serial = tables["orders"].next_id * 10  # beyond every number an earlier load used
        generator = Generator(tables, catalogue, timezone.now(), random.Random(seed), serial)
        with _keys_made_after(tables.values()):
            for batch in _batches(count):
                for _ in range(batch):
                    generator.one()
                for table in tables.values():
                    _write(table)
                progress(batch)
        _reset_sequences(tables.values())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _batches(count: int) -> Iterator[int]:
    for start in range(0, count, BATCH):
        yield min(BATCH, count - start)
