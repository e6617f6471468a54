"""Carriers by code, from settings.RETURN_CARRIERS."""

from django.conf import settings
from django.utils.module_loading import import_string

from returns.carriers.base import Carrier


class UnknownCarrierError(LookupError):
    pass


class CarrierConfigurationError(UnknownCarrierError):
    """settings.RETURN_CARRIERS names this carrier but its backend cannot be made (a path that
    does not import, a class that is not a Carrier, options it refuses). To a caller it is a
    carrier we do not have (the webhook answers 404); the system check returns.E002 tells the
    operator at start."""


def get_carrier(code: str) -> Carrier:
    """The carrier named `code` in settings.RETURN_CARRIERS (a new instance: cheap, and settings
    changed by tests are always read afresh)."""
    try:
        config = settings.RETURN_CARRIERS[code]
    except KeyError:
        raise UnknownCarrierError(f"no carrier {code!r} in settings.RETURN_CARRIERS") from None
    if isinstance(config, str):
        path, options = config, dict[str, object]()
    else:
        path, options = config["BACKEND"], dict(config.get("OPTIONS", {}))
    try:
        carrier = import_string(path)(code, **options)
    except (ImportError, TypeError) as exc:
        raise CarrierConfigurationError(f"carrier {code!r} ({path}) cannot be made: {exc}") from exc
    if not isinstance(carrier, Carrier):
        raise CarrierConfigurationError(f"{path} is not a returns.carriers.Carrier")
    return carrier


def carrier_choices() -> list[tuple[str, str]]:
    return [(code, get_carrier(code).name) for code in sorted(settings.RETURN_CARRIERS)]
