"""A return's label in one word, for the overview's column and filter: the one answer, in
Python for a row read with its label columns (returns.selectors.backoffice.returns_overview)
and in SQL for the filter."""

from typing import Any

from django.db.models import Exists, OuterRef, Q, TextChoices
from django.utils.translation import gettext_lazy as _

from returns.models import LabelStatus, Return, ReturnLabel, ReturnStatus


class LabelState(TextChoices):
    CREATED = "created", _("label created")
    # Handed in at the shop, or past the parcel stage without one: no label is coming.
    NO_LABEL = "no_label", _("no label")
    CANCELLED = "cancelled", _("label cancelled")
    # Sent back by carrier, still requested or approved: a label may still be made.
    NOT_YET = "not_yet", _("no label yet")
    # A keep-the-item rule refunded it without asking for the parcel (Return.keep_item).
    KEPT = "kept", _("kept: nothing to send back")


# Before the parcel leaves: a return by carrier without a label may still get one.
LABEL_MAY_COME_STATUSES = frozenset({ReturnStatus.REQUESTED, ReturnStatus.APPROVED})


def label_state(
    delivery_option: str,
    status: str,
    *,
    has_live_label: bool,
    has_cancelled_label: bool,
    kept: bool = False,
) -> LabelState:
    """Kept items first (no parcel at all), then a live label (whatever the option says now),
    then an in-store drop-off, then a label that was cancelled and not replaced; without any,
    "not yet" while one may come."""
    if kept:
        return LabelState.KEPT
    if has_live_label:
        return LabelState.CREATED
    if delivery_option == Return.DeliveryOption.IN_STORE:
        return LabelState.NO_LABEL
    if has_cancelled_label:
        return LabelState.CANCELLED
    return LabelState.NOT_YET if status in LABEL_MAY_COME_STATUSES else LabelState.NO_LABEL


def live_label_exists() -> Exists:
    return Exists(ReturnLabel.objects.filter(ret_id=OuterRef("pk"), status=LabelStatus.CREATED))


def cancelled_label_exists() -> Exists:
    return Exists(ReturnLabel.objects.filter(ret_id=OuterRef("pk"), status=LabelStatus.CANCELLED))


def label_state_condition(value: str) -> Q:
    """label_state as a condition on returns. An unknown value matches everything."""
    live = live_label_exists()
    in_store = Q(delivery_option=Return.DeliveryOption.IN_STORE)
    none_made = ~in_store & ~cancelled_label_exists()
    may_come = Q(status__in=LABEL_MAY_COME_STATUSES)
    sent = Q(keep_item=False)
    conditions: dict[str, Any] = {
        LabelState.KEPT: Q(keep_item=True),
        LabelState.CREATED: sent & Q(live),
        LabelState.NO_LABEL: sent & ~live & (in_store | (none_made & ~may_come)),
        LabelState.CANCELLED: sent & ~live & ~in_store & cancelled_label_exists(),
        LabelState.NOT_YET: sent & ~live & none_made & may_come,
    }
    return Q(conditions[value]) if value in conditions else Q()
