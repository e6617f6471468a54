"""Reads of return labels: the live one, its file name and PDF, where the parcel is in words."""

from django.db.models import Case, When
from django.utils.translation import gettext

from returns.carriers import UnknownCarrierError, get_carrier
from returns.models import Return
from returns.models.labels import (
    LabelAttempt,
    LabelAttemptStatus,
    LabelStatus,
    ParcelStatus,
    ReturnLabel,
)

PDF_CONTENT_TYPE = "application/pdf"


def live_label(ret: Return, *, with_pdf: bool = False) -> ReturnLabel | None:
    """The return's label that can be used (created, not cancelled), or None."""
    labels = ReturnLabel.objects.filter(ret_id=ret.pk, status=LabelStatus.CREATED)
    if not with_pdf:
        labels = labels.defer("pdf")
    return labels.first()


def carrier_name(code: str) -> str:
    """A carrier's name for people; its code when settings no longer name it."""
    try:
        return get_carrier(code).name
    except UnknownCarrierError:
        return code


def tracking_url(code: str, number: str) -> str:
    """The carrier's public tracking page of parcel `number`, or "" (Carrier.tracking_url)."""
    try:
        return get_carrier(code).tracking_url(number)
    except UnknownCarrierError:
        return ""


def latest_label_attempt(ret_id: int) -> LabelAttempt | None:
    """The return's pending request of a label (at most one), else its latest, or None."""
    pending_first = Case(When(status=LabelAttemptStatus.PENDING, then=0), default=1)
    return (
        LabelAttempt.objects.filter(ret_id=ret_id)
        .order_by(pending_first, "-started_at", "-id")
        .first()
    )


def label_filename(label: ReturnLabel) -> str:
    return f"return-label-{label.ret.rma_number}.pdf"


def label_attachment(ret: Return) -> tuple[str, bytes, str] | None:
    """(filename, PDF, content type) of the return's live label, for an email; None without."""
    label = live_label(ret, with_pdf=True)
    if label is None:
        return None
    return label_filename(label), bytes(label.pdf), PDF_CONTENT_TYPE


def downloadable_label(ret: Return) -> ReturnLabel | None:
    """The label the customer or staff may download: the live one only."""
    return live_label(ret, with_pdf=True)


def delivery_status(ret: Return, label: ReturnLabel | None = None) -> str:
    """Where the parcel is, in words: "no label" for returns dropped in store or without one."""
    if ret.delivery_option == Return.DeliveryOption.IN_STORE:
        return gettext("no label")
    if label is None:
        label = (
            ReturnLabel.objects.filter(ret_id=ret.pk)
            .defer("pdf")
            .order_by("-created_at", "-id")
            .first()
        )
    if label is None:
        return gettext("no label")
    if label.status == LabelStatus.CANCELLED:
        return gettext("label cancelled")
    if not label.parcel_status:
        return gettext("label created, parcel not scanned yet")
    return str(ParcelStatus(label.parcel_status).label)
