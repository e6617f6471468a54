"""The carrier interface. A carrier makes labels, cancels them and reads its tracking events.

To plug another carrier in: subclass Carrier, implement the three methods, and name the class in
settings.RETURN_CARRIERS (e.g. {"acme": {"BACKEND": "acme_returns.AcmeCarrier",
"OPTIONS": {"api_key": ...}}}). The services (returns/services/labels.py and tracking.py) do
the rest: rows, events, emails and the return's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from django.conf import settings

from returns.carriers import signing
from shop.limits import datetime_out_of_range, unsafe_text


class CarrierError(Exception):
    """The carrier refused or could not be reached; the message says why."""


class TrackingPayloadError(ValueError):
    """A tracking payload (webhook body or file) that cannot be read."""


# The longest of each text a carrier sends that we keep (the columns of returns.models.labels:
# TrackingEvent and ReturnLabel). Longer is refused, not cut: an id cut short could match
# another event's or parcel's.
MAX_LENGTHS = {"event_id": 100, "tracking_number": 64}
# What we show of the free texts (the rest is cut).
SHOWN_LENGTHS = {"raw_status": 60, "location": 200, "description": 255}
# Events in one webhook body (returns/webhooks.py): more is refused as a whole. Files
# (manage.py tracking_import) have no such limit.
MAX_EVENTS_PER_PAYLOAD = 1000


@dataclass(frozen=True)
class LabelResult:
    tracking_number: str
    pdf: bytes
    # The carrier's own id of the shipment, when it needs one to cancel it.
    carrier_reference: str = ""
    # The carrier's tracking page of the parcel, when its API gives one ("" otherwise: see
    # Carrier.tracking_url).
    tracking_url: str = ""


@dataclass(frozen=True)
class CarrierEvent:
    """One tracking event as the carrier reported it, with our normalised status.

    `status` is a returns.models.ParcelStatus value, or "" when the carrier's status has no
    meaning for us (recorded, nothing else).
    """

    event_id: str
    tracking_number: str
    raw_status: str
    status: str
    occurred_at: datetime
    location: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        """Every carrier's events are checked here, whoever parsed them: texts we can store,
        ids no longer than their column, a date every database and time zone can hold.
        Raises TrackingPayloadError."""
        for name in (*MAX_LENGTHS, *SHOWN_LENGTHS):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TrackingPayloadError(f"{name}: not a text")
            why = unsafe_text(value)
            if why:
                raise TrackingPayloadError(f"{name}: contains {why}")
        for name, longest in MAX_LENGTHS.items():
            if len(getattr(self, name)) > longest:
                raise TrackingPayloadError(f"{name}: longer than {longest} characters")
        for name, longest in SHOWN_LENGTHS.items():
            object.__setattr__(self, name, getattr(self, name)[:longest])
        if not isinstance(self.occurred_at, datetime) or self.occurred_at.tzinfo is None:
            raise TrackingPayloadError("occurred_at: not a date and time with its time zone")
        if datetime_out_of_range(self.occurred_at):
            raise TrackingPayloadError(
                f"occurred_at: out of range ({self.occurred_at.isoformat()})"
            )


class Carrier:
    """Base class of carriers. `code` is the key under which settings.RETURN_CARRIERS names it."""

    name = "carrier"
    # The carrier's public tracking page, "{number}" standing for the tracking number; the
    # OPTIONS' "tracking_url" overrides it. Blank: the carrier has none (the number is shown
    # without a link).
    tracking_url_template = ""

    def __init__(self, code: str, **options):
        self.code = code
        self.options = options

    def tracking_url(self, number: str) -> str:
        """Where anyone follows parcel `number` at the carrier's; "" when it has no such page."""
        template = str(self.options.get("tracking_url") or self.tracking_url_template)
        return template.replace("{number}", quote(number, safe="")) if template else ""

    def drop_off_qr_svg(self, label) -> bytes:
        """The QR code the customer shows at a drop-off point instead of a printed label (an
        SVG image), drawn here with what `qr_data` says it holds; a carrier whose API gives its
        own QR image overrides this."""
        from returns.carriers.pdf import qr_svg  # reportlab, only where a drawing is made

        return qr_svg(self.qr_data(label))

    def create_label(self, ret, *, method=None) -> LabelResult:
        """Make the label of return `ret` (shipped with ShippingMethod `method`, or None).

        Raises CarrierError when the carrier refuses or cannot be reached.
        """
        raise NotImplementedError

    def cancel_label(self, label) -> None:
        """Void `label` (a ReturnLabel) at the carrier. Raises CarrierError when it refuses."""
        raise NotImplementedError

    def fetch_label_pdf(self, label) -> bytes:
        """The label's PDF as the carrier has it now (a label fetched again later). By default
        the one made with it, kept on the ReturnLabel. Raises CarrierError."""
        return bytes(label.pdf)

    def qr_data(self, label) -> str:
        """What the QR code a customer shows at a drop-off point encodes: by default what the
        printed label's QR code holds (returns/carriers/offline.py: RMA and tracking number)."""
        return drop_off_qr_data(label.ret.rma_number, label.tracking_number)

    def fetch_tracking(self, label) -> list[CarrierEvent]:
        """The parcel's events, asked of the carrier (a carrier without a tracking API: none,
        its events come by webhook or file). Raises CarrierError."""
        return []

    def configuration_problems(self) -> list[str]:
        """What the carrier's settings lack for it to work (returns.E004 lists them in
        production); none by default."""
        return []

    def parse_tracking_events(self, payload: bytes) -> list[CarrierEvent]:
        """The events of a webhook body. Raises TrackingPayloadError when it cannot be read."""
        raise NotImplementedError

    def parse_tracking_file(self, data: bytes, *, filename: str = "") -> list[CarrierEvent]:
        """The events of a file the carrier sent (`manage.py tracking_import`); by default the
        same format as the webhook's."""
        return self.parse_tracking_events(data)

    def webhook_secret(self) -> str:
        """The shared secret the carrier signs its webhooks with ("" = refuse every request)."""
        return settings.CARRIER_WEBHOOK_SECRETS.get(self.code) or settings.CARRIER_WEBHOOK_SECRET

    def verify_webhook(self, body: bytes, headers) -> None:
        """Accept a webhook request only when signed by this carrier, recently: by default the
        timestamped HMAC of returns/carriers/signing.py under `webhook_secret()`, within
        settings.CARRIER_WEBHOOK_TOLERANCE_SECONDS. Raises signing.SignatureError saying why
        not. A carrier that signs another way overrides it (and must still bind a timestamp)."""
        signing.verify(
            body,
            self.webhook_secret(),
            headers.get(signing.SIGNATURE_HEADER, ""),
            tolerance=settings.CARRIER_WEBHOOK_TOLERANCE_SECONDS,
        )


def drop_off_qr_data(rma_number: str, tracking_number: str) -> str:
    """What our QR codes hold, on the PDF label and the drop-off page alike."""
    return f"{rma_number} {tracking_number}"
