from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command, execute_from_command_line
from django.test import override_settings

from shop.models import User
from shop.roles import GROUP_NAMES

pytestmark = pytest.mark.django_db


def _run(capsys, *args):
    """The command as a shell runs it: (exit code, stdout, stderr). Without the system checks,
    which refuse the test settings as production's (no webhook secrets), and keeping the
    database connection a shell's run closes at its end (the test's transaction is on it)."""
    try:
        with mock.patch("django.core.management.base.connections.close_all"):
            execute_from_command_line(["manage.py", "create_staff", "--skip-checks", *args])
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _groups(email):
    return sorted(User.objects.get(email=email).groups.values_list("name", flat=True))


@override_settings(SITE_URL="https://returns.example.com/")
def test_apply_creates_a_staff_account_in_its_role_and_prints_a_password_link(capsys):
    # when
    code, out, _err = _run(capsys, "Nina@Example.com", "--role", "agent", "--apply")
    # then
    assert code == 0
    user = User.objects.get()
    assert (user.email, user.is_staff, user.is_superuser, user.is_active) == (
        "nina@example.com",
        True,
        False,
        True,
    )
    assert not user.has_usable_password()
    assert _groups("nina@example.com") == ["Returns agent"]
    assert "nina@example.com: created (create the account in Returns agent)" in out
    link = out.strip().splitlines()[-1]
    assert link.startswith("https://returns.example.com/password-reset/")


def test_the_link_lets_the_person_choose_a_password_once(capsys, client):
    # given
    _code, out, _err = _run(capsys, "nina@example.com", "--role", "refunds", "--apply")
    path = urlsplit(out.strip().splitlines()[-1]).path
    # when: the person opens the link and chooses a password
    opened = client.get(path)
    form_url = opened.url
    chosen = client.post(
        form_url,
        {"new_password1": "a-long-staff-passphrase", "new_password2": "a-long-staff-passphrase"},
    )
    # then
    assert opened.status_code == 302
    assert form_url.endswith("/set-password/")
    assert chosen.status_code == 302
    assert User.objects.get().check_password("a-long-staff-passphrase")
    # and the link does not work a second time
    again = client.get(path, follow=True)
    assert again.context["validlink"] is False


def test_the_link_refuses_a_password_too_short_for_staff(capsys, client):
    _code, out, _err = _run(capsys, "nina@example.com", "--role", "admin", "--apply")
    form_url = client.get(urlsplit(out.strip().splitlines()[-1]).path).url
    refused = client.post(form_url, {"new_password1": "Short-pw1", "new_password2": "Short-pw1"})
    assert refused.status_code == 200
    assert not User.objects.get().has_usable_password()


def test_without_apply_it_is_a_dry_run_that_writes_nothing(capsys):
    # when
    code, out, _err = _run(capsys, "nina@example.com", "--role", "admin")
    # then
    assert code == 0
    assert "dry run, nina@example.com: create the account in Shop admin. Add --apply" in out
    assert "password-reset" not in out
    assert User.objects.count() == 0


def test_a_dry_run_on_an_existing_account_changes_nothing(capsys):
    # given
    _run(capsys, "nina@example.com", "--role", "agent", "--apply")
    # when
    code, out, _err = _run(capsys, "nina@example.com", "--role", "refunds")
    # then
    assert code == 0
    assert "leave Returns agent; join Refunds manager" in out
    assert _groups("nina@example.com") == ["Returns agent"]


def test_running_again_with_another_role_moves_the_account_to_that_group(capsys):
    # given
    _run(capsys, "nina@example.com", "--role", "agent", "--apply")
    user = User.objects.get()
    user.set_password("a-long-staff-passphrase")
    user.save()
    # when
    code, out, _err = _run(capsys, "NINA@example.com", "--role", "admin", "--apply")
    # then
    assert code == 0
    assert "nina@example.com: updated (leave Returns agent; join Shop admin)" in out
    assert User.objects.count() == 1
    assert _groups("nina@example.com") == ["Shop admin"]
    # the password is kept: the link is there should they want a new one
    assert User.objects.get().check_password("a-long-staff-passphrase")


def test_running_again_with_the_same_role_changes_nothing(capsys):
    _run(capsys, "nina@example.com", "--role", "agent", "--apply")
    code, out, _err = _run(capsys, "nina@example.com", "--role", "agent", "--apply")
    assert code == 0
    assert "nina@example.com: unchanged (nothing to change)" in out
    assert _groups("nina@example.com") == ["Returns agent"]


def test_an_inactive_staff_account_is_reactivated(capsys):
    _run(capsys, "nina@example.com", "--role", "agent", "--apply")
    User.objects.update(is_active=False)
    _code, out, _err = _run(capsys, "nina@example.com", "--role", "agent", "--apply")
    assert "updated (reactivate the account)" in out
    assert User.objects.get().is_active


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-an-email", "--role", "agent"], "'not-an-email' is not an email address"),
        (["nina@example.com", "--role", "boss"], "role 'boss' is not one of agent, refunds, admin"),
    ],
)
def test_a_bad_email_or_role_exits_non_zero_with_a_message_and_writes_nothing(
    capsys, args, message
):
    code, out, err = _run(capsys, *args, "--apply")
    assert code == 1
    assert f"CommandError: {message}" in err
    assert out == ""
    assert User.objects.count() == 0


def test_a_missing_role_is_an_argument_error(capsys):
    code, _out, err = _run(capsys, "nina@example.com")
    assert code == 2
    assert "the following arguments are required: --role" in err


def test_a_customers_account_is_never_made_staff(capsys):
    # given
    customer = User.objects.create_user("lea@example.com", "customer-pw-1")
    # when
    code, _out, err = _run(capsys, "lea@example.com", "--role", "admin", "--apply")
    # then
    assert code == 1
    assert "lea@example.com is a customer's account, not staff" in err
    customer.refresh_from_db()
    assert (customer.is_staff, list(customer.groups.all())) == (False, [])


def test_a_failure_while_writing_leaves_nothing_half_written(capsys, monkeypatch):
    # given: the role group cannot be found once the account is created
    monkeypatch.setattr("shop.staff.role_group", _raise)
    # when
    with pytest.raises(RuntimeError):
        call_command("create_staff", "nina@example.com", "--role", "agent", "--apply")
    # then
    assert User.objects.count() == 0


def test_help_explains_the_roles_and_the_dry_run(capsys):
    code, out, _err = _run(capsys, "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "agent (processes returns)" in text
    assert "changes nothing unless --apply is given" in text
    assert set(GROUP_NAMES) == {"returns_agent", "refunds_manager", "shop_admin"}


def _raise(code):
    raise RuntimeError("no such group")
