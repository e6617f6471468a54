"""Carriers of return parcels: one interface (base.Carrier), a registry reading
settings.RETURN_CARRIERS, and the built-in offline carrier."""

from returns.carriers.base import (
    Carrier,
    CarrierError,
    CarrierEvent,
    LabelResult,
    TrackingPayloadError,
)
from returns.carriers.registry import UnknownCarrierError, carrier_choices, get_carrier

__all__ = [
    "Carrier",
    "CarrierError",
    "CarrierEvent",
    "LabelResult",
    "TrackingPayloadError",
    "UnknownCarrierError",
    "carrier_choices",
    "get_carrier",
]
