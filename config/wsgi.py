import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _refuse_unsafe_production() -> None:
    """gunicorn runs no system check: in production, the WSGI application refuses to load while
    a check at error level fails (config/checks.py), as `runserver` would."""
    from django.conf import settings
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured

    if not settings.PRODUCTION:
        return
    from django.db import connections

    serious = [
        message
        for message in checks.run_checks(include_deployment_checks=True)
        if message.is_serious() and not message.is_silenced()
    ]
    # A check may have opened a connection; under `gunicorn --preload` this runs in the master
    # before the fork, and a connection inherited by two workers would be one socket for both.
    connections.close_all()
    if serious:
        raise ImproperlyConfigured(
            "Production refuses to start:\n" + "\n".join(f"  {message}" for message in serious)
        )


_refuse_unsafe_production()
