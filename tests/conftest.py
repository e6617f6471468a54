"""The shared fixtures (tests/fixtures/, loaded here once), and the rule that a skipped test
fails in CI.

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

pytest_plugins = [
    "tests.fixtures.web",
    "tests.fixtures.shop",
    "tests.fixtures.returns",
    "tests.fixtures.notifications",
    "tests.fixtures.concurrency",
    "tests.fixtures.backoffice",
    "tests.fixtures.api",
    "tests.fixtures.after_commit",
    "tests.fixtures.stripe",
]


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
