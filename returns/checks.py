"""System checks of the returns app: the carriers' webhooks (returns/webhooks.py)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def check_carrier_webhooks(app_configs, **kwargs):
    """Every carrier of settings.RETURN_CARRIERS can be made (anywhere), and in production has
    the secret its tracking webhook is signed with: without one the webhook refuses every
    event, so parcels never move by themselves. The replay tolerance must be a positive
    number of seconds. A carrier that needs more (Sendcloud: its keys, the return address, a
    shipping option) says what it lacks (returns.E004, in production)."""
    from returns.carriers import CarrierConfigurationError, get_carrier

    errors = []
    for code in sorted(settings.RETURN_CARRIERS):
        try:
            carrier = get_carrier(code)
        except CarrierConfigurationError as exc:
            errors.append(Error(str(exc), hint="Fix settings.RETURN_CARRIERS.", id="returns.E002"))
            continue
        if not settings.DEBUG and not carrier.webhook_secret():
            errors.append(
                Error(
                    f"carrier {code!r} has no webhook secret: its tracking webhook refuses "
                    "every event",
                    hint=f"Set CARRIER_WEBHOOK_SECRET, or CARRIER_WEBHOOK_SECRETS={code}=..., "
                    "to a long random value shared with the carrier.",
                    id="returns.E001",
                )
            )
        if settings.PRODUCTION:
            errors.extend(
                Error(
                    f"carrier {code!r} is not fully configured: {problem}",
                    hint="See the README (Sendcloud) for the environment it needs.",
                    id="returns.E004",
                )
                for problem in carrier.configuration_problems()
            )
    if settings.CARRIER_WEBHOOK_TOLERANCE_SECONDS <= 0:
        errors.append(
            Error(
                "CARRIER_WEBHOOK_TOLERANCE_SECONDS must be a positive number of seconds "
                f"(it is {settings.CARRIER_WEBHOOK_TOLERANCE_SECONDS})",
                id="returns.E003",
            )
        )
    return errors
