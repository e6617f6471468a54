from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register()
def check_visibility_timeout(app_configs, **kwargs):
    """Redis redelivers a task not acknowledged within the visibility timeout; a retry scheduled
    further away than that would be delivered (and attempted) twice."""
    if not settings.CELERY_BROKER_URL.startswith(("redis", "rediss")):
        return []
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    if timeout > settings.NOTIFICATIONS_RETRY_MAX_SECONDS:
        return []
    return [
        Warning(
            f"CELERY_VISIBILITY_TIMEOUT ({timeout} s) must exceed "
            f"NOTIFICATIONS_RETRY_MAX_SECONDS ({settings.NOTIFICATIONS_RETRY_MAX_SECONDS} s)",
            id="notifications.W001",
        )
    ]


@register(Tags.security)
def check_tracking_webhook_secret(app_configs, **kwargs):
    """In production the email provider's tracking webhook must have its secret: without it the
    endpoint refuses every report (notifications/webhooks.py), so bounces are never seen."""
    from notifications.webhooks import TRACKING_VIEWS, sending_provider, webhook_secrets

    provider = sending_provider()
    if provider not in TRACKING_VIEWS:
        return []  # not sending through an Anymail provider: no tracking endpoint at all
    secrets = webhook_secrets()
    if not secrets:
        if settings.DEBUG:
            return []
        return [
            Error(
                f"ANYMAIL_WEBHOOK_SECRET is not set: the {provider} tracking webhook refuses "
                "every report, so bounces and complaints are never recorded",
                hint="Set ANYMAIL_WEBHOOK_SECRET=user:password (long random values) and give "
                f"https://user:password@<host>/anymail/{provider}/tracking/ to the provider.",
                id="notifications.E001",
            )
        ]
    return [
        Warning(
            "an ANYMAIL_WEBHOOK_SECRET is not of the form user:password: no provider can "
            "authenticate with it",
            id="notifications.W002",
        )
        for secret in secrets
        if ":" not in secret
    ]
