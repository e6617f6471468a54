"""Passwords: Argon2 hashes, staff need 12 characters, customers Django's 8, common and
look-alike passwords refused (settings.AUTH_PASSWORD_VALIDATORS, shop/passwords.py)."""

import io

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

import config.settings as project_settings
from shop.models import User
from tests.factories import UserFactory
from tests.fixtures.web import logged_in

ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def _refusal_codes(password: str, user) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    return [error.code for error in refused.value.error_list]


def test_staff_password_of_11_characters_is_refused():
    staff = User(email="lea@shop.example", is_staff=True)
    assert _refusal_codes("tulip-ancho", staff) == ["password_too_short"]


def test_superuser_password_of_11_characters_is_refused():
    superuser = User(email="lea@shop.example", is_superuser=True)
    assert _refusal_codes("tulip-ancho", superuser) == ["password_too_short"]


def test_staff_password_of_12_characters_is_accepted():
    staff = User(email="lea@shop.example", is_staff=True)
    assert validate_password("tulip-anchor", staff) is None


def test_customer_keeps_djangos_minimum_of_8():
    customer = User(email="lea@example.com")
    assert validate_password("tulip-an", customer) is None
    assert _refusal_codes("tulip-a", customer) == ["password_too_short"]


def test_common_password_is_refused_even_when_long_enough():
    staff = User(email="lea@shop.example", is_staff=True)
    assert _refusal_codes("password1234", staff) == ["password_too_common"]


def test_password_like_the_email_is_refused():
    staff = User(email="marguerite.dupont@shop.example", is_staff=True)
    assert _refusal_codes("marguerite.dupont", staff) == ["password_too_similar"]


def test_argon2_hashes_and_old_pbkdf2_hashes_still_verify(settings):
    # given: the project's hashers (the tests use a fast one)
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    old = make_password("tulip-anchor", hasher="pbkdf2_sha256")
    # when
    new = make_password("tulip-anchor")
    # then
    assert project_settings.PASSWORD_HASHERS[0] == ARGON2
    assert PBKDF2 in project_settings.PASSWORD_HASHERS
    assert new.startswith("argon2$argon2id$")
    assert check_password("tulip-anchor", new)
    assert check_password("tulip-anchor", old)


@pytest.mark.django_db
def test_a_login_upgrades_a_pbkdf2_hash_to_argon2(settings):
    # given
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = UserFactory(email="lea@example.com")
    User.objects.filter(pk=user.pk).update(
        password=make_password("tulip-anchor", hasher="pbkdf2_sha256")
    )
    user.refresh_from_db()
    # when
    assert user.check_password("tulip-anchor")
    # then
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


def _add_user(client, password: str):
    return client.post(
        "/admin/shop/user/add/",
        {
            "email": "new.agent@shop.example",
            "is_staff": "on",
            "usable_password": "true",
            "password1": password,
            "password2": password,
        },
    )


@pytest.mark.django_db
def test_backoffice_refuses_a_short_staff_password():
    # given
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = logged_in(admin)
    # when
    response = _add_user(client, "tulip-anch")
    # then: the form says why, and no user exists
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert not User.objects.filter(email="new.agent@shop.example").exists()


@pytest.mark.django_db
def test_backoffice_adds_staff_with_a_long_password():
    # given
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = logged_in(admin)
    # when
    response = _add_user(client, "tulip-anchor-7")
    # then
    assert response.status_code == 302
    user = User.objects.get(email="new.agent@shop.example")
    assert user.is_staff
    assert user.check_password("tulip-anchor-7")


@pytest.mark.django_db
def test_backoffice_add_user_form_starts_as_staff():
    admin = UserFactory(is_staff=True, is_superuser=True)
    response = logged_in(admin).get("/admin/shop/user/add/")
    assert response.context["adminform"].form.initial["is_staff"] is True


@pytest.mark.django_db
def test_createsuperuser_refuses_a_short_password_given_in_the_environment(monkeypatch):
    # given: the non-interactive createsuperuser, which Django does not check at all
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "tulip-ancho")  # 11 characters
    # when
    with pytest.raises(CommandError) as refused:
        call_command("createsuperuser", "--noinput", "--email", "boss@shop.example")
    # then: refused as a superuser's password, nobody created
    assert "at least 12 characters" in str(refused.value)
    assert not User.objects.filter(email="boss@shop.example").exists()


@pytest.mark.django_db
def test_createsuperuser_refuses_a_short_password_typed_at_the_prompt(monkeypatch):
    # given: the interactive createsuperuser, which checks it as a customer's (8 characters)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "tulip-ancho")
    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    # when
    with pytest.raises(CommandError) as refused:
        call_command(
            "createsuperuser", "--email", "boss@shop.example", interactive=True, stdin=terminal
        )
    # then
    assert "at least 12 characters" in str(refused.value)
    assert not User.objects.filter(email="boss@shop.example").exists()


@pytest.mark.django_db
def test_createsuperuser_takes_a_long_password(monkeypatch):
    # given
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "tulip-anchor-garden")
    # when
    call_command("createsuperuser", "--noinput", "--email", "boss@shop.example")
    # then
    boss = User.objects.get(email="boss@shop.example")
    assert (boss.is_superuser, boss.check_password("tulip-anchor-garden")) == (True, True)
