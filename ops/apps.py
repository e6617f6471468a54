from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("Operations")

    def ready(self):
        # The outbox's backlog is one source of the health check; another app adds its own
        # (a webhooks outbox) with ops.health.register_backlog_source in its ready().
        from notifications.models import Notification, NotificationStatus
        from ops import checks, health  # noqa: F401  (checks: registers the system checks)

        health.register_backlog_source(
            "notifications",
            lambda: Notification.objects.filter(status=NotificationStatus.QUEUED).order_by(
                "next_attempt_at"
            ),
            due_field="next_attempt_at",
        )
