"""What a web worker does not import to serve pages (bench/README.md, the PSS paragraph): each
library below is loaded only by what needs it, so a worker serving the portal carries none."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection

from tests.factories import PASSWORD, OrderFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
# Module (or package) -> who loads it, and when.
NOT_IMPORTED = {
    "sentry_sdk": "config/sentry.py, only when SENTRY_DSN is set",
    "reportlab": "returns/carriers/offline.py, at the first label's PDF",
    "PIL": "returns/services/photos.py, at the first photo",
    "prometheus_client": "config.middleware.request_metrics and /metrics, if METRICS_ENABLED",
    # The production checks run in a forked child (config/wsgi.py): drf-spectacular's own
    # check generates the whole schema there, and the demo users' list is read there.
    "drf_spectacular.hooks": "the schema's generation (manage.py spectacular, /api/v1/schema)",
    "shop.demo": "seed_demo and the production check config.E003",
}

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def _production_env(tmp_path) -> dict[str, str]:
    """As bench/__main__.py's servers: DEBUG=false, made-up secrets, the test database."""
    env = {key: value for key, value in os.environ.items() if key not in ("CACHE_URL", "CI")}
    env.update(
        DEBUG="false",
        SECRET_KEY="web-imports-made-up-Kq8#vR2!mZ7pW4xT9nB3cF6hJ1sL5dG0-not-a-real-key",
        ALLOWED_HOSTS="returns.shop.example",
        SITE_URL="https://returns.shop.example",
        DATABASE_URL=_database_url(),
        CARRIER_WEBHOOK_SECRET="web-imports-made-up-carrier-secret",
        VAR_DIR=str(tmp_path),
        LOG_LEVEL="WARNING",
    )
    env.pop("SENTRY_DSN", None)
    env.pop("METRICS_ENABLED", None)
    return env


def test_a_web_worker_serving_the_portal_imports_none_of_the_lazy_libraries(tmp_path):
    # given: a customer with an order, whose password production's hasher can check
    user = UserFactory()
    user.password = Argon2PasswordHasher().encode(PASSWORD, "webimportssalt")
    user.save(update_fields=["password"])
    order = OrderFactory(customer__user=user, customer__email=user.email, email=user.email)
    # when: a fresh process loads config.wsgi, logs in and serves My orders and the order
    result = subprocess.run(
        [sys.executable, "-m", "tests.config.web_worker", user.email, PASSWORD, order.number],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    # then: the pages answered, and none of the libraries is in the process
    assert result.returncode == 0, result.stderr[-3000:]
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert served["statuses"] == ["200", "302", "200", "200"]
    modules = set(served["modules"])
    loaded = {
        name: why
        for name, why in NOT_IMPORTED.items()
        if name in modules or any(module.startswith(f"{name}.") for module in modules)
    }
    assert loaded == {}
    # The pages themselves did load what they need (the pin is not vacuous).
    assert {"config.urls", "portal.views.orders", "returns.services.photos"} <= modules
