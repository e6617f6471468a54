from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def check_metrics_token(app_configs, **kwargs):
    """Metrics turned on in production need their token: without it /metrics stays a 404, and
    the operator who turned them on would see nothing (never an open endpoint)."""
    if settings.DEBUG or not settings.METRICS_ENABLED or settings.METRICS_TOKEN:
        return []
    return [
        Error(
            "METRICS_ENABLED is on but METRICS_TOKEN is not set: /metrics answers 404",
            hint="Set METRICS_TOKEN to a long random value and give it to Prometheus as its "
            "bearer token (authorization: credentials).",
            id="ops.E001",
        )
    ]
