"""Account emails (sign-up confirmation, password reset, a sign-up attempt with a known address)
go through the outbox and the worker like every email: with the provider down the page answers
normally, and the email leaves once the provider is back; no link is stored in the outbox."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications import accounts
from notifications.accounts import queue_password_reset, queue_signup_notice
from notifications.delivery import deliver_notification, notifications_sweep
from notifications.emails import render_notification, template_sources
from notifications.models import EmailTemplate, Notification
from notifications.selectors import email_template_overview
from notifications.tasks import publish_send
from shop.models import User
from tests.factories import UserFactory
from tests.fixtures.web import shown_messages

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

Status = Notification.Status
SIGNUP = {
    "full_name": "Sam Lee",
    "email": "sam@example.com",
    "password1": "a-long-pass-phrase",
    "password2": "a-long-pass-phrase",
}


def provider_back_and_retry_due():
    """The provider answers again and the retry's time has come: the beat's sweep runs."""
    Notification.objects.filter(status=Status.QUEUED).update(next_attempt_at=timezone.now())
    return notifications_sweep(publish=publish_send, grace=0)


def test_signup_with_the_provider_down_answers_and_the_email_leaves_once_it_is_back(
    client, db, smtp, django_capture_on_commit_callbacks
):
    # given: the provider is down (nothing listens on its port)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/signup/", SIGNUP)
    # then: the page answers as usual, the account exists, the email waits in the outbox
    assert (response.status_code, response["Location"]) == (302, "/login/")
    user = User.objects.get(email="sam@example.com")
    row = Notification.objects.get()
    assert (row.user, row.ret, row.event, row.status) == (user, None, "account_confirm", "queued")
    assert (row.attempts, row.recipient, row.language) == (1, "sam@example.com", "en")
    assert row.last_error.startswith("ConnectionRefusedError")
    assert smtp.received == []
    # when: the provider is back
    smtp.start()
    provider_back_and_retry_due()
    # then: sent once, with the row's Message-ID, and its link confirms the address
    [message] = smtp.received
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert message["To"] == "sam@example.com"
    assert message["Subject"] == "Confirm your email address for Maison Lumière"
    assert message["Message-ID"] == f"<notification-{row.pk}-{row.message_uuid.hex}@shop.example>"
    link = re.search(r"http://127.0.0.1:8000(/account/confirm/\S+/)", smtp.text_of(message))
    confirmed = client.get(link.group(1), follow=True)
    assert shown_messages(confirmed)[-1] == "Thank you, your email address is confirmed."


def test_a_second_signup_after_a_provider_failure_is_not_needed_and_not_doubled(
    client, db, smtp, django_capture_on_commit_callbacks
):
    # given: a sign-up while the provider is down
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/signup/", SIGNUP)
    # when: the provider comes back and the sweep runs twice
    smtp.start()
    provider_back_and_retry_due()
    provider_back_and_retry_due()
    # then: one account, one email
    assert User.objects.filter(email="sam@example.com").count() == 1
    assert len(smtp.received) == 1
    assert Notification.objects.get().status == Status.SENT


def test_a_password_reset_with_the_provider_down_is_sent_once_it_is_back(
    client, customer, smtp, django_capture_on_commit_callbacks
):
    # given: the provider is down
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/password-reset/", {"email": customer.email.upper()})
    # then: the usual answer, and the email waits
    assert (response.status_code, response["Location"]) == (302, "/password-reset/sent/")
    row = Notification.objects.get()
    assert (row.user_id, row.event, row.status) == (customer.user_id, "password_reset", "queued")
    assert smtp.received == []
    # when: the provider is back
    smtp.start()
    provider_back_and_retry_due()
    # then: one email whose link lets the customer choose a new password
    [message] = smtp.received
    assert message["To"] == customer.email
    assert message["Subject"] == "Votre nouveau mot de passe pour Maison Lumière"  # hers: French
    path = re.search(r"http://127.0.0.1:8000(/password-reset/\S+/)", smtp.text_of(message))
    form = client.get(path.group(1), follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-pass-phrase", "new_password2": "a-new-pass-phrase"},
    )
    assert done["Location"] == "/password-reset/done/"
    assert User.objects.get(pk=customer.user_id).check_password("a-new-pass-phrase")


def test_the_reset_link_is_stored_nowhere_in_the_outbox(client, customer, smtp):
    # given: a reset queued (this test transaction never commits: nothing is published)
    smtp.start()
    client.post("/password-reset/", {"email": customer.email})
    # when: the worker sends it
    assert deliver_notification(notification_id=Notification.objects.get().pk).status == "sent"
    # then: the token is in the email only, not in any column of the row
    [message] = smtp.received
    token = re.search(r"/password-reset/[^/]+/([^/\s]+)/", smtp.text_of(message)).group(1)
    stored = " ".join(str(value) for value in Notification.objects.values().get().values())
    assert len(token) > 20
    assert token not in stored


def test_a_reset_for_an_unknown_address_queues_nothing(client, db, smtp):
    # when
    response = client.post("/password-reset/", {"email": "nobody@example.com"})
    # then: the same answer, no row, no email
    assert response["Location"] == "/password-reset/sent/"
    assert Notification.objects.count() == 0
    assert smtp.received == []


def test_a_reset_is_not_sent_to_an_address_the_account_no_longer_has(customer, settings):
    # given: a reset queued, then the account's address changes before the worker sends it
    row = queue_password_reset(user=customer.user)
    User.objects.filter(pk=customer.user_id).update(email="new-address@example.com")
    # when
    outcome = deliver_notification(notification_id=row.pk)
    # then: failed for good, nothing sent
    row.refresh_from_db()
    assert (outcome.status, row.status, row.attempts) == ("failed", Status.FAILED, 1)
    assert row.last_error == (
        "AccountEmailNotSendable: the account's email address changed since the email was queued"
    )
    assert mail.outbox == []


def test_a_reset_older_than_a_reset_link_lasts_is_not_sent(customer, settings):
    # given: a reset asked longer ago than PASSWORD_RESET_TIMEOUT, never sent since
    row = queue_password_reset(user=customer.user)
    Notification.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    )
    # when
    outcome = deliver_notification(notification_id=row.pk)
    # then
    row.refresh_from_db()
    assert (outcome.status, row.status) == ("failed", Status.FAILED)
    assert "longer ago than a reset link lasts" in row.last_error
    assert mail.outbox == []


def test_an_account_email_to_an_inactive_account_is_not_sent(customer):
    # given
    row = accounts.queue_signup_confirmation(user=customer.user)
    User.objects.filter(pk=customer.user_id).update(is_active=False)
    # when
    deliver_notification(notification_id=row.pk)
    # then
    row.refresh_from_db()
    assert (row.status, row.last_error) == (
        Status.FAILED,
        "AccountEmailNotSendable: the account is no longer active",
    )
    assert mail.outbox == []


def test_the_signup_notice_tells_the_owner_once_an_hour_in_their_language(monkeypatch):
    # given: a French account
    owner = UserFactory(email="camille@example.com", full_name="Camille Durand", language="fr")
    now = timezone.now()
    monkeypatch.setattr(accounts.timezone, "now", lambda: now)
    # when: the address is typed into the sign-up form three times, in any case
    first = queue_signup_notice(email="Camille@Example.com")
    again = queue_signup_notice(email=" camille@example.com ")
    monkeypatch.setattr(
        accounts.timezone,
        "now",
        lambda: now + timedelta(seconds=accounts.SIGNUP_NOTICE_EVERY_SECONDS),
    )
    an_hour_later = queue_signup_notice(email="camille@example.com")
    # then: one notice for the first hour, one for the next
    assert first == again
    assert an_hour_later != first
    assert Notification.objects.filter(user=owner, event="signup_notice").count() == 2
    # and it says so in French, with the way back in, and no link of any account
    email = render_notification(first)
    assert (
        email.subject == "Quelqu'un a essayé de créer un compte Maison Lumière avec votre adresse"
    )
    assert email.text_body.startswith("Bonjour Camille,\n\nQuelqu'un a essayé de créer un compte")
    assert "connectez-vous\u00a0: http://127.0.0.1:8000/login/" in email.text_body
    assert "http://127.0.0.1:8000/password-reset/\n" in email.text_body
    assert "/account/confirm/" not in email.text_body + email.html_body
    assert '<html lang="fr">' in email.html_body


def test_the_signup_notice_of_an_address_without_account_queues_nothing(db):
    # when
    notice = queue_signup_notice(email="nobody@example.com")
    # then
    assert notice is None
    assert Notification.objects.count() == 0


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("event", ["account_confirm", "password_reset", "signup_notice"])
def test_every_account_email_renders_in_every_language(event, language):
    # given
    user = UserFactory(email="ana@example.com", full_name="Ana Lopez", language=language)
    row = Notification.objects.create(
        user=user, event=event, recipient=user.email, language=language, max_attempts=6
    )
    # when
    email = render_notification(row)
    # then
    assert "Maison Lumière" in email.subject
    assert "\n" not in email.subject
    for body in (email.text_body, email.html_body):
        assert "Ana" in body
        assert "Maison Lumière" in body
        assert "{{" not in body
    assert f'<html lang="{language}">' in email.html_body
    if event != "signup_notice":
        assert re.search(
            r"http://127.0.0.1:8000/(account/confirm|password-reset)/\S+/", email.text_body
        )


def test_account_email_templates_are_not_editable_by_staff(client, manager):
    # given: a staff row for an account event (it cannot be made from the page; made here)
    EmailTemplate.objects.create(
        event="password_reset",
        language="en",
        subject="x",
        text_body="Send {{ link }} to me",
        html_body="x",
    )
    # when
    sources = template_sources("password_reset", "en")
    client.force_login(manager)
    preview = client.get("/admin/notifications/emailtemplate/preview/password_reset/en/")
    # then: the code's template is used, the preview is not found, the list does not offer it
    assert "Send {{ link }} to me" not in sources["text_body"]
    assert preview.status_code == 404
    assert "password_reset" not in {row.event for row in email_template_overview()}
