"""Import orders from a storefront's export (CSV or JSON, or Shopify's and WooCommerce's own
exports read by shop/storefronts.py), all or nothing.

Both formats become the same flat rows (one per order line), validated whole before anything is
written; then one transaction creates or updates customers, products, variants and orders. An
unchanged row writes nothing, so importing the same file twice changes nothing the second time.
An order with returns or refunds keeps its money, lines and customer (shop.orders), and a
catalogue value the file leaves out or blank (category, variant price, point-of-sale flag) stays
as it is.
The formats are documented in the README.
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from shop.locks import lock_customers_by_email, lock_orders, lock_variants_by_sku
from shop.models import Brand, Customer, Order, OrderLine, Product, StockMovement, Variant
from shop.money import MINOR_UNITS, minor_unit
from shop.orders import order_change_refusals
from shop.services import stock_move
from shop.storefronts import READERS, StorefrontFileError

ORDER_FIELDS = [
    "placed_at",
    "delivered_at",
    "status",
    "currency",
    "email",
    "first_name",
    "last_name",
    "language",
    "customer_country",
    "shipping_country",
    "shipping_postcode",
    "shipping_address",
    "shipping_cost",
    "discount",
    "amount_paid",
    "outbound_tracking_number",
    "brand",  # a brand's code (shop.Brand); blank: the order keeps its brand, or the default
    # How it was paid, for refunds through the provider (refunds/providers/): "stripe" and
    # the PaymentIntent id; blank: paid by hand (or as imported before).
    "payment_provider",
    "payment_reference",
]
LINE_FIELDS = [
    "sku",
    "product_name",
    "category",
    "option",
    "variant_price",
    "quantity",
    "unit_price_paid",
    "stock_on_hand",
    "pos_managed",
]
CSV_COLUMNS = ["order_number", *ORDER_FIELDS, *LINE_FIELDS]
M = TypeVar("M", bound=Model)
POS_MANAGED = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
REQUIRED = [
    "order_number",
    "placed_at",
    "currency",
    "email",
    "shipping_country",
    "amount_paid",
    "sku",
    "product_name",
    "quantity",
    "unit_price_paid",
]


class ImportFileError(Exception):
    """The file cannot be imported; `errors` lists (where, message) pairs."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{where}: {message}" for where, message in errors))


@dataclass
class Row:
    where: str  # "line 12", shown in error messages
    values: dict


@dataclass
class ImportResult:
    counts: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    stock_movements: int = 0


# --- reading --------------------------------------------------------------------------------


# Our own format (CSV or JSON by the file's extension), then the storefronts' exports.
FORMATS = ["ours", *READERS]


def read_rows(path: str, file_format: str = "ours") -> list[Row]:
    with open(path, encoding="utf-8-sig") as handle:
        text = handle.read()
    if file_format in READERS:
        try:
            rows = READERS[file_format](text)
        except StorefrontFileError as error:
            raise ImportFileError(error.errors) from None
        return [Row(f"line {line}", values) for line, values in rows]
    if path.lower().endswith(".json"):
        return _json_rows(text)
    return _csv_rows(text)


def _csv_rows(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportFileError([("line 1", f"missing columns: {', '.join(missing)}")])
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        raise ImportFileError([("line 1", f"unknown columns: {', '.join(unknown)}")])
    # reader.line_num is the physical line the row ended on: right for one-line rows.
    return [
        Row(f"line {reader.line_num}", {k: (v or "").strip() for k, v in record.items()})
        for record in reader
    ]


def _json_rows(text: str) -> list[Row]:
    """Flatten {"orders": [...]} or [...] of nested orders, keeping each order's line number."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError([(f"line {error.lineno}", f"not valid JSON: {error.msg}")]) from None
    orders = document.get("orders") if isinstance(document, dict) else document
    if not isinstance(orders, list):
        raise ImportFileError([("line 1", 'expected a list of orders or {"orders": [...]}')])
    rows = []
    for order, line_number in zip(orders, _element_lines(text), strict=False):
        where = f"line {line_number}"
        if not isinstance(order, dict):
            raise ImportFileError([(where, "an order must be an object")])
        customer = order.get("customer") or {}
        header = {
            "order_number": order.get("number"),
            "email": customer.get("email"),
            "first_name": customer.get("first_name"),
            "last_name": customer.get("last_name"),
            "language": customer.get("language"),
            "customer_country": customer.get("country"),
            **{k: order.get(k) for k in ORDER_FIELDS if k in order},
        }
        lines = order.get("lines") or [{}]
        for index, line in enumerate(lines, start=1):
            values = {**header, **{k: line.get(k) for k in LINE_FIELDS}}
            text_values = {k: "" if v is None else str(v).strip() for k, v in values.items()}
            rows.append(Row(f"{where} (order {header['order_number']}, item {index})", text_values))
    return rows


def _element_lines(text: str) -> Iterable[int]:
    """Line numbers where each element of the file's list of orders starts."""
    decoder = json.JSONDecoder()
    start = text.index("[", text.index('"orders"') if text.lstrip().startswith("{") else 0)
    position = start + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            return
        yield text.count("\n", 0, position) + 1
        _value, position = decoder.raw_decode(text, position)


# --- validating -----------------------------------------------------------------------------


def _money(value: str, currency: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if amount < 0:
        raise ValueError(f"{value} is negative")
    if amount != amount.quantize(minor_unit(currency)):
        raise ValueError(f"{value} has more decimals than {currency} allows")
    return amount


def _moment(value: str, name: str) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None and (day := parse_date(value)) is not None:
        moment = datetime.combine(day, time(12, 0))
    if moment is None:
        raise ValueError(f"{name} {value!r} is not a date (use ISO 8601, e.g. 2026-03-01)")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _check_customer(v: dict[str, str]) -> str:
    """Refuses a row whose email, language or countries are not valid; returns its language."""
    try:
        validate_email(v["email"])
    except ValidationError:
        raise ValueError(f"{v['email']!r} is not an email address") from None
    language = (v.get("language") or "fr").lower()
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"language {language!r} is not one of fr, en")
    for name in ("shipping_country", "customer_country"):
        if v.get(name) and len(v[name]) != 2:
            raise ValueError(f"{name} {v[name]!r} must be a two-letter country code")
    return language


def _clean(row: Row) -> dict:
    v = row.values
    missing = [name for name in REQUIRED if not v.get(name)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    currency = v["currency"].upper()
    if currency not in MINOR_UNITS:
        raise ValueError(f"unknown currency {v['currency']!r}")
    language = _check_customer(v)
    try:
        quantity = int(v["quantity"])
    except ValueError:
        raise ValueError(f"quantity {v['quantity']!r} is not a whole number") from None
    if quantity < 1:
        raise ValueError(f"quantity {quantity} must be at least 1")
    stock = v.get("stock_on_hand") or None
    if stock is not None and (not stock.isdigit()):
        raise ValueError(f"stock_on_hand {stock!r} must be a whole number, zero or more")
    pos_managed = (v.get("pos_managed") or "").lower()
    if pos_managed and pos_managed not in POS_MANAGED:
        raise ValueError(f"pos_managed {v['pos_managed']!r} must be true or false")
    placed_at = _moment(v["placed_at"], "placed_at")
    delivered_at = _moment(v.get("delivered_at", ""), "delivered_at")
    status = v.get("status") or (Order.Status.DELIVERED if delivered_at else Order.Status.PLACED)
    if status not in Order.Status.values:
        raise ValueError(f"status {status!r} is not one of {', '.join(Order.Status.values)}")
    return {
        "order": {
            "number": v["order_number"],
            "placed_at": placed_at,
            "delivered_at": delivered_at,
            "status": status,
            "currency": currency,
            "email": v["email"].lower(),
            "shipping_country": v["shipping_country"].upper(),
            "shipping_postcode": v.get("shipping_postcode", ""),
            "shipping_address": v.get("shipping_address", ""),
            "shipping_cost": _money(v.get("shipping_cost") or "0", currency),
            "discount": _money(v.get("discount") or "0", currency),
            "amount_paid": _money(v["amount_paid"], currency),
            "outbound_tracking_number": v.get("outbound_tracking_number", ""),
            **({"brand": _brand(v["brand"])} if v.get("brand") else {}),
            **_payment(v),
        },
        # The customer and the catalogue take only what the file gives (a value left out or
        # blank keeps what they held); a new one takes the defaults at writing.
        "customer": {
            "email": v["email"].lower(),
            **_given(v, "first_name", "last_name"),
            **({"language": language} if v.get("language") else {}),
            **({"country": v["customer_country"].upper()} if v.get("customer_country") else {}),
        },
        "line": {
            "sku": v["sku"],
            "product_name": v["product_name"],
            "stock_on_hand": None if stock is None else int(stock),
            "quantity": quantity,
            "unit_price_paid": _money(v["unit_price_paid"], currency),
            "product": _given(v, "category"),
            "variant": {
                **_given(v, "option"),
                **(
                    {"price": _money(v["variant_price"], currency)}
                    if v.get("variant_price")
                    else {}
                ),
                **({"stock_managed_by_pos": POS_MANAGED[pos_managed]} if pos_managed else {}),
            },
        },
    }


def _brand(code: str) -> Brand:
    brand = Brand.objects.filter(code=code.strip()).first()
    if brand is None:
        raise ValueError(f"unknown brand {code!r}")
    return brand


def _payment(values: dict) -> dict:
    """The payment's provider code (a slug) and its id there, when the file gives them."""
    payment = _given(values, "payment_provider", "payment_reference")
    provider = payment.get("payment_provider", "")
    if provider and not re.fullmatch(r"[a-z0-9_-]{1,20}", provider):
        raise ValueError(f"payment_provider {provider!r} must be a provider's code, e.g. stripe")
    if len(payment.get("payment_reference", "")) > 200:
        raise ValueError("payment_reference is longer than 200 characters")
    return payment


def _given(values: dict, *names: str) -> dict:
    return {name: values[name] for name in names if values.get(name)}


def validate(rows: list[Row]) -> list[dict]:
    """Every row cleaned and grouped by order, or ImportFileError listing every bad row."""
    errors: list[tuple[str, str]] = []
    orders: dict[str, dict] = {}
    for row in rows:
        try:
            cleaned = _clean(row)
        except ValueError as error:
            errors.append((row.where, str(error)))
            continue
        number = cleaned["order"]["number"]
        group = orders.setdefault(
            number,
            {
                "where": row.where,
                "order": cleaned["order"],
                "customer": cleaned["customer"],
                "lines": {},
            },
        )
        if group["order"] != cleaned["order"] or group["customer"] != cleaned["customer"]:
            errors.append((row.where, f"order {number} differs from its first row"))
        elif cleaned["line"]["sku"] in group["lines"]:
            errors.append((row.where, f"SKU {cleaned['line']['sku']} twice in order {number}"))
        else:
            group["lines"][cleaned["line"]["sku"]] = cleaned["line"]
    if errors:
        raise ImportFileError(errors)
    return list(orders.values())


# --- writing --------------------------------------------------------------------------------


def _upsert(
    model: type[M],
    lookup: dict,
    values: dict,
    defaults: dict | None = None,
    match: Q | None = None,
) -> tuple[M, str]:
    """Create (with `defaults` under `values`), update only the changed fields, or leave alone;
    returns (object, outcome). The row is found by `match`, else by `lookup`."""
    obj = model._default_manager.filter(match if match is not None else Q(**lookup)).first()
    if obj is None:
        return model._default_manager.create(**lookup, **{**(defaults or {}), **values}), "created"
    changed = [name for name, value in values.items() if not _holds(obj, name, value)]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=[column for name in changed for column in _columns(name)])
    return obj, ("updated" if changed else "unchanged")


def _columns(name: str) -> tuple[str, ...]:
    """The columns a value writes: a translated text (a property) sets both languages."""
    return (f"{name}_fr", f"{name}_en") if name in TRANSLATED else (name,)


# Texts the merchant types in both languages (shop.models); the file gives one.
TRANSLATED = ("name", "option")


def _holds(obj: Model, name: str, value: object) -> bool:
    """Whether the row already holds the file's value: a text typed in both languages holds it
    when either language is it, so an import never overwrites the merchant's translation."""
    if name in TRANSLATED:
        return value in (getattr(obj, f"{name}_fr"), getattr(obj, f"{name}_en"))
    return getattr(obj, name) == value


def _refusals(groups: list[dict]) -> list[tuple[str, str]]:
    """Why existing orders may not take the file's values, each at its order's first row.

    The rows the file will write are locked first, in the lock order (returns/locks.py): its
    orders, so that no return or refund starts between this check and the write, then its
    customers, then its variants, each kind in id order, so that the import never holds a
    variant a receipt restocking in id order waits for while waiting for one it holds."""
    numbers = [group["order"]["number"] for group in groups]
    ids = dict(Order.objects.filter(number__in=numbers).values_list("number", "id"))
    orders = lock_orders(ids.values())
    lock_customers_by_email(group["customer"]["email"] for group in groups)
    lock_variants_by_sku(sku for group in groups for sku in group["lines"])
    refusals = []
    for group in groups:
        if group["order"]["number"] not in ids:
            continue
        order = orders[ids[group["order"]["number"]]]
        lines = {
            sku: (line["quantity"], line["unit_price_paid"]) for sku, line in group["lines"].items()
        }
        messages = order_change_refusals(order, group["order"], group["customer"]["email"], lines)
        refusals += [(group["where"], message) for message in messages]
    return refusals


def _write_order(group: dict, result: ImportResult) -> str:
    customer_values = dict(group["customer"])
    customer, _ = _upsert(
        Customer,
        {"email": customer_values.pop("email")},
        customer_values,
        defaults={"language": "fr", "country": group["order"]["shipping_country"]},
    )
    order_values = dict(group["order"])
    order, outcome = _upsert(
        Order, {"number": order_values.pop("number")}, {**order_values, "customer": customer}
    )
    for line in group["lines"].values():
        name = line["product_name"]
        product, _ = _upsert(
            Product,
            {"name": name},
            line["product"],
            match=Q(name_fr=name) | Q(name_en=name),  # the product so named in either language
        )
        variant, _ = _upsert(
            Variant,
            {"sku": line["sku"]},
            {"product": product, **line["variant"]},
            # A new variant without a catalogue price is priced at what the customer paid.
            defaults={"price": line["unit_price_paid"]},
        )
        wanted = line["stock_on_hand"]
        if wanted is not None and wanted != variant.stock_on_hand:
            stock_move(
                variant=variant,
                quantity=wanted - variant.stock_on_hand,
                kind=StockMovement.Kind.IMPORT,
                note=f"import of order {order.number}",
            )
            result.stock_movements += 1
        _line, line_outcome = _upsert(
            OrderLine,
            {"order": order, "variant": variant},
            {"quantity": line["quantity"], "unit_price_paid": line["unit_price_paid"]},
        )
        if line_outcome != "unchanged" and outcome == "unchanged":
            outcome = "updated"
    # An order with returns keeps its lines (refused above), so no line deleted here has one.
    stale = order.lines.exclude(variant__sku__in=group["lines"].keys())
    if stale.exists():
        stale.delete()
        outcome = "updated" if outcome == "unchanged" else outcome
    return outcome


def import_orders(
    path: str, progress: Callable[[Iterable], Iterable] = iter, file_format: str = "ours"
) -> ImportResult:
    """Import the file at `path`, in one of FORMATS; raises ImportFileError and writes nothing
    on any bad row."""
    return import_rows(read_rows(path, file_format), progress)


def import_rows(rows: list[Row], progress: Callable[[Iterable], Iterable] = iter) -> ImportResult:
    """Import rows of the file's columns (the file's or the API's order); all or nothing."""
    groups = validate(rows)
    result = ImportResult()
    with transaction.atomic():
        refusals = _refusals(groups)
        if refusals:
            raise ImportFileError(refusals)
        for group in progress(groups):
            result.counts[_write_order(group, result)] += 1
    return result
