"""Errors reported to Sentry when SENTRY_DSN is set (and sentry-sdk not even started when it is
not): the Django integration (unhandled exceptions of requests), the Celery one (of tasks), and
the default logging one (records at ERROR). No personal data is sent (send_default_pii off)."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
    )
