import os
from pathlib import Path

from celery import shared_task

from shop.throttle import purge_expired


@shared_task
def ping(path: str) -> int:
    """Write the worker's process id to `path`: shows that tasks run in the worker process."""
    Path(path).write_text(str(os.getpid()))
    return os.getpid()


@shared_task
def purge_throttle_counters() -> int:
    """Delete the throttle counters whose window closed (beat, every hour)."""
    return purge_expired()
