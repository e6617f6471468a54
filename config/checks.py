"""Production refuses to start on an unsafe setting.

These are system checks at error level: `manage.py check --deploy`, `runserver`, `migrate` and
every management command that checks see them, and config/wsgi.py runs them when gunicorn (or
any WSGI server) loads the application, which then refuses to start. They say nothing unless
settings.PRODUCTION (DEBUG=false).

| id | refused |
|---|---|
| config.E001 | no SECRET_KEY, or the repository's development key |
| config.E002 | a per-process cache (LocMem, dummy): the processes must share cached figures |
| config.E003 | the demo users of `seed_demo` (their passwords are in the README) |
| config.E004 | a payment provider of REFUND_PROVIDERS lacking its settings (Stripe's keys) |
| config.E005 | a MEDIA_STORAGE that cannot be made (not installed, or options it refuses) |

Checks of other parts live beside them (e.g. notifications.W001); a new production refusal
goes here, in the list below, with the next id.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

# Checks of this module carry this tag: `manage.py check --tag production` runs only them.
PRODUCTION_TAG = "production"

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def check_secret_key(app_configs=None, **kwargs) -> list[Error]:
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # SECRET_KEY="" in the environment: Django refuses to read it
        key = ""
    if key and key != settings.DEVELOPMENT_SECRET_KEY:
        return []
    return [
        Error(
            "SECRET_KEY is not set: production would sign sessions, password resets and CSRF "
            "tokens with the development key published in the repository.",
            hint='Set SECRET_KEY to a long random value (python -c "import secrets; '
            'print(secrets.token_urlsafe(50))").',
            id="config.E001",
        )
    ]


def check_shared_cache(app_configs=None, **kwargs) -> list[Error]:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        Error(
            f"The default cache is per process ({backend}): each web process would keep its "
            "own copy of the cached figures and lists, and show stale ones after a change.",
            hint="Set CACHE_URL to a shared cache, e.g. redis://host:6379/1 (or leave it unset: "
            "files under VAR_DIR, shared by the processes of one machine).",
            id="config.E002",
        )
    ]


def check_no_demo_users(app_configs=None, **kwargs) -> list[Error]:
    from shop.demo import demo_user_emails
    from shop.models import User

    try:
        present = sorted(
            User.objects.filter(email__in=demo_user_emails()).values_list("email", flat=True)
        )
    except DatabaseError:  # not migrated yet (check before the first migrate): no users
        return []
    if not present:
        return []
    return [
        Error(
            f"Demo users exist in this database ({', '.join(present)}): their passwords are "
            "published in the README.",
            hint="Delete them (or run production on a database seed_demo never touched).",
            id="config.E003",
        )
    ]


def check_refund_providers(app_configs=None, **kwargs) -> list[Error]:
    from refunds.providers import get_provider, provider_codes

    errors = []
    for code in provider_codes():
        problems = get_provider(code).configuration_problems()
        if problems:
            errors.append(
                Error(
                    f"The payment provider {code!r} cannot refund: {'; '.join(problems)}.",
                    hint='Set its settings (README, "Stripe"), or unset STRIPE_SECRET_KEY.',
                    id="config.E004",
                )
            )
    return errors


def check_media_storage(app_configs=None, **kwargs) -> list[Error]:
    """The photos' and logos' storage is made now rather than at a customer's first upload."""
    from django.core.files.storage import InvalidStorageError, storages

    backend = settings.STORAGES["default"]["BACKEND"]
    try:
        storages.create_storage(settings.STORAGES["default"])
    except (ImportError, InvalidStorageError, TypeError, ValueError, ImproperlyConfigured) as error:
        return [
            Error(
                f"The media storage {backend!r} cannot be made: {error}.",
                hint='Install its package or correct MEDIA_STORAGE_OPTIONS (README, "Photos '
                'and logos on S3"), or unset MEDIA_STORAGE for the disk under MEDIA_ROOT.',
                id="config.E005",
            )
        ]
    return []


# The production refusals, in id order. Another part's refusal (e.g. an open webhook) is
# registered here too, so that `check --tag production` and the WSGI start see it.
PRODUCTION_CHECKS = [
    check_secret_key,
    check_shared_cache,
    check_no_demo_users,
    check_refund_providers,
    check_media_storage,
    # Webhooks without their secret are refused by their apps: notifications.E001, returns.E001.
]


@register(PRODUCTION_TAG, Tags.security)
def check_production(app_configs=None, **kwargs) -> list[Error]:
    """Every production refusal; nothing outside production (settings.PRODUCTION false)."""
    if not settings.PRODUCTION:
        return []
    errors: list[Error] = []
    for check in PRODUCTION_CHECKS:
        errors.extend(check(app_configs, **kwargs))
    return errors
