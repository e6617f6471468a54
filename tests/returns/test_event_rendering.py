"""The timeline is rendered when read, in the reader's language, whatever the actor's language:
events store a message code and its params (returns/events.py), never the text."""

import importlib
import re
from decimal import Decimal

import polib
import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from refunds.services import refund_create, refund_mark_refunded
from returns.events import MESSAGES, TEXT, money_param, parse_legacy_note, part, render_event
from returns.models import Return, ReturnEvent
from returns.notify import email_context
from returns.services import ReturnLineInput, return_create, return_receive
from tests.factories import StaffFactory, make_order
from tests.test_locale import LOCALE

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
TYPED = "Colis reçu ouvert, tout y est"  # what the agent typed: shown as typed to everyone


@pytest.fixture
def agent(db):
    return StaffFactory(is_superuser=True)


def settled_return(customer, agent, shop_settings, *, language: str) -> Return:
    """Store credit for 1 × 65.09, approved, received and credited by `agent` in `language`."""
    shop_settings.in_store_returns_allowed = True
    shop_settings.offer_store_credit = True
    shop_settings.save()
    order = make_order([(1, "65.09")], shipping="0.00", customer=customer)
    with translation.override(language):
        ret = return_create(
            actor=agent,
            order=order,
            lines=[
                ReturnLineInput(
                    order_line_id=order.lines.get().pk, quantity=1, reason_code="wrong-size"
                )
            ],
            refund_mode=Return.RefundMode.STORE_CREDIT,
            delivery_option=Return.DeliveryOption.IN_STORE,
            start_status="approved",
        )
        return_receive(actor=agent, ret=ret, note=TYPED)
        refund = refund_create(actor=agent, ret=Return.objects.get(pk=ret.pk), idempotency_key="k")
        refund_mark_refunded(actor=agent, refund=refund, reference="")
    return ret


def reader(language: str, user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


CUSTOMER_NOTES = {
    "en": ["", "", TYPED, "€65.09 credited to the store credit balance.", ""],
    "fr": ["", "", TYPED, f"65,09{NBSP}€ crédités sur le solde d'avoir.", ""],
}


@pytest.mark.parametrize(("actor_language", "reader_language"), [("fr", "en"), ("en", "fr")])
def test_the_customer_reads_the_timeline_in_their_language(
    customer, agent, shop_settings, reasons, actor_language, reader_language
):
    # given: the agent works in the other language
    ret = settled_return(customer, agent, shop_settings, language=actor_language)
    # when
    response = reader(reader_language, customer.user).get(f"/returns/{ret.rma_number}/")
    # then: the refund's message in the customer's words and format; the completion it caused
    # says nothing more
    assert response.status_code == 200
    assert [entry.note for entry in response.context["timeline"]] == CUSTOMER_NOTES[reader_language]


STAFF_TEXTS = {
    "en": [
        "",
        "",
        TYPED,
        "Refund of €65.09 created (store credit): items €65.09 = €65.09",
        "€65.09 credited to the store credit balance.",
        "€65.09 credited to the store credit balance.",
    ],
    "fr": [
        "",
        "",
        TYPED,
        f"Remboursement de 65,09{NBSP}€ créé (avoir){NBSP}: articles 65,09{NBSP}€ = 65,09{NBSP}€",
        f"65,09{NBSP}€ crédités sur le solde d'avoir.",
        f"65,09{NBSP}€ crédités sur le solde d'avoir.",
    ],
}


@pytest.mark.parametrize(("actor_language", "reader_language"), [("fr", "en"), ("en", "fr")])
def test_staff_read_the_timeline_in_their_language(
    customer, agent, shop_settings, reasons, actor_language, reader_language
):
    # given: written by a colleague working in the other language
    ret = settled_return(customer, agent, shop_settings, language=actor_language)
    colleague = StaffFactory(is_superuser=True)
    # when
    response = reader(reader_language, colleague).get(
        reverse("admin:returns_return_change", args=[ret.pk])
    )
    # then
    assert response.status_code == 200
    texts = [event.text for event in response.context["timeline"]]
    assert texts == STAFF_TEXTS[reader_language]
    assert f'<div class="note">{escape(texts[4])}</div>' in response.content.decode()


def test_rendering_a_timeline_reads_nothing_more_from_the_database(
    customer, agent, shop_settings, reasons, django_assert_num_queries
):
    # given: every kind of param (amounts, a choice, a frozen quote)
    ret = settled_return(customer, agent, shop_settings, language="fr")
    events = list(ret.events.all())
    # when / then
    with django_assert_num_queries(0), translation.override("en"):
        texts = [render_event(event) for event in events]
    assert texts == STAFF_TEXTS["en"]


def test_events_store_codes_and_exact_amounts_never_text(customer, agent, shop_settings, reasons):
    # when
    ret = settled_return(customer, agent, shop_settings, language="fr")
    # then
    refund_events = ret.events.filter(kind=ReturnEvent.Kind.REFUND).order_by("id")
    assert [(event.code, event.params.get("amount"), event.note) for event in refund_events] == [
        ("refund.created", {"amount": "65.09", "currency": "EUR"}, ""),
        ("refund.credited", {"amount": "65.09", "currency": "EUR"}, ""),
    ]
    received = ret.events.get(to_status="received")
    assert (received.code, received.params, received.note) == (TEXT, {}, TYPED)


# --- the catalogue ---------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def sample_params(code: str) -> dict:
    """A value for every placeholder of the message, of the kind the message says."""
    message = MESSAGES[code]
    with translation.override("en"):
        names = PLACEHOLDER.findall(str(message.text))
    params = {name: f"<{name}>" for name in names}
    for name in message.money:
        params[name] = money_param(Decimal("1234.50"), "EUR")
    for name, choice_field in message.choices.items():
        model_label, field_name = choice_field.rsplit(".", 1)
        choices = apps.get_model(model_label)._meta.get_field(field_name).flatchoices
        params[name] = choices[0][0]
    for name in message.names:
        params[name] = {"fr": "Remboursement", "en": "Refund"}
    for name in message.numbers:
        params[name] = 30
    return params


WRITTEN_CODES = sorted(code for code, message in MESSAGES.items() if message.text is not None)


@pytest.mark.parametrize("code", WRITTEN_CODES)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_message_renders_with_all_its_placeholders(code, language):
    # given
    event = ReturnEvent(code=code, params=sample_params(code), note="")
    # when
    with translation.override(language):
        text = render_event(event)
    # then: nothing left unfilled, amounts in the language's format
    assert text
    assert "%(" not in text
    assert ")s" not in text
    if MESSAGES[code].money:
        assert ("€1,234.50" if language == "en" else f"1{NBSP}234,50{NBSP}€") in text


def test_every_message_has_its_french_translation_with_the_same_placeholders():
    # given
    catalog = {
        entry.msgid: entry for entry in polib.pofile(str(LOCALE / "fr/LC_MESSAGES/django.po"))
    }
    # when
    missing, mismatched = [], []
    for code in WRITTEN_CODES:
        with translation.override("en"):
            msgid = str(MESSAGES[code].text)
        entry = catalog.get(msgid)
        if entry is None or not entry.msgstr or entry.fuzzy:
            missing.append(code)
        elif sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
            mismatched.append(code)
    # then
    assert (missing, mismatched) == ([], [])


def test_further_messages_and_the_typed_note_follow_the_message_one_line_each():
    # given
    event = ReturnEvent(
        code="refund.credited",
        params={
            "amount": money_param("65.09", "EUR"),
            "then": [part("refund.settled_by", user="Bob")],
        },
        note="Called the customer",
    )
    # when
    with translation.override("en"):
        english = render_event(event)
    with translation.override("fr"):
        french = render_event(event)
    # then
    assert english == (
        "€65.09 credited to the store credit balance.\nSettled by Bob.\nCalled the customer"
    )
    assert french == (
        f"65,09{NBSP}€ crédités sur le solde d'avoir.\nRéglé par Bob.\nCalled the customer"
    )


def test_a_name_typed_in_both_languages_is_read_in_the_readers():
    # given
    event = ReturnEvent(
        code="return.updated",
        params={
            "then": [
                part("return.action_changed", before="-", after={"fr": "Avoir", "en": "Credit"})
            ]
        },
    )
    # when / then
    with translation.override("en"):
        assert render_event(event) == "Action: - → Credit"
    with translation.override("fr"):
        assert render_event(event) == f"Action{NBSP}: - → Avoir"


# --- notes written before codes (migration 0004) ---------------------------------------------

EUR_65 = {"amount": "65.09", "currency": "EUR"}

LEGACY_NOTES = [
    # French
    (
        "65.09 EUR crédités sur le solde d'avoir.",
        ("refund.credited", {"amount": EUR_65}, ""),
    ),
    (
        "Le remboursement de 65.09 EUR a échoué.\nCarte expirée",
        ("refund.failed", {"amount": EUR_65}, "Carte expirée"),
    ),
    (
        "Scan du transporteur\u00a0: en transit — Lyon hub.",
        ("tracking.scan_details", {"status": "in_transit", "details": "Lyon hub"}, ""),
    ),
    (
        "Scan du transporteur\u00a0: livré — Lyon hub. En attente de contrôle.",
        (
            "tracking.scan_details",
            {
                "status": "delivered",
                "details": "Lyon hub",
                "then": [part("inspection.awaiting")],
            },
            "",
        ),
    ),
    (
        "Remboursement de 65.09 EUR créé (avoir)\u00a0: articles 65.09 = 65.09 EUR\n"
        "Geste commercial",
        (
            "refund.created",
            {"amount": EUR_65, "mode": "store_credit", "quote": "articles 65.09 = 65.09 EUR"},
            "Geste commercial",
        ),
    ),
    (
        "Frais de retour\u00a0: 0.00 EUR → 4.50 EUR",
        (
            "return.updated",
            {
                "then": [
                    part(
                        "return.fee_changed",
                        before={"amount": "0.00", "currency": "EUR"},
                        after={"amount": "4.50", "currency": "EUR"},
                    )
                ]
            },
            "",
        ),
    ),
    # English
    (
        "65.09 EUR credited to the store credit balance. Settled by Bob.",
        (
            "refund.credited",
            {"amount": EUR_65, "then": [part("refund.settled_by", user="Bob")]},
            "",
        ),
    ),
    (
        "Return label OL1 cancelled. Customer will drop it.",
        ("label.cancelled", {"number": "OL1"}, "Customer will drop it."),
    ),
    (
        "Label OL1 kept: the carrier already reported the parcel (in transit).",
        ("label.kept", {"number": "OL1", "status": "in_transit"}, ""),
    ),
    (
        "The return window of 30 days after delivery closed on Oct. 2, 2026.\n"
        "Override reason: Loyal customer",
        (
            "rule.overridden",
            {
                "reason": "Loyal customer",
                "then": [
                    {
                        "code": "refusal.window_closed",
                        "params": {"days": 30, "date": "Oct. 2, 2026"},
                    }
                ],
            },
            "",
        ),
    ),
    (
        "Le colis n'a pas été envoyé dans les 30 jours suivant l'approbation.",
        ("expiry.not_sent", {"days": 30}, ""),
    ),
    # typed by a person: kept as typed
    ("We will send a new one.", (TEXT, {}, "We will send a new one.")),
    (
        "Appelé la cliente\nelle renvoie demain",
        (TEXT, {}, "Appelé la cliente\nelle renvoie demain"),
    ),
]


@pytest.mark.parametrize(("note", "expected"), LEGACY_NOTES)
def test_a_legacy_note_gets_the_code_and_params_of_its_message(note, expected):
    assert parse_legacy_note(note) == expected


def test_the_migration_converts_old_notes_and_keeps_typed_ones(customer, agent, shop_settings):
    # given: events written as text before codes existed, in both languages
    order = make_order([(1, "65.09")], shipping="0.00", customer=customer)
    ret = Return.objects.create(order=order, refund_mode="store_credit", delivery_option="label")
    french = ReturnEvent.objects.create(ret=ret, note="65.09 EUR crédités sur le solde d'avoir.")
    english = ReturnEvent.objects.create(ret=ret, note="Refund of 65.09 EUR cancelled.")
    typed = ReturnEvent.objects.create(ret=ret, note="Sales are final.")
    migration = importlib.import_module("returns.migrations.0004_event_code_params")
    # when
    migration.notes_to_codes(apps, None)
    # then
    rows = ReturnEvent.objects.filter(pk__in=[french.pk, english.pk, typed.pk]).order_by("id")
    assert [(row.code, row.params, row.note) for row in rows] == [
        ("refund.credited", {"amount": EUR_65}, ""),
        ("refund.cancelled", {"amount": EUR_65}, ""),
        (TEXT, {}, "Sales are final."),
    ]
    with translation.override("en"):
        assert [render_event(row) for row in rows] == [
            "€65.09 credited to the store credit balance.",
            "Refund of €65.09 cancelled.",
            "Sales are final.",
        ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "€65.09 credited to the store credit balance."),
        ("fr", f"65,09{NBSP}€ crédités sur le solde d'avoir."),
    ],
)
def test_the_email_tells_the_event_in_the_emails_language(
    customer, agent, shop_settings, reasons, language, expected
):
    # given: credited by an agent working in the other language
    ret = settled_return(
        customer, agent, shop_settings, language="fr" if language == "en" else "en"
    )
    completion = ret.events.get(to_status="completed")
    # when
    with translation.override(language):
        context = email_context(ret, completion)
    # then
    assert context["note"] == expected
