"""The one settings module: embedded default without variables, production with them."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_BACKEND", "DEBUG", "CI")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_with_production_variables_prints_no_warning(tmp_path):
    # given: the production variables of the README
    production = {
        "DEBUG": "false",
        "SECRET_KEY": "x7!k2p9v$w4q8z1m6n3b5c0d-production-secret-key-long-enough-9f8e7d",
        "ALLOWED_HOSTS": "returns.shop.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
        "CACHE_URL": "redis://127.0.0.1:6379/14",
        "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
        "ANYMAIL_MAILGUN_API_KEY": "key-test",
        "ANYMAIL_WEBHOOK_SECRET": "hook-user:a-long-random-webhook-password",
        "CARRIER_WEBHOOK_SECRET": "a-long-random-carrier-webhook-secret",
        "VAR_DIR": str(tmp_path),
    }
    # when
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=production)
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_embedded_default_is_sqlite_in_wal_with_immediate_transactions():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return  # this run is on PostgreSQL; the production shape is checked above
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] == 20
