"""Storefronts' own order exports, read into the import's rows (shop/importing.py).

Each reader turns a file as the storefront writes it into the flat rows of our own CSV format,
one per order line, so that validating and writing stay in one place: the same checks, the same
all-or-nothing write, the same refusals for an order with returns or refunds. What a reader
decides is only how the storefront's columns map onto ours; the README has the tables.

Amounts are Decimals read from the text, never floats. Where the storefront spreads a discount
over a line's units unevenly (10.00 off 3 units), the line keeps its full unit price and that
discount stays in the order's discount, which the quote shares out over the lines; so the lines
less the order's discount always make exactly what the storefront says the items cost.
"""

import csv
import io
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from functools import partial

from shop.money import MINOR_UNITS, minor_unit


class StorefrontRowError(ValueError):
    """One row of a storefront's file cannot be read; the message says why."""


Record = dict[str, str]


def _records(text: str, required: list[str]) -> Iterator[tuple[int, Record]]:
    """(line where the record starts, its cells stripped), refusing a file without a column the
    mapping reads. Other columns are ignored: exports carry dozens we have no use for."""
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    missing = [name for name in required if name not in columns]
    if missing:
        raise StorefrontFileError([("line 1", f"missing columns: {', '.join(missing)}")])
    start = 2
    for record in reader:
        yield start, {k: (v or "").strip() for k, v in record.items() if k is not None}
        start = reader.line_num + 1


class StorefrontFileError(Exception):
    """Raised with (where, message) pairs; shop.importing turns it into its ImportFileError."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{where}: {message}" for where, message in errors))


def _amount(record: Record, column: str, currency: str) -> Decimal:
    value = record.get(column, "") or "0"
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise StorefrontRowError(f"{column} {value!r} is not an amount") from None
    if not amount.is_finite():
        raise StorefrontRowError(f"{column} {value!r} is not an amount")
    if amount < 0:
        raise StorefrontRowError(f"{column} {value} is negative")
    if amount != amount.quantize(minor_unit(currency)):
        raise StorefrontRowError(f"{column} {value} has more decimals than {currency} allows")
    return amount


def _quantity(record: Record, column: str) -> int:
    value = record.get(column, "")
    if not value.isdigit() or int(value) < 1:
        raise StorefrontRowError(f"{column} {value!r} must be a whole number, at least 1")
    return int(value)


def _currency(record: Record, column: str) -> str:
    currency = record.get(column, "").upper()
    if currency not in MINOR_UNITS:
        raise StorefrontRowError(f"unknown currency {record.get(column, '')!r}")
    return currency


def _per_unit(total: Decimal, quantity: int, currency: str) -> Decimal | None:
    """`total` shared over `quantity` units, when it shares exactly in the currency."""
    unit = total / quantity
    exact = unit == unit.quantize(minor_unit(currency)) and unit * quantity == total
    return unit if exact else None


def _address(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def _names(full: str) -> tuple[str, str]:
    first, _space, last = full.strip().partition(" ")
    return first, last.strip()


def _money_text(amount: Decimal, currency: str) -> str:
    return str(amount.quantize(minor_unit(currency)))


def _grouped(
    text: str, required: list[str], number_of: Callable[[Record], str]
) -> list[tuple[str, list[tuple[int, Record]]]]:
    """The file's records grouped by order number, orders in the order they first appear."""
    groups: dict[str, list[tuple[int, Record]]] = {}
    errors = []
    for line, record in _records(text, required):
        number = number_of(record)
        if not number:
            errors.append((f"line {line}", "the order number is blank"))
            continue
        groups.setdefault(number, []).append((line, record))
    if errors:
        raise StorefrontFileError(errors)
    return list(groups.items())


def _rows_of(
    groups: list[tuple[str, list[tuple[int, Record]]]],
    order_rows: Callable[[str, list[tuple[int, Record]]], list[tuple[int, dict]]],
) -> list[tuple[int, dict]]:
    """Every order's rows, or StorefrontFileError listing every order that cannot be read."""
    rows: list[tuple[int, dict]] = []
    errors: list[tuple[str, str]] = []
    for number, records in groups:
        try:
            rows += order_rows(number, records)
        except _AtLine as error:
            errors.append((f"line {error.line}", str(error.__cause__ or error)))
    if errors:
        raise StorefrontFileError(errors)
    return rows


class _AtLine(Exception):
    def __init__(self, line: int):
        self.line = line
        super().__init__(f"line {line}")


def _at(line: int, read: Callable[[], object]):
    """Run `read`, naming `line` when it refuses the row."""
    try:
        return read()
    except StorefrontRowError as error:
        raise _AtLine(line) from error


# --- Shopify --------------------------------------------------------------------------------

SHOPIFY_REQUIRED = [
    "Name",
    "Email",
    "Currency",
    "Subtotal",
    "Shipping",
    "Total",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem sku",
    "Shipping Country",
]


def _shopify_number(record: Record) -> str:
    # "#1001": the hash is Shopify's display, not part of the number (it would end a URL).
    return record.get("Name", "").removeprefix("#")


def _shopify_status(first: Record) -> tuple[str, str]:
    """(status, delivered_at). Shopify's export has no delivery date: a fulfilled order counts
    as delivered when it was fulfilled, which opens its return window."""
    if first.get("Cancelled at"):
        return "cancelled", ""
    fulfillment = first.get("Fulfillment Status", "").lower()
    if fulfillment == "fulfilled" or (not fulfillment and first.get("Fulfilled at")):
        return "delivered", first.get("Fulfilled at", "")
    if fulfillment == "partial":
        return "shipped", ""
    return "placed", ""


def _shopify_order(number: str, records: list[tuple[int, Record]]) -> list[tuple[int, dict]]:
    """One Shopify order (its fields on its first row, one row per line item) as our rows."""
    first_line, first = records[0]
    currency = _at(first_line, lambda: _currency(first, "Currency"))
    lines = [
        (line, _at(line, partial(_shopify_item, record, currency))) for line, record in records
    ]
    items = sum((item["unit"] * item["quantity"] for _line, item in lines), Decimal(0))
    subtotal = _at(first_line, lambda: _amount(first, "Subtotal", currency))
    total = _at(first_line, lambda: _amount(first, "Total", currency))
    refunded = _at(first_line, lambda: _amount(first, "Refunded Amount", currency))
    shipping = _at(first_line, lambda: _amount(first, "Shipping", currency))
    # Subtotal is the items after every discount: what is left of the lines' prices once
    # each line's own discount is taken is the order's discount.
    discount = items - subtotal
    if discount < 0:
        raise _AtLine(first_line) from StorefrontRowError(
            f"the line items make {_money_text(items, currency)}, less than the Subtotal "
            f"{_money_text(subtotal, currency)}"
        )
    if refunded > total:
        raise _AtLine(first_line) from StorefrontRowError(
            f"Refunded Amount {refunded} is more than the Total {total}"
        )
    status, delivered_at = _shopify_status(first)
    first_name, last_name = _names(first.get("Shipping Name") or first.get("Billing Name", ""))
    order = {
        "order_number": number,
        "placed_at": first.get("Created at") or first.get("Paid at", ""),
        "delivered_at": delivered_at,
        "status": status,
        "currency": currency,
        "email": first.get("Email", ""),
        "first_name": first_name,
        "last_name": last_name,
        "shipping_country": first.get("Shipping Country", ""),
        # Shopify writes "'01234" so that a spreadsheet keeps the leading zero.
        "shipping_postcode": first.get("Shipping Zip", "").removeprefix("'"),
        "shipping_address": _address(
            first.get("Shipping Address1", ""),
            first.get("Shipping Address2", ""),
            first.get("Shipping City", ""),
        ),
        "shipping_cost": _money_text(shipping, currency),
        "discount": _money_text(discount, currency),
        # What Shopify refunded is not ours to refund again: the quote caps at what is left.
        "amount_paid": _money_text(total - refunded, currency),
    }
    return [
        (
            line,
            {
                **order,
                "sku": item["sku"],
                "product_name": item["name"],
                "option": item["option"],
                "variant_price": _money_text(item["price"], currency),
                "quantity": str(item["quantity"]),
                "unit_price_paid": _money_text(item["unit"], currency),
            },
        )
        for line, item in lines
    ]


def _shopify_item(record: Record, currency: str) -> dict:
    quantity = _quantity(record, "Lineitem quantity")
    price = _amount(record, "Lineitem price", currency)
    line_discount = _amount(record, "Lineitem discount", currency)
    if line_discount > price * quantity:
        raise StorefrontRowError(
            f"Lineitem discount {line_discount} is more than the line's {price * quantity}"
        )
    share = _per_unit(line_discount, quantity, currency)
    name, _dash, option = record.get("Lineitem name", "").partition(" - ")
    return {
        "sku": record.get("Lineitem sku", ""),
        # "T-shirt - M": Shopify names the variant after the product's.
        "name": name.strip(),
        "option": option.strip(),
        "quantity": quantity,
        "price": price,
        "unit": price - share if share is not None else price,
    }


def shopify_rows(text: str) -> list[tuple[int, dict]]:
    """Shopify's orders export (Orders > Export, "CSV for Excel, Numbers or other" or plain
    CSV): one row per line item, the order's fields on its first row only."""
    return _rows_of(_grouped(text, SHOPIFY_REQUIRED, _shopify_number), _shopify_order)


# --- WooCommerce ----------------------------------------------------------------------------

WOOCOMMERCE_REQUIRED = [
    "order_number",
    "order_date",
    "status",
    "order_currency",
    "billing_email",
    "shipping_total",
    "order_total",
    "item_name",
    "item_sku",
    "item_quantity",
    "item_subtotal",
    "item_total",
]
# WooCommerce's statuses: an order not paid or given up is cancelled here (nothing to return).
WOOCOMMERCE_CANCELLED = {"cancelled", "failed", "trash"}


def _woocommerce_number(record: Record) -> str:
    return record.get("order_number") or record.get("order_id", "")


def _woocommerce_status(first: Record) -> tuple[str, str]:
    """(status, delivered_at). A completed (or since refunded) order is delivered when it was
    completed: its completed_date, or its order_date when the export has no such column."""
    status = first.get("status", "").lower().removeprefix("wc-")
    if status in WOOCOMMERCE_CANCELLED:
        return "cancelled", ""
    if status in ("completed", "refunded"):
        return "delivered", first.get("completed_date") or first.get("order_date", "")
    return "placed", ""


def _woocommerce_order(number: str, records: list[tuple[int, Record]]) -> list[tuple[int, dict]]:
    """One WooCommerce order (its fields repeated on each of its item rows) as our rows."""
    first_line, first = records[0]
    currency = _at(first_line, lambda: _currency(first, "order_currency"))
    lines = [
        (line, _at(line, partial(_woocommerce_item, record, currency))) for line, record in records
    ]

    def money(column: str) -> Decimal:
        return _at(first_line, lambda: _amount(first, column, currency))

    # WooCommerce keeps taxes apart; the customer paid them, so the amounts here include them.
    shipping = money("shipping_total") + money("shipping_tax_total")
    fees = money("fee_total") + money("fee_tax_total")
    total, refunded = money("order_total"), money("refunded_total")
    items = sum((item["unit"] * item["quantity"] for _line, item in lines), Decimal(0))
    # order_total is the items after every discount, plus shipping and fees: what the lines'
    # unit prices leave over is the order's discount.
    discount = items + shipping + fees - total
    if discount < 0:
        raise _AtLine(first_line) from StorefrontRowError(
            f"the items, shipping and fees make {_money_text(items + shipping + fees, currency)}"
            f", less than the order_total {_money_text(total, currency)}"
        )
    if refunded > total:
        raise _AtLine(first_line) from StorefrontRowError(
            f"refunded_total {refunded} is more than the order_total {total}"
        )
    status, delivered_at = _woocommerce_status(first)
    order = {
        "order_number": number,
        "placed_at": first.get("order_date", ""),
        "delivered_at": delivered_at,
        "status": status,
        "currency": currency,
        "email": first.get("billing_email", ""),
        "first_name": first.get("billing_first_name", ""),
        "last_name": first.get("billing_last_name", ""),
        "customer_country": first.get("billing_country", ""),
        "shipping_country": first.get("shipping_country") or first.get("billing_country", ""),
        "shipping_postcode": first.get("shipping_postcode", ""),
        "shipping_address": _address(
            first.get("shipping_address_1", ""),
            first.get("shipping_address_2", ""),
            first.get("shipping_city", ""),
        ),
        "shipping_cost": _money_text(shipping, currency),
        "discount": _money_text(discount, currency),
        # What WooCommerce refunded is not ours to refund again: the quote caps at what is left.
        "amount_paid": _money_text(total - refunded, currency),
    }
    return [
        (
            line,
            {
                **order,
                "sku": item["sku"],
                "product_name": item["name"],
                "quantity": str(item["quantity"]),
                "unit_price_paid": _money_text(item["unit"], currency),
            },
        )
        for line, item in lines
    ]


def _woocommerce_item(record: Record, currency: str) -> dict:
    quantity = _quantity(record, "item_quantity")
    before = _amount(record, "item_subtotal", currency) + _amount(
        record, "item_subtotal_tax", currency
    )
    after = _amount(record, "item_total", currency) + _amount(record, "item_total_tax", currency)
    if after > before:
        raise StorefrontRowError(f"item_total {after} is more than item_subtotal {before}")
    unit = _per_unit(after, quantity, currency)
    if unit is None:
        unit = _per_unit(before, quantity, currency)
    if unit is None:
        raise StorefrontRowError(
            f"item_subtotal {before} is not a price per unit for {quantity} units"
        )
    return {
        "sku": record.get("item_sku", ""),
        "name": record.get("item_name", ""),
        "quantity": quantity,
        "unit": unit,
    }


def woocommerce_rows(text: str) -> list[tuple[int, dict]]:
    """WooCommerce's order export (Customer / Order / Coupon Export, "Default - One Row per
    Item"): one row per item, the order's fields repeated on each."""
    return _rows_of(_grouped(text, WOOCOMMERCE_REQUIRED, _woocommerce_number), _woocommerce_order)


READERS: dict[str, Callable[[str], list[tuple[int, dict]]]] = {
    "shopify": shopify_rows,
    "woocommerce": woocommerce_rows,
}
