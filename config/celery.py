"""The Celery application: configuration comes from Django settings (CELERY_* names)."""

import os

import structlog
from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_ready
from django.db import close_old_connections

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


@task_prerun.connect
@task_postrun.connect
def reuse_database_connection(sender=None, **kwargs):
    """Around each task, close the connection only if it is broken or older than CONN_MAX_AGE
    (Django's own rule for a request), so one session serves many tasks; the fix-up's close
    after every task is off (CELERY_DB_REUSE_MAX). A task run eagerly, in the caller's process
    and transaction, leaves the caller's connection alone (as the fix-up does)."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    close_old_connections()


@worker_ready.connect
def say_connections_are_reused(**kwargs):
    from django.conf import settings

    age = settings.DATABASES["default"].get("CONN_MAX_AGE", 0)
    structlog.get_logger("config.celery").info("worker.database_connection", reused_for_seconds=age)
