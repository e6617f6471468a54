"""Production refuses to start while a carrier's tracking webhook has no secret
(returns.E001); a carrier that cannot be made is an error anywhere (returns.E002)."""

from django.core.checks import run_checks


def check_ids() -> list[str]:
    return sorted(message.id for message in run_checks() if message.id.startswith("returns."))


def test_production_without_a_carrier_secret_is_an_error(settings):
    # given
    settings.DEBUG = False
    settings.CARRIER_WEBHOOK_SECRET = ""
    settings.CARRIER_WEBHOOK_SECRETS = {}
    # when
    messages = [m for m in run_checks() if m.id == "returns.E001"]
    # then
    assert [m.msg for m in messages] == [
        "carrier 'offline' has no webhook secret: its tracking webhook refuses every event"
    ]
    assert messages[0].is_serious()


def test_each_carrier_needs_its_secret_shared_or_its_own(settings):
    # given
    settings.DEBUG = False
    settings.RETURN_CARRIERS = {
        "offline": "returns.carriers.offline.OfflineCarrier",
        "other": "returns.carriers.offline.OfflineCarrier",
    }
    settings.CARRIER_WEBHOOK_SECRET = ""
    settings.CARRIER_WEBHOOK_SECRETS = {"offline": "a-long-random-secret"}
    # when
    messages = [m.msg for m in run_checks() if m.id == "returns.E001"]
    # then
    assert messages == [
        "carrier 'other' has no webhook secret: its tracking webhook refuses every event"
    ]


def test_production_with_secrets_is_clean_and_development_is_not_refused(settings):
    # given
    settings.CARRIER_WEBHOOK_SECRETS = {}
    # when
    settings.DEBUG, settings.CARRIER_WEBHOOK_SECRET = False, "a-long-random-secret"
    production = check_ids()
    settings.DEBUG, settings.CARRIER_WEBHOOK_SECRET = True, ""
    development = check_ids()
    # then
    assert (production, development) == ([], [])


def test_a_broken_carrier_or_tolerance_is_an_error_anywhere(settings):
    # given
    settings.DEBUG = True
    settings.RETURN_CARRIERS = {
        **settings.RETURN_CARRIERS,
        "acme": "acme_returns.NotInstalled",
        "odd": "returns.models.Return",
    }
    settings.CARRIER_WEBHOOK_TOLERANCE_SECONDS = 0
    # when / then
    assert check_ids() == ["returns.E002", "returns.E002", "returns.E003"]
