"""The returns app's models: a return with its lines and timeline (returns.py), the rules that
shape it (rules.py), and its shipping methods, labels and tracking (labels.py)."""

from returns.models.exchanges import ExchangeReservation, ReservationStatus
from returns.models.labels import (
    LabelAttempt,
    LabelAttemptStatus,
    LabelStatus,
    ParcelStatus,
    ReturnLabel,
    ShippingMethod,
    TrackingEvent,
)
from returns.models.photos import MAX_PHOTOS_PER_LINE, ReturnPhoto
from returns.models.returns import (
    FINAL_STATUSES,
    LIVE_STATUSES,
    STATUS_CUSTOMER_LABELS,
    STATUS_DESCRIPTIONS,
    Return,
    ReturnAction,
    ReturnEvent,
    ReturnLine,
    ReturnReason,
    ReturnStatus,
    TranslatedNameMixin,
    exchange_items_named,
    new_rma_number,
)
from returns.models.rules import FEE_KINDS, STAFF_FEE, FeeLine, ReturnRule, RuleAction, RuleKind

__all__ = [
    "FEE_KINDS",
    "FINAL_STATUSES",
    "LIVE_STATUSES",
    "MAX_PHOTOS_PER_LINE",
    "STAFF_FEE",
    "STATUS_CUSTOMER_LABELS",
    "STATUS_DESCRIPTIONS",
    "ExchangeReservation",
    "FeeLine",
    "LabelAttempt",
    "LabelAttemptStatus",
    "LabelStatus",
    "ParcelStatus",
    "ReservationStatus",
    "Return",
    "ReturnAction",
    "ReturnEvent",
    "ReturnLabel",
    "ReturnLine",
    "ReturnPhoto",
    "ReturnReason",
    "ReturnRule",
    "ReturnStatus",
    "RuleAction",
    "RuleKind",
    "ShippingMethod",
    "TrackingEvent",
    "TranslatedNameMixin",
    "exchange_items_named",
    "new_rma_number",
]
