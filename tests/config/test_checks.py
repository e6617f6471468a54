"""Production refuses to start on an unsafe setting (config/checks.py): each refusal by its id."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

from shop.demo import CUSTOMER_LOGINS, STAFF_LOGIN
from shop.models import User
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3!v9q-2m#x8w7z1p4b6n0c5d-a-strong-made-up-production-key-4f2e"
SHARED_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/14",
    }
}


def _production_errors() -> list[str]:
    return sorted(message.id for message in run_checks(tags=["production"]))


@pytest.fixture
def safe_production(settings, db):
    settings.PRODUCTION = True
    settings.SECRET_KEY = STRONG_KEY
    settings.CACHES = SHARED_CACHE
    return settings


def test_safe_production_passes_every_check(safe_production):
    # given: a strong key, a shared cache, no demo user; when / then
    assert _production_errors() == []


def test_production_refuses_the_repositorys_development_key(safe_production):
    # given
    safe_production.SECRET_KEY = safe_production.DEVELOPMENT_SECRET_KEY
    # when / then
    assert _production_errors() == ["config.E001"]


def test_production_refuses_an_empty_secret_key(safe_production):
    # given
    safe_production.SECRET_KEY = ""
    # when / then
    assert _production_errors() == ["config.E001"]


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    ],
)
def test_production_refuses_a_per_process_cache(safe_production, backend):
    # given
    safe_production.CACHES = {"default": {"BACKEND": backend}}
    # when / then
    assert _production_errors() == ["config.E002"]


def _stripe(**options):
    return {
        "manual": "refunds.providers.manual.ManualProvider",
        "stripe": {"BACKEND": "refunds.providers.stripe.StripeProvider", "OPTIONS": options},
    }


def test_production_refuses_stripe_without_its_webhook_secret(safe_production):
    # given: the secret key only (config/settings.py names "stripe" once it is set)
    safe_production.REFUND_PROVIDERS = _stripe(secret_key="sk_live_x")
    # when
    errors = run_checks(tags=["production"])
    # then
    assert [message.id for message in errors] == ["config.E004"]
    assert "STRIPE_WEBHOOK_SECRET is not set" in errors[0].msg


def test_production_takes_stripe_with_both_keys(safe_production):
    safe_production.REFUND_PROVIDERS = _stripe(secret_key="sk_live_x", webhook_secret="whsec_x")
    assert _production_errors() == []


@pytest.mark.parametrize(
    ("backend", "options", "said"),
    [
        ("storages.backends.s3.S3Storage", {}, "No module named 'storages'"),
        ("django.core.files.storage.FileSystemStorage", {"bucket_name": "x"}, "bucket_name"),
    ],
)
def test_production_refuses_a_media_storage_it_cannot_make(safe_production, backend, options, said):
    # given: S3 named without django-storages installed, or an option the class refuses
    safe_production.STORAGES = {
        **safe_production.STORAGES,
        "default": {"BACKEND": backend, "OPTIONS": options},
    }
    # when
    errors = run_checks(tags=["production"])
    # then
    assert [message.id for message in errors] == ["config.E005"]
    assert said in errors[0].msg


@pytest.mark.parametrize("email", [STAFF_LOGIN[0], CUSTOMER_LOGINS[0][0]])
def test_production_refuses_demo_users(safe_production, email):
    # given: one login of seed_demo, whose password the README publishes
    UserFactory(email=email)
    # when
    errors = run_checks(tags=["production"])
    # then
    assert [message.id for message in errors] == ["config.E003"]
    assert email in errors[0].msg


def test_other_users_are_no_demo_users(safe_production):
    # given
    UserFactory(email="lea@shop.example", is_staff=True)
    # when / then
    assert _production_errors() == []


def test_every_refusal_at_once_outside_production_is_silent(settings, db):
    # given: every unsafe setting, but DEBUG=true (the embedded default)
    settings.PRODUCTION = False
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    UserFactory(email=STAFF_LOGIN[0])
    # when / then
    assert _production_errors() == []


def test_production_refuses_every_unsafe_setting_at_once(settings, db):
    # given
    settings.PRODUCTION = True
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    UserFactory(email=STAFF_LOGIN[0])
    # when / then
    assert _production_errors() == ["config.E001", "config.E002", "config.E003"]
    assert User.objects.filter(email=STAFF_LOGIN[0]).count() == 1


def _production_process(code: list[str], tmp_path) -> subprocess.CompletedProcess:
    """A process started as production with DEBUG=false and nothing else set."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "CACHE_URL", "DATABASE_URL", "CI")
    }
    env.update(
        DEBUG="false",
        VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        ALLOWED_HOSTS="returns.shop.example",
    )
    return subprocess.run(
        [sys.executable, *code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_wsgi_application_refuses_to_load_in_unsafe_production(tmp_path):
    # given: DEBUG=false without SECRET_KEY, as gunicorn would load it (without CACHE_URL the
    # cache is files under VAR_DIR, shared by the machine's processes: not refused)
    # when
    result = _production_process(["-c", "import config.wsgi"], tmp_path)
    # then
    assert result.returncode == 1
    assert "Production refuses to start" in result.stderr
    assert "config.E001" in result.stderr
    assert "config.E002" not in result.stderr


def test_check_deploy_fails_in_unsafe_production(tmp_path):
    # when
    result = _production_process(["manage.py", "check", "--deploy"], tmp_path)
    # then
    assert result.returncode == 1
    assert "config.E001" in result.stderr
