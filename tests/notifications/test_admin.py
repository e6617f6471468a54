"""The back-office pages: the notification emails (edit, preview on a real return), the list of
notifications with its filters, and "send again" for a failed one."""

import pytest
from django.core import mail
from django.urls import reverse

from notifications.models import EmailTemplate, Notification
from notifications.services import notification_enqueue
from returns.models import ReturnEvent
from tests.factories import StaffFactory, bare_return
from tests.fixtures.notifications import publishing

pytestmark = pytest.mark.django_db

Status = Notification.Status
TEMPLATES_URL = "/admin/notifications/emailtemplate/"
NOTIFICATIONS_URL = "/admin/notifications/notification/"


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


def preview_url(event, language, **params):
    url = reverse("admin:notifications_emailtemplate_preview", args=[event, language])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def notification_with(status, *, event="approved", language="fr", error=""):
    notification = notification_enqueue(ret=bare_return(language=language), event=event)
    Notification.objects.filter(pk=notification.pk).update(
        status=status, attempts=1, last_error=error
    )
    return Notification.objects.get(pk=notification.pk)


# --- the notification emails page ------------------------------------------------------------


def test_the_emails_page_lists_every_event_in_both_languages(
    staff_client, django_assert_max_num_queries
):
    # given: one English template edited
    edited = EmailTemplate.objects.create(
        event="rejected", language="en", subject="s", text_body="t", html_body="h"
    )
    # when
    with django_assert_max_num_queries(12):
        response = staff_client.get(TEMPLATES_URL)
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("data-event=") == 28  # 14 events × 2 languages
    assert f'href="{TEMPLATES_URL}{edited.pk}/change/"' in page
    assert f'href="{TEMPLATES_URL}add/?event=rejected&amp;language=fr"' in page
    assert f'href="{preview_url("approved_with_label", "en")}"' in page


def test_customising_starts_from_the_default(staff_client):
    # when
    response = staff_client.get(TEMPLATES_URL + "add/?event=approved&language=en")
    # then
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["subject"] == "Your return {{ rma_number }} is approved\n"
    assert "Good news: your return {{ rma_number }} is approved." in form.initial["text_body"]
    assert '{% extends "emails/layout.en.html" %}' in form.initial["html_body"]


def test_staff_save_an_edited_template(staff_client, manager):
    # when
    response = staff_client.post(
        TEMPLATES_URL + "add/",
        {
            "event": "approved",
            "language": "en",
            "subject": "Approved: {{ rma_number }}",
            "text_body": "Ship it to {{ shop_name }}.",
            "html_body": "<p>Ship it</p>",
        },
    )
    # then
    assert response.status_code == 302
    saved = EmailTemplate.objects.get()
    assert (saved.event, saved.language, saved.subject) == (
        "approved",
        "en",
        "Approved: {{ rma_number }}",
    )
    assert saved.updated_by == manager


def test_a_template_error_is_shown_and_nothing_is_saved(staff_client):
    # when
    response = staff_client.post(
        TEMPLATES_URL + "add/",
        {
            "event": "approved",
            "language": "en",
            "subject": "{% if %}",
            "text_body": "ok",
            "html_body": "ok",
        },
    )
    # then
    assert response.status_code == 200
    assert "Template error" in str(response.context["adminform"].form.errors["subject"])
    assert EmailTemplate.objects.count() == 0


def test_save_and_preview_goes_to_the_preview(staff_client):
    # given
    template = EmailTemplate.objects.create(
        event="approved", language="fr", subject="s", text_body="t", html_body="h"
    )
    # when
    response = staff_client.post(
        f"{TEMPLATES_URL}{template.pk}/change/",
        {
            "subject": "Nouveau {{ rma_number }}",
            "text_body": "t",
            "html_body": "h",
            "_preview": "1",
        },
    )
    # then
    assert response.status_code == 302
    assert response.url == preview_url("approved", "fr")
    template.refresh_from_db()
    assert template.subject == "Nouveau {{ rma_number }}"


def test_the_preview_renders_the_default_on_the_latest_return(staff_client):
    # given
    bare_return(language="en", items=[("Old coat", "S", 1)])
    latest = bare_return(language="en", items=[("Rain jacket", "M", 2)])
    # when
    response = staff_client.get(preview_url("approved_with_label", "en"))
    # then
    assert response.status_code == 200
    assert response.context["ret"] == latest
    rendered = response.context["rendered"]
    assert rendered.subject == f"Your return {latest.rma_number} is approved: your label is ready"
    assert "2 × Rain jacket (M)" in rendered.text_body
    page = response.content.decode()
    assert 'sandbox="" srcdoc="&lt;!doctype html&gt;' in page


def test_the_preview_escapes_what_customers_typed(staff_client):
    # given: a product whose name looks like markup
    bare_return(language="en", items=[("<script>alert(1)</script>", "", 1)])
    # when
    response = staff_client.get(preview_url("received", "en"))
    # then: shown as text in the page, and in the HTML preview
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "1 × &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&amp;lt;script&amp;gt;" in page  # escaped once in the email, once for srcdoc


def test_the_preview_renders_staffs_version_on_the_return_asked_for(staff_client):
    # given
    EmailTemplate.objects.create(
        event="received",
        language="fr",
        subject="Reçu : {{ rma_number }}",
        text_body="{{ order_number }}",
        html_body="<b>{{ shop_name }}</b>",
    )
    chosen = bare_return()
    bare_return()
    # when
    response = staff_client.get(preview_url("received", "fr", **{"return": chosen.rma_number}))
    # then
    rendered = response.context["rendered"]
    assert rendered.subject == f"Reçu : {chosen.rma_number}"
    assert rendered.text_body == f"{chosen.order.number}\n"
    assert rendered.html_body == "<b>Maison Lumière</b>"


def test_the_preview_says_when_there_is_no_return(staff_client):
    # when
    empty = staff_client.get(preview_url("approved", "fr"))
    bare_return()
    unknown = staff_client.get(preview_url("approved", "fr", **{"return": "R-NOPE"}))
    # then
    assert empty.status_code == 200
    assert "There is no return yet" in empty.content.decode()
    assert "rendered" not in empty.context
    assert "No return has that number." in unknown.content.decode()


def test_the_preview_of_an_unknown_event_is_404(staff_client):
    assert staff_client.get(preview_url("teleported", "fr")).status_code == 404
    assert staff_client.get(preview_url("approved", "de")).status_code == 404


def test_staff_without_the_permission_cannot_preview(client):
    # given
    client.force_login(StaffFactory())
    bare_return()
    # when
    response = client.get(preview_url("approved", "fr"))
    # then
    assert response.status_code == 403


# --- the notifications list and "send again" -------------------------------------------------


def test_the_list_filters_by_status_event_and_language(staff_client, django_assert_max_num_queries):
    # given
    failed = notification_with(Status.FAILED, event="approved", language="en", error="boom")
    notification_with(Status.SENT, event="approved", language="en")
    notification_with(Status.FAILED, event="received", language="fr")
    # when
    with django_assert_max_num_queries(12):
        response = staff_client.get(
            NOTIFICATIONS_URL + "?status__exact=failed&event__exact=approved&language__exact=en"
        )
    # then
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [failed]
    assert "boom" in response.content.decode()


def test_a_failed_notification_shows_the_send_again_button(staff_client):
    # given
    failed = notification_with(Status.FAILED)
    sent = notification_with(Status.SENT)
    resend_url = reverse("admin:notifications_notification_resend", args=[failed.pk])
    # when
    failed_page = staff_client.get(f"{NOTIFICATIONS_URL}{failed.pk}/change/")
    sent_page = staff_client.get(f"{NOTIFICATIONS_URL}{sent.pk}/change/")
    # then
    assert failed_page.status_code == 200
    assert f'action="{resend_url}"' in failed_page.content.decode()
    assert "Send again" not in sent_page.content.decode()


def test_send_again_makes_a_new_attempt_and_an_event(
    staff_client, manager, eager_celery, django_capture_on_commit_callbacks
):
    # given: an email that failed after one attempt
    failed = notification_with(Status.FAILED, error="AnymailRecipientsRefused")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:notifications_notification_resend", args=[failed.pk])
        )
    # then
    assert response.status_code == 302
    sent = Notification.objects.get(pk=failed.pk)
    assert sent.status == Status.SENT
    assert sent.attempts == 2
    assert len(mail.outbox) == 1
    event = ReturnEvent.objects.get(ret=failed.ret, kind=ReturnEvent.Kind.NOTIFICATION)
    assert event.actor == manager
    assert event.visible_to_customer is False
    assert failed.recipient in event.text


def test_send_again_refuses_an_email_that_did_not_fail(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    sent = notification_with(Status.SENT)
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client.post(
            reverse("admin:notifications_notification_resend", args=[sent.pk]), follow=True
        )
    # then
    assert "Only a failed or bounced email can be sent again" in response.content.decode()
    assert Notification.objects.get(pk=sent.pk).status == Status.SENT
    assert ReturnEvent.objects.filter(kind=ReturnEvent.Kind.NOTIFICATION).count() == 0
    assert publishing(callbacks) == []


def test_send_again_needs_the_permission(client, django_capture_on_commit_callbacks):
    # given: staff who may see notifications, not send them again
    from django.contrib.auth.models import Permission

    clerk = StaffFactory()
    clerk.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(clerk)
    failed = notification_with(Status.FAILED)
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = client.get(f"{NOTIFICATIONS_URL}{failed.pk}/change/")
        response = client.post(
            reverse("admin:notifications_notification_resend", args=[failed.pk]), follow=True
        )
    # then
    assert "Send again" not in page.content.decode()
    assert "You are not allowed to send notifications again." in response.content.decode()
    assert Notification.objects.get(pk=failed.pk).status == Status.FAILED
    assert ReturnEvent.objects.filter(kind=ReturnEvent.Kind.NOTIFICATION).count() == 0
    assert publishing(callbacks) == []


def test_the_action_sends_the_failed_ones_again_and_skips_the_others(staff_client):
    # given
    failed = notification_with(Status.FAILED)
    bounced = notification_with(Status.BOUNCED)
    sent = notification_with(Status.SENT)
    # when
    response = staff_client.post(
        NOTIFICATIONS_URL,
        {"action": "resend_selected", "_selected_action": [failed.pk, bounced.pk, sent.pk]},
        follow=True,
    )
    # then
    page = response.content.decode()
    assert "2 emails will be sent again." in page
    assert "1 email was skipped" in page
    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert statuses == {failed.pk: Status.QUEUED, bounced.pk: Status.QUEUED, sent.pk: Status.SENT}
    assert ReturnEvent.objects.filter(kind=ReturnEvent.Kind.NOTIFICATION).count() == 2


def test_the_inline_lists_a_returns_notifications_read_only(rf, manager):
    # given
    from django.contrib import admin

    from notifications.admin import NotificationInline
    from returns.models import Return

    failed = notification_with(Status.FAILED, error="refused")
    notification_with(Status.SENT)  # another return's
    request = rf.get("/")
    request.user = manager
    inline = NotificationInline(Return, admin.site)
    # when
    formset = inline.get_formset(request, failed.ret)(instance=failed.ret)
    # then
    assert [form.instance for form in formset.forms] == [failed]
    assert "last_error" in inline.get_readonly_fields(request, failed.ret)
    assert inline.has_add_permission(request, failed.ret) is False
    assert inline.has_change_permission(request, failed.ret) is False
