"""The headers and cookies of every page: Content-Security-Policy (django-csp, a nonce per
response), Permissions-Policy, and in production HTTPS-only cookies and HSTS."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.web import english_client

ROOT = Path(__file__).resolve().parents[2]


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_pages_carry_a_csp_whose_nonce_is_their_scripts_and_styles(url):
    # when
    response = english_client().get(url)
    # then
    csp = _directives(response["Content-Security-Policy"])
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9+/=]+)'", csp["script-src"][1]).group(1)
    assert csp["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert csp["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    body = response.content.decode()
    tags = re.findall(r"<(script|style)\b([^>]*)>", body)
    inline = [attrs for _tag, attrs in tags if "src=" not in attrs and "json" not in attrs]
    assert inline, "the page has inline scripts or styles"
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline), inline
    assert " onchange=" not in body
    assert " onsubmit=" not in body


@pytest.mark.django_db
def test_two_responses_have_two_nonces():
    first = english_client().get("/login/")["Content-Security-Policy"]
    second = english_client().get("/login/")["Content-Security-Policy"]
    assert first != second


@pytest.mark.django_db
def test_pages_refuse_browser_features_by_permissions_policy():
    response = english_client().get("/login/")
    assert response["Permissions-Policy"] == (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()"
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


PRODUCTION_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="returns.shop.example")
page = client.get("/login/", secure=True)
switch = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, secure=True)
cookies = {**page.cookies, **switch.cookies}
print(json.dumps({
    "cookies": {name: bool(morsel["secure"]) for name, morsel in cookies.items()},
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csp": page["Content-Security-Policy"],
    "hsts": page.get("Strict-Transport-Security"),
    "permissions_policy": page.get("Permissions-Policy"),
    "insecure": Client(HTTP_HOST="returns.shop.example").get("/login/").status_code,
}))
"""


def test_production_cookies_are_secure_and_pages_carry_hsts_and_csp(tmp_path):
    # given: the production environment
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CI")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="k3!v9q-2m#x8w7z1p4b6n0c5d-a-strong-made-up-production-key-4f2e",
        ALLOWED_HOSTS="returns.shop.example",
        CACHE_URL="redis://127.0.0.1:6379/14",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        VAR_DIR=str(tmp_path),
    )
    # when
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["cookies"] == {"csrftoken": True, "django_language": True}
    assert seen["session_cookie_secure"] is True
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "upgrade-insecure-requests" in seen["csp"]
    assert "script-src 'self' 'nonce-" in seen["csp"]
    assert seen["permissions_policy"].startswith("accelerometer=()")
    assert seen["insecure"] == 301  # plain HTTP is redirected to HTTPS
