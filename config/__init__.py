"""The site package: settings, URLs, the Celery app, WSGI and the back-office admin site. It sits
above every app and may import any of them; no app imports it, but for the back-office pages
that use its paginator."""

# Load the Celery app when Django starts so that @shared_task uses it.
from config.celery import app as celery_app

__all__ = ["celery_app"]
