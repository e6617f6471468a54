"""The returns export: one row per return line, with its return's statuses, quote, fees and
refunds, for `manage.py export_returns` and the back-office overview's download.

Constant memory whatever the number of rows: the returns are read with iterator(chunk_size),
their lines and refunds prefetched per chunk, and each chunk's money states computed in bulk by
refunds.money (money_for_returns over rows read through with_money_columns: no query more, and
never a second formula). The writers write each row as it comes.

The columns (COLUMNS) are stable: tools read them by name; product and option are in the
reader's language. Return-level amounts repeat on each of the return's lines: sum them once
per rma_number.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import IO, Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from insights.periods import Period
from refunds.models import Refund
from refunds.money import ReturnMoney, money_for_returns, with_money_columns
from refunds.quotes import ITEM
from returns.models import Return, ReturnLine

CHUNK_SIZE = 500  # returns per query: their rows, lines, refunds and money states in memory at once
FORMATS = ("csv", "json", "xlsx")

COLUMNS = [
    "rma_number",
    "return_status",
    "requested_at",
    "status_changed_at",
    "channel",
    "refund_mode",
    "order_number",
    "order_placed_at",
    "customer_email",
    "shipping_country",
    "currency",
    "line_id",
    "sku",
    "product",
    "variant_option",
    "quantity",
    "received_quantity",
    "reason_code",
    "reason_detail",
    "restock",
    "line_amount",
    "return_items_total",
    "return_shipping",
    "return_fee",
    "return_quote_total",
    "refunded",
    "pending",
    "left_to_refund",
    "amount_due",
    "owed_back",
    "refunds",
]


def returns_in(period: Period) -> QuerySet[Return]:
    """Every return requested in the period, whatever its status (an accountant's ledger)."""
    returns = Return.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    if period.country:
        returns = returns.filter(order__shipping_country=period.country)
    return returns


def line_count(returns: QuerySet[Return]) -> int:
    """The number of rows the export of `returns` writes (for a progress bar)."""
    return ReturnLine.objects.filter(ret__in=returns.values("pk")).count()


def export_rows(returns: QuerySet[Return], chunk_size: int = CHUNK_SIZE) -> Iterator[list[Any]]:
    """The rows of `returns`' lines, in request order, COLUMNS' values in order."""
    rows = with_money_columns(
        returns.select_related("order")
        .prefetch_related(
            Prefetch(
                "lines",
                ReturnLine.objects.select_related("order_line__variant__product", "reason"),
            ),
            Prefetch("refunds", Refund.objects.order_by("created_at", "id")),
        )
        .order_by("created_at", "id")
    ).iterator(chunk_size=chunk_size)
    while chunk := list(islice(rows, chunk_size)):
        states = money_for_returns(chunk)
        for ret in chunk:
            yield from _rows_of(ret, states[ret.pk])


def _rows_of(ret: Return, money: ReturnMoney) -> Iterator[list[Any]]:
    quote = money.quote
    amounts = {line.order_line_id: line.amount for line in quote.lines if line.kind == ITEM}
    refunds = ";".join(f"{r.mode}:{r.status}:{r.amount}" for r in ret.refunds.all())
    order = ret.order
    for line in ret.lines.all():
        variant = line.order_line.variant
        yield [
            ret.rma_number,
            ret.status,
            _when(ret.created_at),
            _when(ret.status_changed_at),
            ret.channel,
            ret.refund_mode,
            order.number,
            _when(order.placed_at),
            order.email,
            order.shipping_country,
            quote.currency,
            line.pk,
            variant.sku,
            variant.product.name_in(),  # in the reader's language
            variant.option_in(),
            line.quantity,
            line.received_quantity,
            line.reason.code,
            line.reason_detail,
            line.restock,
            amounts.get(line.order_line_id),
            quote.items_total,
            quote.shipping,
            quote.fee,
            money.quote_total,
            money.refunded,
            money.pending,
            money.left_to_refund,
            money.amount_due,
            money.owed_back,
            refunds,
        ]


def _when(value: Any) -> str:
    return timezone.localtime(value).isoformat() if value else ""


def _cell(value: Any) -> Any:
    """A value for a text format: numbers and text as they are, None as empty."""
    return "" if value is None else value


# --- writers: each consumes the rows as they come ------------------------------------------------


class _Echo:
    """A file-like that hands back what is written (csv.writer into a streamed response)."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[list[Any]]) -> Iterator[str]:
    """The CSV text, a line at a time (header first)."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def json_chunks(rows: Iterable[list[Any]]) -> Iterator[str]:
    """A JSON array of objects keyed by COLUMNS, an object at a time (amounts as strings)."""
    yield "["
    separator = "\n"
    for row in rows:
        yield separator + json.dumps(dict(zip(COLUMNS, row, strict=True)), default=str)
        separator = ",\n"
    yield "\n]\n"


def write_text(rows: Iterable[list[Any]], fmt: str, out: IO[str]) -> None:
    for chunk in (csv_chunks if fmt == "csv" else json_chunks)(rows):
        out.write(chunk)


def write_xlsx(rows: Iterable[list[Any]], path: str) -> None:
    """An .xlsx workbook through openpyxl's write-only mode: each row goes to a temporary file
    as it is appended, so memory stays flat."""
    from openpyxl import Workbook  # a heavy import, for this format only

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("returns")
    sheet.append(COLUMNS)
    try:
        for row in rows:
            sheet.append(row)
    except BaseException:
        # Closed now, or its half-written stream fails later when collected; openpyxl removes
        # its temporary file at exit.
        sheet.close()
        raise
    workbook.save(path)
