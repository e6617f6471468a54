from django.conf import settings
from django.core.checks import Warning, register


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
