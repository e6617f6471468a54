"""Errors reported to Sentry when SENTRY_DSN is set (and sentry-sdk not even started when it is
not): the Django integration (unhandled exceptions of requests), the Celery one (of tasks), and
the default logging one (records at ERROR). No personal data is sent (send_default_pii off).

sentry-sdk is imported only when it is started: imported, it costs each web worker about 18 MB
for nothing when no DSN is set (issue 17's memory goal)."""

import sys


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
    )


def tag_request(request_id: str) -> None:
    """Tags what Sentry reports during this request with its id; nothing when Sentry is off
    (never started, so never imported: see the module's docstring)."""
    sentry_sdk = sys.modules.get("sentry_sdk")
    if sentry_sdk is not None and sentry_sdk.is_initialized():
        sentry_sdk.set_tag("request_id", request_id)
