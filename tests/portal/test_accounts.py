"""Accounts: logging in (throttled), out, signing up, confirming the email, resetting the
password, and the language remembered on the account."""

import re

import pytest
from django.core import mail

from shop.models import Customer, User
from tests.factories import PASSWORD, CustomerFactory, UserFactory
from tests.fixtures.notifications import deliver_outbox
from tests.fixtures.web import english_client, shown_messages

pytestmark = pytest.mark.django_db

SENT = (
    "Thank you. We sent an email to %s: follow it to finish, then log in. It can take a few "
    "minutes; look in your spam folder too."
)


def log_in(client, email, password, **extra):
    return client.post("/login/", {"username": email, "password": password}, **extra)


def test_login_page_is_served(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_logging_in_opens_my_orders_in_the_customers_language(client, customer):
    # given: Camille's account says English
    User.objects.filter(pk=customer.user_id).update(language="en")
    # when
    response = log_in(client, customer.email, PASSWORD)
    # then
    assert response.status_code == 302
    assert response["Location"] == "/orders/"
    assert response.cookies["django_language"].value == "en"
    assert client.get("/orders/", HTTP_ACCEPT_LANGUAGE="fr").context["LANGUAGE_CODE"] == "en"


def test_a_wrong_password_gets_a_clear_message(client, customer):
    # when
    response = log_in(client, customer.email, "wrong")
    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This email address and password do not match. Please try again."
    ]
    assert "_auth_user_id" not in client.session


def test_login_is_throttled_after_five_failures(client, customer):
    # given: five wrong passwords for this email from this address
    for _ in range(5):
        log_in(client, customer.email, "wrong")
    # when: even the right password is refused now
    response = log_in(client, customer.email, PASSWORD)
    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Too many failed attempts. For your security, logging in is paused for 15 minutes. "
        "You can also reset your password."
    ]
    assert "_auth_user_id" not in client.session


def test_the_throttle_counts_per_email_and_address(client, customer, other_customer):
    # given: five failures for Camille from 10.0.0.1
    for _ in range(5):
        log_in(client, customer.email, "wrong", REMOTE_ADDR="10.0.0.1")
    # when
    other_email = log_in(english_client(), other_customer.email, PASSWORD, REMOTE_ADDR="10.0.0.1")
    other_address = log_in(english_client(), customer.email, PASSWORD, REMOTE_ADDR="10.0.0.2")
    # then
    assert (other_email.status_code, other_address.status_code) == (302, 302)


def test_four_failures_then_success_resets_the_count(client, customer):
    # given
    for _ in range(4):
        log_in(client, customer.email, "wrong")
    log_in(client, customer.email, PASSWORD)
    client.post("/logout/")
    # when: four more failures are again below the limit
    for _ in range(4):
        log_in(client, customer.email, "wrong")
    response = log_in(client, customer.email, PASSWORD)
    # then
    assert response.status_code == 302


def test_logging_out(customer_client):
    # when
    response = customer_client.post("/logout/")
    # then
    assert response.status_code == 302
    assert "_auth_user_id" not in customer_client.session


def test_switching_language_is_remembered_on_the_account(customer_client, customer):
    # when
    response = customer_client.post("/i18n/setlang/", {"language": "en", "next": "/orders/"})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/orders/"
    assert response.cookies["django_language"].value == "en"
    assert User.objects.get(pk=customer.user_id).language == "en"
    assert Customer.objects.get(pk=customer.pk).language == "en"


def test_switching_language_as_a_visitor_sets_only_the_cookie(client):
    # when
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    # then
    assert response.cookies["django_language"].value == "en"


def test_an_unknown_language_changes_nothing(customer_client, customer):
    # when
    customer_client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    # then
    assert User.objects.get(pk=customer.user_id).language == "fr"


def test_signing_up_links_the_orders_only_once_the_email_is_confirmed(client, db):
    # given: a customer of the shop who ordered without an account
    customer = CustomerFactory(email="sam@example.com", user=None)
    # when
    signed_up = client.post(
        "/account/signup/",
        {
            "full_name": "Sam Lee",
            "email": "Sam@Example.com",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
        follow=True,
    )
    # then: the account exists, not logged in yet, and the orders wait for the confirmation
    user = User.objects.get(email="sam@example.com")
    assert signed_up.redirect_chain == [("/login/", 302)]
    assert shown_messages(signed_up) == [SENT % "sam@example.com"]
    assert "_auth_user_id" not in client.session
    assert Customer.objects.get(pk=customer.pk).user_id is None
    assert deliver_outbox() == ["sent"]  # the worker sends it (the outbox: notifications/)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sam@example.com"]
    link = re.search(r"http://127.0.0.1:8000(/account/confirm/\S+/)", mail.outbox[0].body).group(1)
    # when the link is opened
    confirmed = client.get(link, follow=True)
    # then
    assert shown_messages(confirmed) == ["Thank you, your email address is confirmed."]
    assert Customer.objects.get(pk=customer.pk).user_id == user.pk
    assert user.language == "en"  # the language the person was reading


def test_confirming_creates_a_customer_when_the_address_has_none(client, db):
    # given
    client.post(
        "/account/signup/",
        {
            "full_name": "Ana Lopez",
            "email": "ana@example.com",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    deliver_outbox()
    link = re.search(r"http://127.0.0.1:8000(/\S+/)", mail.outbox[0].body).group(1)
    # when
    client.get(link)
    # then
    customer = Customer.objects.get(email="ana@example.com")
    assert (customer.user.email, customer.first_name, customer.last_name) == (
        "ana@example.com",
        "Ana",
        "Lopez",
    )


def test_a_customer_of_another_account_is_never_taken(client, db):
    # given: a customer at shared@example.com already linked to the account of its owner
    owner = UserFactory(email="owner@example.com")
    customer = CustomerFactory(email="shared@example.com", user=owner)
    newcomer = UserFactory(email="shared@example.com")
    client.force_login(newcomer)
    client.post("/account/confirm-again/")
    deliver_outbox()
    link = re.search(r"http://127.0.0.1:8000(/\S+/)", mail.outbox[0].body).group(1)
    # when: the newcomer opens the link sent to that address
    response = client.get(link, follow=True)
    # then
    assert shown_messages(response)[-1] == (
        "The orders of this address are already linked to another account. Please contact us."
    )
    assert Customer.objects.get(pk=customer.pk).user_id == owner.pk
    assert not Customer.objects.filter(user=newcomer).exists()


def test_a_tampered_confirmation_link_does_nothing(client, db):
    # given
    customer = CustomerFactory(email="victim@example.com", user=None)
    UserFactory(email="attacker@example.com")
    # when
    response = client.get("/account/confirm/not-a-real-token/", follow=True)
    # then
    assert shown_messages(response) == [
        "This confirmation link is not valid any more. Log in to receive a new one."
    ]
    assert Customer.objects.get(pk=customer.pk).user_id is None


def test_signing_up_with_a_weak_password_is_refused(client, db):
    # when
    response = client.post(
        "/account/signup/",
        {"email": "new@example.com", "password1": "12345678", "password2": "12345678"},
    )
    # then
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="new@example.com").exists()


def test_password_reset_by_email(client, customer):
    # when
    sent = client.post("/password-reset/", {"email": customer.email})
    # then
    assert sent.status_code == 302
    assert sent["Location"] == "/password-reset/sent/"
    assert deliver_outbox() == ["sent"]  # the worker sends it (the outbox: notifications/)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [customer.email]
    link = re.search(r"http://127.0.0.1:8000(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    # when the link is opened and a new password chosen
    form = client.get(link, follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-pass-phrase", "new_password2": "a-new-pass-phrase"},
    )
    # then
    assert done["Location"] == "/password-reset/done/"
    assert log_in(english_client(), customer.email, "a-new-pass-phrase").status_code == 302


def test_password_reset_for_an_unknown_address_sends_nothing(client, db):
    # when
    response = client.post("/password-reset/", {"email": "nobody@example.com"})
    # then: the same answer, no email
    assert response["Location"] == "/password-reset/sent/"
    assert deliver_outbox() == []
    assert mail.outbox == []


def test_login_without_csrf_token_is_refused(customer):
    # when
    response = log_in(english_client(enforce_csrf_checks=True), customer.email, PASSWORD)
    # then
    assert response.status_code == 403
