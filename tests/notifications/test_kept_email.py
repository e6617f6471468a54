"""The email of a return whose items the customer keeps (returns/services/keeping.py): queued in
the outbox when it is approved (at once by a rule, or by staff), sent in the customer's
language, saying there is nothing to send back and how the return is settled; the approval's
"send your parcel" email is not sent. returns.notify.status_change_email decides it."""

import pytest
from django.core import mail

from notifications.delivery import deliver_notification
from notifications.emails import render_email
from notifications.models import Notification
from returns.models import Return, ReturnRule, ReturnStatus
from returns.notify import email_context, status_change_email
from returns.services.transitions import return_approve
from tests.factories import make_order, superuser
from tests.returns.helpers import request
from tests.returns.rules.helpers import rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def cheap_order(customer, reasons, shop_settings):
    """A 9.90 candle and a 45.00 lamp, 6.00 shipping."""
    return make_order([(1, "9.90"), (1, "45.00")], customer=customer)


@pytest.fixture
def keep_cheap_items(db):
    return rule(ReturnRule.Action.KEEP_ITEM, name="Keep it", item_value_below="15.00")


def kept_return(order, language, **kwargs):
    order.customer.language = language
    order.customer.save(update_fields=["language"])
    return request(order, 1, 0, **kwargs)


def test_a_kept_return_received_on_approval_sends_the_kept_email(cheap_order, keep_cheap_items):
    ret = kept_return(cheap_order, "en")
    assert status_change_email(ret, ReturnStatus.RECEIVED) == "kept"
    # a parcel that does come back is received as ever
    assert status_change_email(Return(keep_item=False), ReturnStatus.RECEIVED) == "received"


@pytest.mark.parametrize(
    ("language", "subject", "kept", "settled"),
    [
        (
            "en",
            "Return {rma}: keep the items, nothing to send back",
            "you may keep the items: there is no parcel to send back and no label to print.",
            "We are refunding you on your original payment method",
        ),
        (
            "fr",
            "Retour {rma} : gardez les articles, rien à renvoyer",
            "vous pouvez garder les articles : aucun colis à renvoyer, aucune étiquette à "
            "imprimer.",
            "Nous vous remboursons sur votre moyen de paiement d'origine",
        ),
    ],
)
def test_the_customer_is_emailed_through_the_outbox_in_their_language(
    cheap_order, keep_cheap_items, language, subject, kept, settled
):
    # given: a return the rule keeps, waiting for staff
    ret = kept_return(cheap_order, language)
    assert ret.status == ReturnStatus.REQUESTED
    # when
    return_approve(actor=superuser(), ret=ret)
    # then: the kept email queued with the change, no "approved" one
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RECEIVED
    events = list(
        Notification.objects.filter(ret=ret).order_by("id").values_list("event", flat=True)
    )
    assert events == ["requested", "kept"]
    notification = Notification.objects.get(ret=ret, event="kept")
    assert notification.return_event.code == "return.kept"
    # and the worker sends it in the customer's language
    mail.outbox.clear()
    assert deliver_notification(notification_id=notification.pk).status == "sent"
    [message] = mail.outbox
    assert message.to == [cheap_order.customer.email]
    assert message.subject == subject.format(rma=ret.rma_number)
    assert kept in message.body
    assert settled in message.body
    html = message.alternatives[0][0]
    assert f'<html lang="{language}">' in html
    assert "no label to print" in html or "aucune étiquette à imprimer" in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "We are adding the store credit to your account"),
        ("fr", "Nous ajoutons l'avoir à votre compte"),
    ],
)
def test_a_store_credit_kept_says_the_credit_comes(
    cheap_order, keep_cheap_items, shop_settings, language, words
):
    # given
    shop_settings.offer_store_credit = True
    shop_settings.save()
    ret = kept_return(cheap_order, language, refund_mode=Return.RefundMode.STORE_CREDIT)
    # when
    email = render_email("kept", language, email_context(ret))
    # then
    assert words in email.text_body
    assert words in email.html_body
    assert "rembours" not in email.text_body.split("\n\n")[1]


def test_an_exchange_kept_names_the_item_sent(cheap_order, keep_cheap_items):
    # given: the context the outbox gives for an exchange for another item
    ret = kept_return(cheap_order, "en")
    context = {**email_context(ret), "refund_mode": "exchange", "exchange_item": "Candle (Red)"}
    # when
    email = render_email("kept", "en", context)
    # then
    assert "We are sending you Candle (Red) in exchange" in email.text_body


def test_a_rule_approving_at_once_sends_only_the_kept_email(
    cheap_order, keep_cheap_items, notifications
):
    # given
    rule(ReturnRule.Action.AUTO_APPROVE, name="At once")
    # when
    ret = kept_return(cheap_order, "fr")
    # then
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RECEIVED
    assert notifications.events == ["kept"]


def test_staff_approving_without_notifying_send_nothing(
    cheap_order, keep_cheap_items, notifications
):
    # given
    ret = kept_return(cheap_order, "en")
    # when
    return_approve(actor=superuser(), ret=ret, notify=False)
    # then
    assert notifications.events == ["requested"]
