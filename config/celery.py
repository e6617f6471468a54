"""The Celery application: configuration comes from Django settings (CELERY_* names)."""

import os

import structlog
from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def bind_task_id(task_id=None, **kwargs):
    """A task's log lines carry its id as their request_id (the web's lines carry the request's:
    config/middleware.py)."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=task_id)
