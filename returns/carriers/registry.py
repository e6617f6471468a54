"""Carriers by code, from settings.RETURN_CARRIERS."""

from django.conf import settings
from django.utils.module_loading import import_string

from returns.carriers.base import Carrier


class UnknownCarrierError(LookupError):
    pass


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
    carrier = import_string(path)(code, **options)
    if not isinstance(carrier, Carrier):
        raise TypeError(f"{path} is not a returns.carriers.Carrier")
    return carrier


def carrier_choices() -> list[tuple[str, str]]:
    return [(code, get_carrier(code).name) for code in sorted(settings.RETURN_CARRIERS)]
