"""Shared fixtures, and the rule that a skipped test fails in CI.

Tests that need a service carry a marker (postgres, redis, browser) and skip with a reason on a
laptop that lacks it. With CI set (as .ci/run does), a skip is turned into a failure, because
there the service must be up.
"""

import os
import shutil

import pytest
from django.conf import settings

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
ON_REDIS = settings.CELERY_BROKER_URL.startswith("redis")
HAS_CHROMIUM = shutil.which("chromium") is not None or os.path.exists("/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")
            )
        if "redis" in item.keywords and not ON_REDIS:
            item.add_marker(
                pytest.mark.skip(reason="needs Redis: run with CELERY_BROKER_URL=redis://...")
            )
        if "browser" in item.keywords and not HAS_CHROMIUM:
            item.add_marker(pytest.mark.skip(reason="needs Chromium at /usr/bin/chromium"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every service must be up: {report.longrepr}"


@pytest.fixture(autouse=True)
def _email_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _empty_cache():
    # Throttle counters and cached charts must not leak from one test into the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_unless_asked(settings):
    # Tests read messages in English unless they ask for French (Accept-Language, a customer's
    # language, translation.override): the shop's default language is French.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The factories hash a password per user; the real hasher costs about a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
