from celery import shared_task
from django.utils import timezone

from ops.models import Heartbeat

BEAT = "beat"


@shared_task
def beat_heartbeat() -> None:
    """Beat schedules this every minute and a worker runs it: a recent row says both are alive
    (the health check's "beat" line reads it)."""
    Heartbeat.objects.update_or_create(name=BEAT, defaults={"beat_at": timezone.now()})
