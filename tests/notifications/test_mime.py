"""An email's MIME bytes, written for less (notifications/mime.py), are the bytes Django's own
message writes: every header, encoding and part, but for the random boundaries."""

import random
import string
from email import policy as email_policy

import pytest
from django.core.mail import EmailMultiAlternatives

from notifications.emails import OutboxEmail, build_message
from notifications.mime import COMPAT32, with_boundaries
from tests.factories import bare_return
from tests.notifications.test_email_batch import queued

NAMES = ("Subject", "From", "To", "Content-Type", "X-Notification-ID", "Message-ID", "Date")
WORDS = (
    "a",
    "R-B00000001",
    'text/plain; charset="utf-8"',
    "=?utf-8?q?Maison_Lumi=C3=A8re?=",
    "<returns@shop.example>",
    "Maison Lumière",
    "x" * 90,
    "x,y;z",
    "",
)


def values(count: int):
    """Header values of every kind: plain words at every length around the line's end, runs
    of spaces, spaces at an end, tabs, line breaks, non-ASCII, encoded words, long words."""
    draw = random.Random(17)
    for _ in range(count):
        words = [
            draw.choice(WORDS)
            if draw.random() < 0.3
            else "".join(draw.choices(string.printable[:94], k=draw.randint(1, 12)))
            for _ in range(draw.randint(1, 12))
        ]
        spaces = [draw.choice((" ", " ", " ", "  ", "\t", "\n ", "\r\n ")) for _ in words]
        value = "".join(space + word for space, word in zip(spaces, words, strict=True))
        yield value[draw.randint(0, 1) :]


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
def test_a_header_is_folded_as_compat32_folds_it(linesep):
    # given
    ours, stock = COMPAT32.clone(linesep=linesep), email_policy.compat32.clone(linesep=linesep)
    edges = [
        (name, "y" * (78 - len(name) - 2 + extra)) for name in NAMES for extra in (-1, 0, 1, 2)
    ]
    edges += [
        (name, f"{'w' * (70 - len(name))} {'z' * extra}") for name in NAMES for extra in range(12)
    ]
    cases = edges + [(NAMES[n % len(NAMES)], value) for n, value in enumerate(values(4000))]
    # then
    for name, value in cases:
        assert ours.fold_binary(name, value) == stock.fold_binary(name, value), (name, value)


def boundaries(message) -> list[str]:
    return [part.get_boundary() for part in message.walk() if part.is_multipart()]


def stock_bytes_with(email, ours) -> bytes:
    """Django's own message of `email`, with the boundaries and Date of `ours`."""
    stock = EmailMultiAlternatives.message(email)
    for part, boundary in zip(
        (part for part in stock.walk() if part.is_multipart()), boundaries(ours), strict=True
    ):
        part.set_boundary(boundary)
    stock.replace_header("Date", ours["Date"])
    return stock.as_bytes(linesep="\r\n")


@pytest.mark.django_db
def test_an_emails_bytes_are_djangos_own():
    # given: English and French, with and without a brand, refunds and a label attached
    rows = queued(6, labels=True)
    # when
    emails = [build_message(row) for row in rows]
    # then
    assert all(isinstance(email, OutboxEmail) for email in emails)
    assert {len(email.attachments) for email in emails} == {0, 1}
    assert {email.from_email for email in emails} == {
        "Maison Lumière <returns@shop.example>",
        "Brand 6 <returns@shop.example>",
    }
    for email in emails:
        sender = email.from_email
        ours = email.message()
        assert email.from_email == sender  # as it was: Anymail and the others read it
        written = ours.as_bytes(linesep="\r\n")
        assert written == stock_bytes_with(email, ours)
        assert written.count(b"--" + boundaries(ours)[0].encode() + b"\r\n") == 2


@pytest.mark.django_db
def test_long_subjects_and_lines_are_encoded_as_django_encodes_them():
    # given: a subject over the line's length in both languages, a body line over 998 bytes
    ret = bare_return(language="fr")
    for subject in ("Votre retour est arrivé, " * 6, "Your return arrived, " * 6):
        email = OutboxEmail(
            subject=subject.strip(),
            body="é" * 600 + "\n" + "plain",
            from_email="Maison Lumière <returns@shop.example>",
            to=[ret.order.email],
            headers={"Message-ID": "<n-1@shop.example>", "X-Notification-ID": "1"},
        )
        email.attach_alternative("<p>" + "x " * 600 + "</p>", "text/html")
        email.attach("label.pdf", b"%PDF-1", "application/pdf")
        # when
        ours = email.message()
        # then
        assert ours.as_bytes(linesep="\r\n") == stock_bytes_with(email, ours)


def test_a_boundary_found_in_a_part_is_lengthened_as_the_generator_does(monkeypatch):
    # given: the first boundary drawn is in the body
    token = 1234
    boundary = "=" * 15 + f"{token:019d}" + "=="
    email = OutboxEmail(body=f"before\n--{boundary}\nafter", to=["c@example.com"])
    email.attach_alternative("<p>hi</p>", "text/html")
    monkeypatch.setattr("notifications.mime.random.randrange", lambda top: token)
    # when
    message = EmailMultiAlternatives.message(email)
    with_boundaries(message)
    # then
    assert message.get_boundary() == boundary + ".0"
