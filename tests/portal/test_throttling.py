"""Throttled logins, signups, password resets and guest lookups, behind a proxy or not: the
breaks of issue 13 replayed (one address locking everybody out, a forged forwarded header,
resets and signups that sent as many emails as asked, a signup that said which addresses have
an account)."""

import re

import pytest
from django.conf import settings
from django.core import mail

from shop.models import ThrottleCounter, User
from tests.factories import PASSWORD, StaffFactory, UserFactory
from tests.fixtures.notifications import deliver_outbox
from tests.fixtures.web import english_client, shown_messages

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"  # the reverse proxy every request comes through
DO_NOT_MATCH = "This email address and password do not match. Please try again."
PAUSED = (
    "Too many failed attempts. For your security, logging in is paused for 15 minutes. "
    "You can also reset your password."
)
TOO_MANY_EMAILS = (
    "Too many requests in a short time. For your security, please try again in an hour."
)
SENT = (
    "Thank you. We sent an email to %s: follow it to finish, then log in. It can take a few "
    "minutes; look in your spam folder too."
)


def log_in(email, password, *, remote=PROXY, forwarded=None, path="/login/"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    client = english_client()
    data = {"username": email, "password": password}
    if path.startswith("/admin/"):
        data["next"] = "/admin/"
    return client.post(path, data, **extra)


def sent():
    """The emails sent: the outbox delivered first, as the worker would."""
    deliver_outbox()
    return mail.outbox


def errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def sign_up(email, *, forwarded="198.51.100.40", password="a-long-pass-phrase", **extra):
    return english_client().post(
        "/account/signup/",
        {"full_name": "Sam Lee", "email": email, "password1": password, "password2": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
        **extra,
    )


def reset(email, *, forwarded="198.51.100.50"):
    return english_client().post(
        "/password-reset/", {"email": email}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
    )


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


# --- logins -----------------------------------------------------------------------------------


def test_a_flood_from_one_address_pauses_that_address_only(behind_one_proxy, customer):
    # given: 30 wrong passwords with random emails from one client behind the proxy
    flood = [
        log_in(f"nobody-{n}@example.com", "guess", forwarded="198.51.100.66") for n in range(30)
    ]
    staff = StaffFactory(email="sam@shop.example")
    # when
    flooder_again = log_in(customer.email, PASSWORD, forwarded="198.51.100.66")
    camille = log_in(customer.email, PASSWORD, forwarded="203.0.113.7")
    staff_login = log_in(staff.email, PASSWORD, forwarded="203.0.113.8", path="/admin/login/")
    # then: the flooding address is paused; everybody else, through the same proxy, logs in
    assert [errors(response) for response in flood] == [[DO_NOT_MATCH]] * 30
    assert errors(flooder_again) == [PAUSED]
    assert (camille.status_code, camille["Location"]) == (302, "/orders/")
    assert (staff_login.status_code, staff_login["Location"]) == (302, "/admin/")


def test_the_forwarded_header_is_ignored_unless_proxies_are_trusted(settings, customer):
    # given: no trusted proxy; five wrong passwords, each with a new forged header
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        log_in(customer.email, "guess", remote="192.0.2.10", forwarded=f"203.0.113.{n}")
    # when: a sixth, with yet another header, from the same address
    refused = log_in(customer.email, PASSWORD, remote="192.0.2.10", forwarded="203.0.113.99")
    owner = log_in(customer.email, PASSWORD, remote="192.0.2.77")
    # then: counted on REMOTE_ADDR; the owner elsewhere logs in
    assert errors(refused) == [PAUSED]
    assert owner.status_code == 302


def test_a_client_cannot_forge_the_hop_our_proxy_writes(behind_one_proxy, customer):
    # given: five wrong passwords, each with a forged left part before what the proxy wrote
    for n in range(5):
        log_in(customer.email, "guess", forwarded=f"203.0.113.{n}, 198.51.100.66")
    # when
    refused = log_in(customer.email, PASSWORD, forwarded="203.0.113.99, 198.51.100.66")
    # then
    assert errors(refused) == [PAUSED]


def test_guessing_from_many_addresses_pauses_the_account_until_its_owner_resets_it(
    behind_one_proxy, customer
):
    # given: 20 wrong passwords for Camille from four addresses (five each)
    for n in range(20):
        log_in(customer.email, "guess", forwarded=f"198.51.100.{n // 5}")
    # when: the owner logs in from home
    home = log_in(customer.email, PASSWORD, forwarded="203.0.113.7")
    # then: four paused addresses do not pause the account
    assert home.status_code == 302
    # given: five more from a fifth address (25 in all)
    for _ in range(5):
        log_in(customer.email, "guess", forwarded="198.51.100.4")
    # when
    paused = log_in(customer.email, PASSWORD, forwarded="203.0.113.7")
    # then: the account is paused everywhere
    assert errors(paused) == [PAUSED]
    # when: its owner chooses a new password through the emailed link
    reset(customer.email, forwarded="203.0.113.7")
    link = re.search(r"https?://[^/\s]+(/password-reset/\S+/)", sent()[0].body).group(1)
    browser = english_client()
    form = browser.get(link, follow=True, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-pass-phrase", "new_password2": "a-new-pass-phrase"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    again = log_in(customer.email, "a-new-pass-phrase", forwarded="203.0.113.7")
    # then
    assert again.status_code == 302


def test_a_blank_password_does_not_forget_the_failures(customer):
    # given: four wrong passwords
    for _ in range(4):
        log_in(customer.email, "guess")
    # when: a submit without a password (no password is checked), then two more guesses
    log_in(customer.email, "")
    fifth = log_in(customer.email, "guess")
    sixth = log_in(customer.email, PASSWORD)
    # then: the count went on
    assert errors(fifth) == [DO_NOT_MATCH]
    assert errors(sixth) == [PAUSED]


# --- password resets --------------------------------------------------------------------------


def test_the_21st_reset_from_one_address_sends_no_email(behind_one_proxy, db):
    # given: 21 customers with accounts
    emails = [UserFactory(email=f"c{n}@example.com").email for n in range(21)]
    # when: one address asks a reset for each
    answers = [reset(email, forwarded="198.51.100.50") for email in emails]
    # then: 20 emails, to the first 20; the 21st refused, no email
    assert [answer.status_code for answer in answers[:20]] == [302] * 20
    assert errors(answers[20]) == [TOO_MANY_EMAILS]
    assert len(sent()) == 20
    assert [message.to for message in sent()] == [[email] for email in emails[:20]]


def test_one_mailbox_gets_three_resets_an_hour_whatever_the_addresses(behind_one_proxy, customer):
    # when: five resets for Camille from five addresses
    answers = [reset(customer.email, forwarded=f"198.51.100.{n}") for n in range(5)]
    # then
    assert [answer.status_code for answer in answers] == [302, 302, 302, 200, 200]
    assert errors(answers[3]) == errors(answers[4]) == [TOO_MANY_EMAILS]
    assert len(sent()) == 3


def test_resets_of_an_unknown_address_are_counted_the_same(behind_one_proxy, customer):
    # when: four resets each, for a registered and an unknown address
    known = [reset(customer.email).status_code for _ in range(4)]
    unknown = [reset("nobody@example.com").status_code for _ in range(4)]
    # then: the same answers; emails only to the registered one
    assert known == unknown == [302, 302, 302, 200]
    assert len(sent()) == 3
    assert {tuple(message.to) for message in sent()} == {(customer.email,)}


# --- signups ----------------------------------------------------------------------------------


def test_signing_up_with_a_registered_address_answers_the_same_and_tells_its_owner(
    behind_one_proxy, customer
):
    # given
    users_before = User.objects.count()
    # when: a registered address, then a new one
    registered = sign_up(customer.email.upper(), follow=True)
    new = sign_up("new@example.com", follow=True)
    # then: the same page, the same message (the typed address), nobody logged in
    assert registered.redirect_chain == new.redirect_chain == [("/login/", 302)]
    assert shown_messages(registered) == [SENT % customer.email]
    assert shown_messages(new) == [SENT % "new@example.com"]
    assert sorted(registered.cookies) == sorted(new.cookies)
    assert "_auth_user_id" not in registered.wsgi_request.session
    # no second account, the owner's password unchanged, the owner told
    assert User.objects.count() == users_before + 1
    assert User.objects.filter(email__iexact=customer.email).count() == 1
    owner = User.objects.get(email=customer.email)
    assert owner.check_password(PASSWORD) is True
    assert owner.check_password("a-long-pass-phrase") is False
    notice, confirmation = sent()
    assert notice.to == [customer.email]
    assert notice.subject == (
        "Quelqu'un a essayé de créer un compte Maison Lumière avec votre adresse"
    )  # Camille reads French
    assert f"{settings.SITE_URL}/login/" in notice.body
    assert f"{settings.SITE_URL}/password-reset/" in notice.body
    assert confirmation.to == ["new@example.com"]
    assert "/account/confirm/" in confirmation.body


def test_an_english_owner_is_told_in_english(behind_one_proxy, other_customer):
    # when
    sign_up(other_customer.email)
    # then
    assert [message.subject for message in sent()] == [
        "Someone tried to create a Maison Lumière account with your address"
    ]
    assert "You already have an account with it, so nothing was created." in sent()[0].body


def test_a_deactivated_account_gets_no_notice_and_the_answer_stays_the_same(behind_one_proxy, db):
    # given
    UserFactory(email="gone@example.com", is_active=False)
    # when
    response = sign_up("gone@example.com", follow=True)
    # then
    assert shown_messages(response) == [SENT % "gone@example.com"]
    assert sent() == []
    assert User.objects.filter(email="gone@example.com").count() == 1


def test_one_address_signs_up_three_times_an_hour(behind_one_proxy, customer):
    # when: four signups with Camille's address, from four places
    answers = [sign_up(customer.email, forwarded=f"198.51.100.{n}") for n in range(4)]
    # then: the fourth refused, no account; one notice (at most one an hour per account,
    # notifications.accounts), so the form cannot flood the owner's mailbox either
    assert [answer.status_code for answer in answers] == [302, 302, 302, 200]
    assert errors(answers[3]) == [TOO_MANY_EMAILS]
    assert len(sent()) == 1
    assert User.objects.filter(email=customer.email).count() == 1


def test_one_client_signs_up_ten_times_an_hour(behind_one_proxy, db):
    # when: eleven new addresses from one client
    answers = [sign_up(f"new{n}@example.com", forwarded="198.51.100.40") for n in range(11)]
    # then
    assert [answer.status_code for answer in answers] == [302] * 10 + [200]
    assert errors(answers[10]) == [TOO_MANY_EMAILS]
    assert not User.objects.filter(email="new10@example.com").exists()
    assert User.objects.filter(email__startswith="new").count() == 10
    assert len(sent()) == 10


def test_an_invalid_signup_counts_nothing(behind_one_proxy, db):
    # when: passwords that differ, ten times
    for _ in range(10):
        english_client().post(
            "/account/signup/",
            {"email": "new@example.com", "password1": "a-long-pass-phrase", "password2": "x"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.40",
        )
    # then
    assert ThrottleCounter.objects.count() == 0
    assert sent() == []


# --- guest lookups ----------------------------------------------------------------------------


def test_a_guest_behind_the_proxy_is_not_paused_by_another_client(behind_one_proxy, order):
    # given: ten misses from one client, on ten order numbers
    for n in range(10):
        english_client().post(
            "/lookup/",
            {"order_number": f"X-{n}", "email_or_postcode": "75011"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.66",
        )
    # when: Camille, through the same proxy
    found = english_client().post(
        "/lookup/",
        {"order_number": order.number, "email_or_postcode": "75011"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    # then
    assert (found.status_code, found["Location"]) == (302, f"/orders/{order.number}/")


def test_a_found_order_is_not_counted_as_a_miss(order):
    # when: the right pair, ten times
    answers = [
        english_client().post(
            "/lookup/", {"order_number": order.number, "email_or_postcode": "75011"}
        )
        for _ in range(10)
    ]
    # then
    assert {answer.status_code for answer in answers} == {302}
    assert set(ThrottleCounter.objects.values_list("count", flat=True)) == {0}
