"""The email templates: a default per event and language, or staff's version, rendered with the
shop, the return, its items, its status, the amount and the link."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from notifications.emails import PARTS, render_email, render_notification
from notifications.events import EDITABLE_EVENTS
from notifications.models import EmailTemplate, compile_template_source
from notifications.services import notification_enqueue
from refunds.models import Refund, RefundStatus
from returns.notify import email_context
from shop.models import ShopSettings
from tests.factories import bare_return

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("event", [event.value for event in EDITABLE_EVENTS])
def test_every_event_has_a_default_email_in_every_language(event, language):
    # given
    ShopSettings.objects.update_or_create(pk=1, defaults={"shop_name": "Atelier Nord"})
    ret = bare_return(language=language, items=[("Wool scarf", "Grey", 1), ("Cap", "", 3)])
    # when
    email = render_email(event, language, email_context(ret))
    # then
    assert ret.rma_number in email.subject
    assert "\n" not in email.subject
    for body in (email.text_body, email.html_body):
        assert "Atelier Nord" in body
        assert ret.rma_number in body
        assert "Wool scarf" in body
        assert "Cap" in body
        assert f"http://127.0.0.1:8000/returns/{ret.rma_number}/" in body
    assert "1 × Wool scarf (Grey)" in email.text_body
    assert "3 × Cap\n" in email.text_body
    assert f'<html lang="{language}">' in email.html_body
    assert "{{" not in email.text_body + email.html_body


def test_the_refund_amount_appears_in_the_customers_format():
    # given: a French customer refunded 33.73 (a pending refund paid nothing yet)
    ret = bare_return(language="fr")
    Refund.objects.create(
        ret=ret,
        order=ret.order,
        amount=Decimal("33.73"),
        currency="EUR",
        quote={},
        mode="original_payment",
        idempotency_key="k-1",
        status=RefundStatus.REFUNDED,
    )
    notification = notification_enqueue(ret=ret, event="refunded")
    # when
    email = render_notification(notification)
    # then
    assert "Nous vous avons remboursé 33,73\u00a0€" in email.text_body
    assert "Montant : 33,73\u00a0€" in email.text_body
    assert "33,73\u00a0€" in email.html_body


def test_a_refund_not_yet_paid_is_not_told_as_refunded():
    # given: a refund created but not marked refunded
    ret = bare_return(language="en")
    Refund.objects.create(
        ret=ret,
        order=ret.order,
        amount=Decimal("33.73"),
        currency="EUR",
        quote={},
        mode="original_payment",
        idempotency_key="k-2",
    )
    # when
    context = email_context(ret)
    # then: the email's figure is the money state's refunded amount, like the pages'
    assert context["refund_amount"] is None


def test_without_a_refund_the_amount_is_left_out():
    # given
    ret = bare_return(language="en")
    # when
    email = render_email("refunded", "en", email_context(ret))
    # then
    assert "Amount" not in email.text_body
    assert "We have refunded you on your original payment method." in email.text_body


def test_html_escapes_what_customers_and_staff_typed_but_text_does_not():
    # given
    ret = bare_return(language="en", items=[("Tom & Jerry <mug>", "", 1)])
    # when
    email = render_email("received", "en", email_context(ret))
    # then
    assert "Tom &amp; Jerry &lt;mug&gt;" in email.html_body
    assert "1 × Tom & Jerry <mug>" in email.text_body


def test_staffs_version_replaces_the_default():
    # given
    EmailTemplate.objects.create(
        event="approved",
        language="en",
        subject="OK for {{ rma_number }}!",
        text_body="Send it back to {{ shop_name }}.",
        html_body="<p>{{ status_label }}</p>",
    )
    ret = bare_return(language="en")
    notification = notification_enqueue(ret=ret, event="approved")
    # when
    email = render_notification(notification)
    # then
    assert email.subject == f"OK for {ret.rma_number}!"
    assert email.text_body == "Send it back to Maison Lumière.\n"
    assert email.html_body == "<p>We have your request</p>"


def test_the_other_language_keeps_its_default():
    # given: only the English version is edited
    EmailTemplate.objects.create(
        event="approved", language="en", subject="Edited", text_body="Edited", html_body="Edited"
    )
    ret = bare_return(language="fr")
    # when
    email = render_email("approved", "fr", email_context(ret))
    # then
    assert email.subject == f"Votre retour {ret.rma_number} est accepté"


def test_a_template_with_a_syntax_error_cannot_be_saved():
    # given
    template = EmailTemplate(
        event="approved",
        language="en",
        subject="{% if %}",
        text_body="{{ rma_number }}",
        html_body="{% for %}",
    )
    # when
    with pytest.raises(ValidationError) as raised:
        template.full_clean()
    # then
    assert set(raised.value.message_dict) == {"subject", "html_body"}
    assert EmailTemplate.objects.count() == 0


def test_three_parts_are_rendered():
    assert list(PARTS) == ["subject", "text_body", "html_body"]


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Our return policy"), ("fr", "Notre politique de retour")]
)
@pytest.mark.parametrize("event", [event.value for event in EDITABLE_EVENTS])
def test_every_email_links_to_the_return_policy_in_its_footer(event, language, words):
    # given
    ret = bare_return(language=language)
    # when
    email = render_email(event, language, email_context(ret))
    # then
    assert f'<a href="http://127.0.0.1:8000/return-policy/" style="color:#6b7280;">{words}</a>' in (
        email.html_body
    )
    assert "http://127.0.0.1:8000/return-policy/" in email.text_body


def test_each_template_text_is_compiled_once_and_an_edit_is_a_new_text():
    # given: two returns and nothing compiled yet
    compile_template_source.cache_clear()
    first, second = bare_return(language="en"), bare_return(language="en")
    # when: the same email twice
    render_email("approved", "en", email_context(first))
    email = render_email("approved", "en", email_context(second))
    # then: three parts compiled once, found again the second time, each email its own
    assert compile_template_source.cache_info().misses == 3
    assert compile_template_source.cache_info().hits == 3
    assert second.rma_number in email.subject
    # and staff's edit is a new text, used at once
    EmailTemplate.objects.create(
        event="approved",
        language="en",
        subject="Edited {{ rma_number }}",
        text_body="t",
        html_body="h",
    )
    assert render_email("approved", "en", email_context(first)).subject == (
        f"Edited {first.rma_number}"
    )
