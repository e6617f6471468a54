"""The environment turns Sendcloud on (config/settings.py), as the README's steps say; in
production, Sendcloud named without its secret key is refused at start."""

import json

from tests.shop.test_settings import _manage

ENVIRONMENT = {
    "SENDCLOUD_PUBLIC_KEY": "public-123",
    "SENDCLOUD_SECRET_KEY": "secret-456",
    "SENDCLOUD_RETURN_ADDRESS": json.dumps(
        {
            "name": "Boutique Demo",
            "address_line_1": "Rue du Dépôt",
            "house_number": "4",
            "postal_code": "69007",
            "city": "Lyon",
            "country_code": "FR",
        }
    ),
    "SENDCLOUD_SHIPPING_OPTIONS": "FR=colissimo:home/return,*=dpd:return/return",
    "SENDCLOUD_PARCEL_WEIGHT_KG": "0.8",
}
PRINT_CARRIERS = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.RETURN_CARRIERS, sort_keys=True))"
)


def carriers_printed(output: str) -> dict:
    """The settings' carriers, the last line of the shell's output (Django 5.2's shell first
    says what it imported)."""
    return json.loads(output.strip().splitlines()[-1])


def test_the_environment_names_sendcloud_with_its_options():
    # when
    result = _manage("shell", "-c", PRINT_CARRIERS, env=ENVIRONMENT)
    # then
    assert result.returncode == 0, result.stderr
    carriers = carriers_printed(result.stdout)
    assert carriers["offline"] == "returns.carriers.offline.OfflineCarrier"
    assert carriers["sendcloud"] == {
        "BACKEND": "returns.carriers.sendcloud.SendcloudCarrier",
        "OPTIONS": {
            "public_key": "public-123",
            "secret_key": "secret-456",
            "webhook_secret": "",
            "base_url": "https://panel.sendcloud.sc",
            "return_address": json.loads(ENVIRONMENT["SENDCLOUD_RETURN_ADDRESS"]),
            "shipping_options": {"FR": "colissimo:home/return", "*": "dpd:return/return"},
            "parcel_weight_kg": "0.8",
        },
    }


def test_without_its_public_key_there_is_no_sendcloud():
    # when
    result = _manage("shell", "-c", PRINT_CARRIERS, env={"SENDCLOUD_SECRET_KEY": "secret"})
    # then
    assert carriers_printed(result.stdout) == {"offline": "returns.carriers.offline.OfflineCarrier"}


def test_production_refuses_sendcloud_without_its_secret_key(tmp_path):
    # given: production, every other secret set
    production = {
        **ENVIRONMENT,
        "SENDCLOUD_SECRET_KEY": "",
        "DEBUG": "false",
        "SECRET_KEY": "x7!k2p9v$w4q8z1m6n3b5c0d-production-secret-key-long-enough-9f8e7d",
        "ALLOWED_HOSTS": "returns.shop.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "CARRIER_WEBHOOK_SECRET": "a-long-random-carrier-webhook-secret",
        "VAR_DIR": str(tmp_path),
    }
    # when
    result = _manage("check", env=production)
    # then
    assert result.returncode != 0
    assert "returns.E001" in result.stderr
    assert "carrier 'sendcloud' has no webhook secret" in result.stderr
    assert "returns.E004" in result.stderr
    assert "SENDCLOUD_PUBLIC_KEY and SENDCLOUD_SECRET_KEY must both be set" in result.stderr
