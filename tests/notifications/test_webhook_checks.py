"""Production refuses to start while the email provider's tracking webhook has no secret
(notifications.E001), among every system check Django runs."""

from django.core.checks import run_checks

POSTMARK = "anymail.backends.postmark.EmailBackend"


def check_ids() -> list[str]:
    return sorted(message.id for message in run_checks() if message.id.startswith("notifications."))


def without_secret(anymail: dict) -> dict:
    return {key: value for key, value in anymail.items() if key != "WEBHOOK_SECRET"}


def test_production_with_an_anymail_provider_and_no_secret_is_an_error(settings):
    # given
    settings.DEBUG = False
    settings.EMAIL_BACKEND = POSTMARK
    settings.ANYMAIL = without_secret(settings.ANYMAIL)
    # when
    messages = [m for m in run_checks() if m.id == "notifications.E001"]
    # then
    assert len(messages) == 1
    assert messages[0].is_serious()
    assert messages[0].msg == (
        "ANYMAIL_WEBHOOK_SECRET is not set: the postmark tracking webhook refuses every "
        "report, so bounces and complaints are never recorded"
    )


def test_production_with_the_secret_is_clean(settings):
    # given
    settings.DEBUG = False
    settings.EMAIL_BACKEND = POSTMARK
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook-user:hook-password"}
    # when / then
    assert check_ids() == []


def test_a_secret_that_is_not_user_password_is_a_warning(settings):
    # given
    settings.DEBUG = False
    settings.EMAIL_BACKEND = POSTMARK
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "just-a-password"}
    # when / then
    assert check_ids() == ["notifications.W002"]


def test_development_and_non_anymail_backends_are_not_refused(settings):
    # given
    settings.ANYMAIL = without_secret(settings.ANYMAIL)
    # when
    settings.DEBUG, settings.EMAIL_BACKEND = True, POSTMARK
    in_development = check_ids()
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    over_smtp = check_ids()
    # then: no tracking endpoint is served over SMTP, so nothing is open
    assert (in_development, over_smtp) == ([], [])
