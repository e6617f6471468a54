"""The built-in carrier: works with no network. It issues tracking numbers and PDF labels itself
and reads tracking events in its own simple format (JSON for the webhook, JSON or CSV files).

Its tracking events, one per object (a webhook body is one object, {"events": [...]}, or a list):
    {"id": "evt-1", "tracking_number": "OL123456789X", "status": "in_transit",
     "occurred_at": "2025-05-01T10:00:00+02:00", "location": "Paris", "description": "..."}
A CSV file has the same keys as its header row.
"""

from __future__ import annotations

import csv
import io
import secrets
from typing import TYPE_CHECKING

from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from returns.carriers.base import (
    Carrier,
    CarrierEvent,
    LabelResult,
    TrackingPayloadError,
    drop_off_qr_data,
)
from shop.limits import load_json

if TYPE_CHECKING:
    from returns.carriers.pdf import LabelDocument

# The offline carrier's statuses and what they mean for us (ParcelStatus values).
STATUS_MAP = {
    "announced": "announced",
    "label_created": "announced",
    "accepted": "in_transit",
    "picked_up": "in_transit",
    "in_transit": "in_transit",
    "out_for_delivery": "in_transit",
    "delivered": "delivered",
    "exception": "exception",
    "delayed": "exception",
    "damaged": "exception",
    "returned_to_sender": "returned_to_sender",
    "cancelled": "cancelled",
}
TRACKING_PREFIX = "OL"
MAX_SENDER_LINES = 5
MAX_RECIPIENT_LINES = 6


def check_letter(digits: str) -> str:
    """A check letter over the nine digits: a weighted sum mod 11, the way UPU S10 numbers
    catch a mistyped digit."""
    weights = [8, 6, 4, 2, 3, 5, 9, 7, 1]
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    return "ABCDEFGHJKL"[total % 11]


def is_offline_tracking_number(number: str) -> bool:
    return (
        len(number) == 12
        and number.startswith(TRACKING_PREFIX)
        and number[2:11].isdigit()
        and number[11] == check_letter(number[2:11])
    )


class OfflineCarrier(Carrier):
    name = "Offline Post"

    def new_tracking_number(self) -> str:
        from returns.models import ReturnLabel

        while True:
            digits = f"{secrets.randbelow(10**9):09d}"
            number = f"{TRACKING_PREFIX}{digits}{check_letter(digits)}"
            if not ReturnLabel.objects.filter(tracking_number=number).exists():
                return number

    def create_label(self, ret, *, method=None) -> LabelResult:
        number = self.new_tracking_number()
        # The label speaks the customer's language, whoever approved the return.
        with translation.override(ret.order.customer.language or None):
            doc = label_document(
                ret,
                carrier_name=self.name,
                tracking_number=number,
                service=method.name if method is not None else "",
            )
            headings = {
                "from": gettext("FROM"),
                "to": gettext("TO"),
                "rma": gettext("Return number (RMA)"),
                "order": gettext("Order"),
                "items": gettext("Items"),
                "tracking": gettext("Tracking number"),
            }
            # reportlab (about 11 MB a process) is imported by the first label, not by every
            # web worker at start
            from returns.carriers.pdf import render_label_pdf

            pdf = render_label_pdf(doc, headings=headings)
        return LabelResult(tracking_number=number, pdf=pdf, carrier_reference=number)

    def cancel_label(self, label) -> None:
        return None  # nothing was booked anywhere: a cancelled label is just not accepted

    def parse_tracking_events(self, payload: bytes) -> list[CarrierEvent]:
        try:
            data = load_json(payload)
        except ValueError as exc:
            raise TrackingPayloadError(str(exc)) from exc
        if isinstance(data, dict):
            data = data.get("events", [data])
        if not isinstance(data, list):
            raise TrackingPayloadError("expected an event, a list of events or {'events': [...]}")
        return [self._event(item, index) for index, item in enumerate(data, 1)]

    def parse_tracking_file(self, data: bytes, *, filename: str = "") -> list[CarrierEvent]:
        if filename.lower().endswith(".csv"):
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise TrackingPayloadError(f"not UTF-8: {exc}") from exc
            rows = csv.DictReader(io.StringIO(text))
            try:
                return [self._event(row, index) for index, row in enumerate(rows, 2)]
            except csv.Error as exc:
                raise TrackingPayloadError(f"not CSV: {exc}") from exc
        return self.parse_tracking_events(data)

    @staticmethod
    def _event(item, where: int) -> CarrierEvent:
        if not isinstance(item, dict):
            raise TrackingPayloadError(f"event {where}: not an object")
        texts = {key: _text(item.get(key)) for key in _KEYS}
        missing = [key for key in _REQUIRED if not texts[key]]
        if missing:
            raise TrackingPayloadError(f"event {where}: missing {', '.join(missing)}")
        try:
            occurred_at = parse_datetime(texts["occurred_at"])
            if occurred_at is not None and timezone.is_naive(occurred_at):
                occurred_at = timezone.make_aware(occurred_at, timezone.get_default_timezone())
        except (ValueError, OverflowError):  # well formed, but no such day (2026-02-30)
            occurred_at = None
        if occurred_at is None:
            raise TrackingPayloadError(f"event {where}: bad date {texts['occurred_at'][:40]!r}")
        try:
            return CarrierEvent(
                event_id=texts["id"],
                tracking_number=texts["tracking_number"],
                raw_status=texts["status"],
                status=STATUS_MAP.get(texts["status"].lower(), ""),
                occurred_at=occurred_at,
                location=texts["location"],
                description=texts["description"],
            )
        except TrackingPayloadError as exc:
            raise TrackingPayloadError(f"event {where}: {exc}") from exc


_REQUIRED = ("id", "tracking_number", "status", "occurred_at")
_KEYS = (*_REQUIRED, "location", "description")


def _text(value) -> str:
    """A scalar of an event as text; a list or an object is no value of ours."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def label_document(
    ret, *, carrier_name: str, tracking_number: str, service: str = ""
) -> LabelDocument:
    """What a label of `ret` shows: the customer sends, the shop's return address receives."""
    from returns.carriers.pdf import LabelDocument
    from returns.policy_page import policy_url
    from shop.brands import brand_of
    from shop.models import ShopSettings

    order = ret.order
    customer = order.customer
    shop = ShopSettings.load()
    brand = brand_of(order)
    address = [line.strip() for line in (order.shipping_address or "").splitlines() if line.strip()]
    sender = [
        customer.full_name or order.email,
        *address,
        f"{order.shipping_postcode} {order.shipping_country}".strip(),
    ]
    # The order's brand receives its parcels, at its own address when it has one.
    address_to = (brand.return_address if brand is not None else "") or shop.return_address
    recipient = [
        brand.name if brand is not None else shop.shop_name,
        *[line.strip() for line in address_to.splitlines() if line.strip()],
    ]
    items = [
        f"{line.quantity} × {line.order_line.variant.product.name}"
        + (f" ({line.order_line.variant.option})" if line.order_line.variant.option else "")
        for line in ret.lines.select_related("order_line__variant__product").order_by("id")
    ]
    return LabelDocument(
        carrier_name=carrier_name,
        service=service,
        tracking_number=tracking_number,
        rma_number=ret.rma_number,
        order_number=order.number,
        sender=sender[:MAX_SENDER_LINES],
        recipient=recipient[:MAX_RECIPIENT_LINES],
        items=items,
        qr_data=drop_off_qr_data(ret.rma_number, tracking_number),
        title=gettext("RETURN"),
        instructions=gettext("Return policy: %(url)s") % {"url": policy_url(brand)},
    )
