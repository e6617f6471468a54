"""Sendcloud (https://sendcloud.dev): return parcels through its public API, tracking through
its webhook.

What we call, as Sendcloud documents it (basic auth: the integration's public and secret keys):
- create: POST /api/v3/returns (from_address = the customer, to_address = the shop's return
  address, ship_with = a shipping option code, weight, parcel_items), answering 201
  {"return_id", "parcel_id", "multi_collo_ids"};
- the tracking number and tracking page: GET /api/v3/returns/{return_id} (a Return object:
  tracking_number, tracking_url, is_cancellable, status_history), asked a few times while the
  parcel is being announced (tracking_number null);
- the label: GET /api/v3/parcels/{parcel_id}/documents/label (Accept: application/pdf);
- cancel: PATCH /api/v3/returns/{return_id}/cancel, 202 when requested, 409 {"errors": [...]}
  once the parcel cannot be cancelled any more (scanned): our CarrierError with its words.
Sendcloud's webhook posts `parcel_status_changed` (the v2 parcel object) signed with the
header Sendcloud-Signature: the hex HMAC-SHA256 of the raw body under the integration's secret
key (or its webhook signature key).

Configured by environment (config/settings.py, README "Sendcloud"): SENDCLOUD_PUBLIC_KEY,
SENDCLOUD_SECRET_KEY, ... become the OPTIONS of RETURN_CARRIERS["sendcloud"].
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests
from django.utils.translation import gettext
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from returns.carriers.base import Carrier, CarrierError, CarrierEvent, LabelResult
from returns.carriers.base import TrackingPayloadError as PayloadError
from returns.carriers.signing import SignatureError
from shop.limits import load_json

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Sendcloud-Signature"
DEFAULT_BASE_URL = "https://panel.sendcloud.sc"
# Sendcloud retries a webhook 10 times over hours: no freshness window on its timestamp (a
# replay is a no-op anyway: an event is recorded once per id, returns/services/tracking.py).
WEBHOOK_ACTION = "parcel_status_changed"


@dataclass(frozen=True)
class SendcloudStatus:
    id: int
    # The parent status as the v3 Returns API's status_history and filters spell it.
    slug: str
    message: str
    # Our returns.models.ParcelStatus value ("" = recorded, nothing else).
    ours: str


# Sendcloud's parcel statuses (GET /api/v2/parcels/statuses; the v3 parent statuses) and what
# they mean for a return parcel, in one table. A return is addressed to the shop, so
# "delivered" and "collected" mean it reached the warehouse. Cancellation requested (1999,
# 2001) is not a cancellation yet: only Sendcloud's "cancelled" ones are.
STATUSES = (
    SendcloudStatus(1, "announced", "Announced", "announced"),
    SendcloudStatus(3, "to-sorting", "En route to sorting center", "in_transit"),
    SendcloudStatus(4, "delayed", "Delivery delayed", "exception"),
    SendcloudStatus(5, "sorted", "Sorted", "in_transit"),
    SendcloudStatus(6, "unsorted", "Not sorted", "in_transit"),
    SendcloudStatus(7, "sorting", "Being sorted", "in_transit"),
    SendcloudStatus(8, "delivery-failed", "Delivery attempt failed", "exception"),
    SendcloudStatus(11, "delivered", "Delivered", "delivered"),
    SendcloudStatus(12, "awaiting-customer-pickup", "Awaiting customer pickup", "in_transit"),
    SendcloudStatus(13, "announced-uncollected", "Announced: not collected", "announced"),
    SendcloudStatus(15, "collect-error", "Error collecting", "exception"),
    SendcloudStatus(22, "picked-up-by-driver", "Shipment picked up by driver", "in_transit"),
    SendcloudStatus(80, "undeliverable", "Unable to deliver", "exception"),
    SendcloudStatus(91, "shipment-on-route", "Parcel en route", "in_transit"),
    SendcloudStatus(92, "driver-on-route", "Driver en route", "in_transit"),
    SendcloudStatus(93, "collected-by-customer", "Shipment collected by customer", "delivered"),
    SendcloudStatus(999, "no-label", "No label", ""),
    SendcloudStatus(1000, "ready-to-send", "Ready to send", "announced"),
    SendcloudStatus(1001, "announcing", "Being announced", "announced"),
    SendcloudStatus(1002, "announcement-failed", "Announcement failed", "exception"),
    SendcloudStatus(1337, "unknown", "Unknown status", ""),
    SendcloudStatus(1998, "cancelled-upstream", "Cancelled upstream", "cancelled"),
    SendcloudStatus(1999, "cancelling", "Cancellation requested", ""),
    SendcloudStatus(2000, "cancelled", "Cancelled", "cancelled"),
    SendcloudStatus(2001, "cancelling-upstream", "Submitting cancellation request", ""),
    SendcloudStatus(62989, "at-customs", "At customs", "in_transit"),
    SendcloudStatus(62990, "at-sorting-centre", "At sorting centre", "in_transit"),
    SendcloudStatus(62991, "refused-by-recipient", "Refused by recipient", "exception"),
    SendcloudStatus(62992, "returned-to-sender", "Returned to sender", "returned_to_sender"),
)
STATUS_BY_ID = {status.id: status for status in STATUSES}
STATUS_BY_SLUG = {status.slug: status for status in STATUSES}


def parcel_status(status_id: object) -> str:
    """Our ParcelStatus value of a Sendcloud status id ("" when it means nothing to us)."""
    try:
        known = STATUS_BY_ID.get(int(status_id))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""
    return known.ours if known else ""


def webhook_signature(body: bytes, secret: str) -> str:
    """The Sendcloud-Signature of `body`: the hex HMAC-SHA256 of the raw body under `secret`."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SendcloudCarrier(Carrier):
    """Options (RETURN_CARRIERS["sendcloud"]["OPTIONS"], from the environment):

    public_key, secret_key: the API integration's keys (basic auth);
    webhook_secret: what the webhook is signed with (default: the secret key, as for an API
        integration; a shop integration has a "Webhook Signature Key" of its own);
    base_url: https://panel.sendcloud.sc (the tests point it at a local server);
    return_address: the to_address of every return, in Sendcloud's address shape (name,
        company_name, address_line_1, house_number, postal_code, city, country_code, email,
        phone_number);
    shipping_options: {country code of the customer: shipping option code, "*": default}; a
        return rule's shipping method with a carrier service names the code instead;
    parcel_weight_kg: the weight declared (Sendcloud requires one; default 1);
    timeout: seconds to connect and to read (default 10 and 30);
    retries, backoff: retries of a 5xx or a connection error (default 3, 0.5 s doubling);
    announce_polls, announce_wait: how often and how long apart the return is read until
        Sendcloud has announced the parcel (has its tracking number);
    tracking_url: a tracking page with {number} in it (Carrier.tracking_url);
        Sendcloud's own page, with its carrier and verification parameters, comes with the
        label (LabelResult.tracking_url) and from fetch_tracking_url.
    """

    name = "Sendcloud"

    def __init__(self, code: str, **options: Any):
        super().__init__(code, **options)
        self.base_url = str(options.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.public_key = str(options.get("public_key") or "")
        self.secret_key = str(options.get("secret_key") or "")
        self.return_address = dict(options.get("return_address") or {})
        self.shipping_options = {
            str(k).upper(): str(v) for k, v in (options.get("shipping_options") or {}).items()
        }
        self.parcel_weight_kg = Decimal(str(options.get("parcel_weight_kg") or "1"))
        self.timeout = (
            float(options.get("connect_timeout", 10)),
            float(options.get("timeout", 30)),
        )
        self.retries = int(options.get("retries", 3))
        self.backoff = float(options.get("backoff", 0.5))
        self.announce_polls = int(options.get("announce_polls", 5))
        self.announce_wait = float(options.get("announce_wait", 1.0))

    # --- configuration -------------------------------------------------------------------

    def configuration_problems(self) -> list[str]:
        """What is missing for the API to be called (returns.E004 names it in production)."""
        problems = []
        if not self.public_key or not self.secret_key:
            problems.append("SENDCLOUD_PUBLIC_KEY and SENDCLOUD_SECRET_KEY must both be set")
        missing = [
            key
            for key in ("name", "address_line_1", "postal_code", "city", "country_code")
            if not self.return_address.get(key)
        ]
        if missing:
            problems.append(f"SENDCLOUD_RETURN_ADDRESS lacks {', '.join(missing)}")
        if not self.shipping_options:
            problems.append("SENDCLOUD_SHIPPING_OPTIONS names no shipping option code")
        return problems

    def webhook_secret(self) -> str:
        return str(self.options.get("webhook_secret") or self.secret_key)

    # --- HTTP ----------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = requests.Session()
        session.auth = (self.public_key, self.secret_key)
        session.headers["Accept"] = "application/json"
        retry = Retry(
            total=self.retries,
            connect=self.retries,
            read=0,  # a request that reached Sendcloud and timed out may have been done
            status=self.retries,
            backoff_factor=self.backoff,
            status_forcelist=(500, 502, 503, 504),
            # A 5xx is Sendcloud not doing it: POST and PATCH are retried too (a return made
            # twice all the same would carry the same external_reference in its panel).
            allowed_methods=None,
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        session.mount(self.base_url, HTTPAdapter(max_retries=retry))
        return session

    def _call(
        self, method: str, path: str, *, json: Any = None, accept: str = "application/json"
    ) -> requests.Response:
        url = f"{self.base_url}{path}"
        try:
            with self._session() as session:
                response = session.request(
                    method, url, json=json, headers={"Accept": accept}, timeout=self.timeout
                )
        except requests.RequestException as exc:
            logger.warning("Sendcloud %s %s failed: %s", method, path, exc)
            raise CarrierError(
                gettext("Sendcloud cannot be reached (%(error)s)") % {"error": type(exc).__name__}
            ) from exc
        return response

    @staticmethod
    def _error(response: requests.Response) -> CarrierError:
        """Sendcloud's own words of a refusal ({"errors": [{"message"|"detail": ...}]})."""
        words = []
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            for error in body.get("errors") or []:
                if isinstance(error, dict):
                    text = error.get("message") or error.get("detail") or ""
                    field = error.get("field")
                    words.append(f"{field}: {text}" if field and text else str(text))
            if not words and body.get("error"):
                words.append(str(body["error"]))
        said = "; ".join(word for word in words if word) or response.reason or "?"
        message = gettext("Sendcloud answered %(status)s: %(words)s") % {
            "status": response.status_code,
            "words": said,
        }
        return CarrierError(message[:500])

    def _json(self, response: requests.Response, *expected: int) -> dict[str, Any]:
        if response.status_code not in expected:
            raise self._error(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise CarrierError(gettext("Sendcloud answered something that is not JSON")) from exc
        if not isinstance(body, dict):
            raise CarrierError(gettext("Sendcloud answered something that is not JSON"))
        return body

    # --- labels --------------------------------------------------------------------------

    def shipping_option_code(self, ret, method=None) -> str:
        """The shipping option of the return: the rule's method's carrier service, else the
        one configured for the customer's country, else the default ("*")."""
        if method is not None and method.service:
            return str(method.service)
        country = (ret.order.shipping_country or "").upper()
        code = self.shipping_options.get(country) or self.shipping_options.get("*")
        if not code:
            raise CarrierError(
                gettext("No Sendcloud shipping option for returns from %(country)s")
                % {"country": country or "?"}
            )
        return code

    def return_request(self, ret, *, method=None) -> dict[str, Any]:
        """The body of POST /api/v3/returns for `ret`, in Sendcloud's documented shape."""
        order = ret.order
        customer = order.customer
        lines = [
            line.strip() for line in (order.shipping_address or "").splitlines() if line.strip()
        ]
        if len(lines) < 2:
            raise CarrierError(
                gettext(
                    "Sendcloud needs the customer's street and city (the order's shipping address)."
                )
            )
        from_address = {
            "name": (customer.full_name or order.email)[:75],
            "address_line_1": lines[0],
            "postal_code": order.shipping_postcode,
            "city": lines[-1],
            "country_code": order.shipping_country.upper(),
            "email": order.email,
        }
        if len(lines) > 2:
            from_address["address_line_2"] = ", ".join(lines[1:-1])
        items = []
        for line in ret.lines.select_related("order_line__variant__product").order_by("id"):
            variant = line.order_line.variant
            description = variant.product.name + (f" {variant.option}" if variant.option else "")
            items.append(
                {
                    "item_id": str(line.order_line_id),
                    "description": description[:255],
                    "quantity": line.quantity,
                    "sku": variant.sku,
                    "product_id": str(variant.product_id),
                    "price": {
                        "value": float(line.order_line.unit_price_paid),
                        "currency": order.currency,
                    },
                }
            )
        return {
            "from_address": from_address,
            "to_address": dict(self.return_address),
            "ship_with": {
                "type": "shipping_option_code",
                "shipping_option_code": self.shipping_option_code(ret, method),
            },
            "weight": {"value": float(self.parcel_weight_kg), "unit": "kg"},
            "collo_count": 1,
            "parcel_items": items,
            "send_tracking_emails": False,  # the shop tells its customers itself
            "order_number": order.number,
            # Ours, unique per label: a return may get a second label after a cancellation.
            "external_reference": f"{ret.rma_number}-{ret.labels.count() + 1}",
            "delivery_option": "drop_off_point",
        }

    def create_label(self, ret, *, method=None) -> LabelResult:
        body = self.return_request(ret, method=method)
        created = self._json(self._call("POST", "/api/v3/returns", json=body), 201)
        return_id, parcel_id = created.get("return_id"), created.get("parcel_id")
        if not isinstance(return_id, int) or not isinstance(parcel_id, int):
            raise CarrierError(
                gettext("Sendcloud made the return but gave no return_id and parcel_id")
            )
        reference = f"{return_id}:{parcel_id}"
        try:
            details = self._announced(return_id)
            pdf = self._label_pdf(parcel_id)
        except CarrierError:
            # A return we will not record must not stay booked at Sendcloud.
            self._cancel(return_id, quiet=True)
            raise
        return LabelResult(
            tracking_number=str(details["tracking_number"]),
            pdf=pdf,
            carrier_reference=reference,
            tracking_url=str(details.get("tracking_url") or ""),
        )

    def _announced(self, return_id: int) -> dict[str, Any]:
        """The Return object once Sendcloud has a tracking number for it."""
        for attempt in range(max(self.announce_polls, 1)):
            if attempt:
                time.sleep(self.announce_wait)
            details = self.fetch_return(return_id)
            if details.get("tracking_number"):
                return details
        raise CarrierError(
            gettext("Sendcloud has not announced return %(id)s yet") % {"id": return_id}
        )

    def fetch_return(self, return_id: int | str) -> dict[str, Any]:
        return self._json(self._call("GET", f"/api/v3/returns/{return_id}"), 200)

    def _label_pdf(self, parcel_id: int | str) -> bytes:
        response = self._call(
            "GET", f"/api/v3/parcels/{parcel_id}/documents/label", accept="application/pdf"
        )
        if response.status_code != 200:
            raise self._error(response)
        if not response.content.startswith(b"%PDF"):
            raise CarrierError(gettext("Sendcloud's label is not a PDF"))
        return response.content

    def fetch_label_pdf(self, label) -> bytes:
        return self._label_pdf(_reference(label)[1])

    def cancel_label(self, label) -> None:
        self._cancel(_reference(label)[0])

    def _cancel(self, return_id: int | str, *, quiet: bool = False) -> None:
        try:
            response = self._call("PATCH", f"/api/v3/returns/{return_id}/cancel")
            if response.status_code not in (200, 202):
                raise self._error(response)
        except CarrierError as exc:
            if not quiet:
                raise
            logger.error("Sendcloud return %s could not be cancelled: %s", return_id, exc)

    def fetch_tracking_url(self, label) -> str:
        """The tracking page Sendcloud gives now (also in LabelResult.tracking_url when the
        label is made; tracking_url() asks nothing of Sendcloud)."""
        return str(self.fetch_return(_reference(label)[0]).get("tracking_url") or "")

    def qr_data(self, label) -> str:
        # The drop-off point scans the carrier's barcode: the parcel's tracking number.
        return str(label.tracking_number)

    def fetch_tracking(self, label) -> list[CarrierEvent]:
        """The parcel's history as Sendcloud reports it (the Return's status_history)."""
        details = self.fetch_return(_reference(label)[0])
        number = str(details.get("tracking_number") or label.tracking_number)
        events = []
        for index, item in enumerate(details.get("status_history") or [], 1):
            if not isinstance(item, dict):
                raise PayloadError(f"status_history {index}: not an object")
            raw = str(item.get("parent_status") or "")
            known = STATUS_BY_SLUG.get(raw.strip().lower().replace(" ", "-").replace(":", ""))
            try:
                at = datetime.fromisoformat(str(item.get("carrier_update_timestamp")))
            except ValueError as exc:
                raise PayloadError(f"status_history {index}: bad date") from exc
            events.append(
                CarrierEvent(
                    event_id=f"sendcloud-history-{item.get('parcel_status_history_id') or index}",
                    tracking_number=number,
                    raw_status=raw,
                    status=known.ours if known else "",
                    occurred_at=at,
                    description=str(item.get("carrier_message") or ""),
                )
            )
        return events

    # --- webhook -------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers) -> None:
        secret = self.webhook_secret()
        if not secret:
            raise SignatureError("no secret is configured")
        received = (headers.get(SIGNATURE_HEADER) or "").strip().lower()
        if not received:
            raise SignatureError(f"no {SIGNATURE_HEADER} header")
        if not received.isascii() or not hmac.compare_digest(
            webhook_signature(body, secret), received
        ):
            raise SignatureError("the signature does not match")

    def parse_tracking_events(self, payload: bytes) -> list[CarrierEvent]:
        """The event of a parcel_status_changed body; other actions carry none."""
        try:
            data = load_json(payload)
        except ValueError as exc:
            raise PayloadError(str(exc)) from exc
        if not isinstance(data, dict):
            raise PayloadError("expected a webhook object")
        if data.get("action") != WEBHOOK_ACTION:
            return []
        parcel = data.get("parcel")
        status = parcel.get("status") if isinstance(parcel, dict) else None
        if not isinstance(parcel, dict) or not isinstance(status, dict):
            raise PayloadError("parcel_status_changed without a parcel and its status")
        stamp = data.get("carrier_status_change_timestamp") or data.get("timestamp")
        if isinstance(stamp, bool) or not isinstance(stamp, (int, float)):
            raise PayloadError("no timestamp")
        try:
            # Sendcloud's timestamps are Unix milliseconds (its example: 1525271885993).
            occurred_at = datetime.fromtimestamp(stamp / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise PayloadError(f"timestamp out of range: {stamp}") from exc
        number = parcel.get("tracking_number")
        if not isinstance(number, str) or not number:
            raise PayloadError("the parcel has no tracking number")
        status_id = status.get("id")
        return [
            CarrierEvent(
                # Sendcloud gives no event id: the parcel, its status and when it changed
                # name the change (a redelivery of the same webhook has the same).
                event_id=f"{parcel.get('id')}:{status_id}:{int(stamp)}"[:100],
                tracking_number=number,
                raw_status=str(status.get("message") or status_id),
                status=parcel_status(status_id),
                occurred_at=occurred_at,
                description=str(status.get("message") or ""),
            )
        ]


def _reference(label) -> tuple[str, str]:
    """The Sendcloud return id and parcel id a label's carrier_reference keeps."""
    return_id, _, parcel_id = str(label.carrier_reference).partition(":")
    if not return_id.isdigit() or not parcel_id.isdigit():
        raise CarrierError(
            gettext("Label %(number)s has no Sendcloud reference")
            % {"number": label.tracking_number}
        )
    return return_id, parcel_id
