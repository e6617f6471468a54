"""Reads of return labels: the live one, its file name and PDF, where the parcel is in words."""

from collections.abc import Hashable
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Case, QuerySet, When
from django.utils.translation import gettext_lazy as _

from returns.carriers import UnknownCarrierError, get_carrier
from returns.models import Return, ReturnStatus
from returns.models.labels import (
    LabelAttempt,
    LabelAttemptStatus,
    LabelStatus,
    ParcelStatus,
    ReturnLabel,
)
from shop.compiled import CompiledModels, Parameter, db_value

PDF_CONTENT_TYPE = "application/pdf"


def _live_labels(with_pdf: Hashable, stand_ins: dict) -> QuerySet[ReturnLabel]:
    labels = ReturnLabel.objects.filter(ret_id=stand_ins["ret_id"], status=LabelStatus.CREATED)
    if not with_pdf:
        labels = labels.defer("pdf")
    return labels[:1]  # the newest (the model's ordering), as first() reads it


# Compiled to SQL once per connection (shop.compiled.CompiledModels), one shape with the PDF
# and one without: the portal's label pages read it on every request, and Django compiled it
# each time for more than the database's answer.
_LIVE_LABEL = CompiledModels(
    "returns.live_label",
    _live_labels,
    {"ret_id": Parameter(-7_340_033, db_value(ReturnLabel, "ret"))},
)


def live_label(ret: Return, *, with_pdf: bool = False) -> ReturnLabel | None:
    """The return's label that can be used (created, not cancelled), or None."""
    found = _LIVE_LABEL.rows(with_pdf, {"ret_id": ret.pk})
    return found[0] if found else None


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


class ParcelState(StrEnum):
    """Where a return's parcel stands, as its latest label and label request tell it."""

    IN_STORE = "in_store"  # handed in at a shop: no label
    NO_LABEL = "no_label"  # none was made
    ON_APPROVAL = "on_approval"  # requested, sent back with a label: it is made on approval
    LABEL_PENDING = "label_pending"  # approved: the label is being asked of the carrier
    LABEL_FAILED = "label_failed"  # the carrier could not make it (staff may ask again)
    LABEL_CANCELLED = "label_cancelled"  # the latest label was cancelled, no live one
    NOT_SCANNED = "not_scanned"  # a live label, the parcel not scanned yet
    SCANNED = "scanned"  # the carrier reported the parcel (ParcelStatus)


@dataclass(frozen=True)
class ParcelStatement:
    """What the back-office and the portal say about the parcel, from one answer."""

    state: ParcelState
    label: ReturnLabel | None = None  # the latest label, live first

    @property
    def summary(self) -> str:
        """A few words, in the active language: "label cancelled", "in transit"."""
        if self.state == ParcelState.SCANNED and self.label is not None:
            return str(ParcelStatus(self.label.parcel_status).label)
        return str(_SUMMARIES[self.state])

    @property
    def has_live_label(self) -> bool:
        return self.state in (ParcelState.NOT_SCANNED, ParcelState.SCANNED)


_SUMMARIES = {
    ParcelState.IN_STORE: _("no label"),
    ParcelState.NO_LABEL: _("no label"),
    ParcelState.ON_APPROVAL: _("the label is made when the return is approved"),
    ParcelState.LABEL_PENDING: _("label being made"),
    ParcelState.LABEL_FAILED: _("the carrier could not make the label"),
    ParcelState.LABEL_CANCELLED: _("label cancelled"),
    ParcelState.NOT_SCANNED: _("label created, parcel not scanned yet"),
}


def parcel_statement(
    ret: Return, label: ReturnLabel | None, attempt: LabelAttempt | None = None
) -> ParcelStatement:
    """What to say about the parcel of `ret` (the one answer of the back-office's parcel panel
    and the portal): `label` is its latest label, live first (None: none); `attempt` its latest
    label request, read where the return awaits a label (approved, sent with one)."""
    if ret.delivery_option == Return.DeliveryOption.IN_STORE:
        return ParcelStatement(ParcelState.IN_STORE)
    if label is not None and label.status == LabelStatus.CREATED:
        state = ParcelState.SCANNED if label.parcel_status else ParcelState.NOT_SCANNED
        return ParcelStatement(state, label)
    failed = attempt is not None and attempt.status == LabelAttemptStatus.FAILED
    if failed and ret.status == ReturnStatus.APPROVED:  # the latest request failed: retry
        return ParcelStatement(ParcelState.LABEL_FAILED, label)
    if label is not None:
        return ParcelStatement(ParcelState.LABEL_CANCELLED, label)
    if ret.status == ReturnStatus.APPROVED:
        return ParcelStatement(ParcelState.LABEL_PENDING)
    if ret.status == ReturnStatus.REQUESTED:
        return ParcelStatement(ParcelState.ON_APPROVAL)
    return ParcelStatement(ParcelState.NO_LABEL)


# Compiled once per connection (shop.compiled.CompiledModels): Django compiled its columns, the
# PDF deferred, on every page that shows a label. `live_first` orders the live label first.
_LABELS = CompiledModels(
    "returns.labels.latest",
    lambda _shape, stand_ins: (
        ReturnLabel.objects.defer("pdf")
        .filter(ret_id=stand_ins["ret_id"])
        .annotate(live_first=Case(When(status=LabelStatus.CREATED, then=0), default=1))
        .order_by("live_first", "-created_at", "-id")
    ),
    {"ret_id": Parameter(-7_340_033, db_value(ReturnLabel, "ret"))},
)


def latest_label(ret: Return) -> ReturnLabel | None:
    """The return's live label, else its latest one (cancelled), without the PDF."""
    labels = _LABELS.rows(None, {"ret_id": ret.pk})
    if not labels:
        return None
    label = labels[0]  # a return has a label or a few: reading them all costs no more
    ReturnLabel.ret.field.set_cached_value(label, ret)  # as ret.labels would
    return label


def awaits_label(ret: Return, label: ReturnLabel | None) -> bool:
    """Whether the return awaits a label (approved, sent with one, none live): only then does
    its latest request tell anything (pending or failed)."""
    return (
        ret.status == ReturnStatus.APPROVED
        and ret.delivery_option == Return.DeliveryOption.LABEL
        and (label is None or label.status != LabelStatus.CREATED)
    )


def read_parcel_statement(ret: Return) -> ParcelStatement:
    """parcel_statement read from the database: the latest label, then the latest request
    only where the return awaits a label."""
    label = latest_label(ret)
    attempt = latest_label_attempt(ret.pk) if awaits_label(ret, label) else None
    return parcel_statement(ret, label, attempt)


def delivery_status(ret: Return, label: ReturnLabel | None = None) -> str:
    """Where the parcel is, in words (parcel_statement's summary); `label`: its latest label,
    when already read."""
    if label is None:
        return read_parcel_statement(ret).summary
    return parcel_statement(ret, label).summary
