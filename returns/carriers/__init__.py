"""Carriers of return parcels: one interface (base.Carrier), a registry reading
settings.RETURN_CARRIERS, and the built-in offline carrier."""

from returns.carriers.base import (
    Carrier,
    CarrierError,
    CarrierEvent,
    LabelResult,
    TrackingPayloadError,
)
from returns.carriers.registry import (
    CarrierConfigurationError,
    UnknownCarrierError,
    carrier_choices,
    get_carrier,
)
from returns.carriers.signing import SignatureError

__all__ = [
    "Carrier",
    "CarrierConfigurationError",
    "CarrierError",
    "CarrierEvent",
    "LabelResult",
    "SignatureError",
    "TrackingPayloadError",
    "UnknownCarrierError",
    "carrier_choices",
    "get_carrier",
]
