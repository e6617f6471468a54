"""A return's label in one word, for the overview's column and filter: the one answer, in
Python for a row read with its label columns (returns.selectors.backoffice.returns_overview)
and in SQL for the filter."""

from typing import Any

from django.db.models import Exists, OuterRef, Q, TextChoices
from django.utils.translation import gettext_lazy as _

from returns.models import LabelStatus, Return, ReturnLabel


class LabelState(TextChoices):
    CREATED = "created", _("label created")
    # Handed in at the shop: no label is ever made.
    NO_LABEL = "no_label", _("no label")
    CANCELLED = "cancelled", _("label cancelled")
    NOT_YET = "not_yet", _("no label yet")


def label_state(delivery_option: str, *, has_live_label: bool, has_cancelled_label: bool):
    """A live label first (whatever the option says now), then an in-store drop-off, then a
    label that was cancelled and not replaced; otherwise none was made yet."""
    if has_live_label:
        return LabelState.CREATED
    if delivery_option == Return.DeliveryOption.IN_STORE:
        return LabelState.NO_LABEL
    if has_cancelled_label:
        return LabelState.CANCELLED
    return LabelState.NOT_YET


def live_label_exists() -> Exists:
    return Exists(ReturnLabel.objects.filter(ret_id=OuterRef("pk"), status=LabelStatus.CREATED))


def cancelled_label_exists() -> Exists:
    return Exists(ReturnLabel.objects.filter(ret_id=OuterRef("pk"), status=LabelStatus.CANCELLED))


def label_state_condition(value: str) -> Q:
    """label_state as a condition on returns. An unknown value matches everything."""
    live = live_label_exists()
    in_store = Q(delivery_option=Return.DeliveryOption.IN_STORE)
    conditions: dict[str, Any] = {
        LabelState.CREATED: Q(live),
        LabelState.NO_LABEL: ~live & in_store,
        LabelState.CANCELLED: ~live & ~in_store & cancelled_label_exists(),
        LabelState.NOT_YET: ~live & ~in_store & ~cancelled_label_exists(),
    }
    return Q(conditions[value]) if value in conditions else Q()
