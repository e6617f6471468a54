import os
from pathlib import Path

from celery import shared_task


@shared_task
def ping(path: str) -> int:
    """Write the worker's process id to `path`: shows that tasks run in the worker process."""
    Path(path).write_text(str(os.getpid()))
    return os.getpid()
