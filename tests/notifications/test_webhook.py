"""Anymail's tracking webhook: the provider's delivered, bounced and complained reports update
the notification; only an authenticated caller is heard, never while the secret is unset, and
only the provider we send with has an endpoint."""

import base64
import json

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notification_enqueue, notification_record_tracking
from tests.factories import bare_return

pytestmark = pytest.mark.django_db

Status = Notification.Status
URL = "/anymail/postmark/tracking/"
SECRET = "hook-user:hook-password"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    # We send through Postmark (nothing is sent here: the rows are made sent below).
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


def sent_notification(message_id="pm-0001"):
    notification = notification_enqueue(ret=bare_return(), event="approved")
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.SENT, attempts=1, sent_at=timezone.now(), provider_message_id=message_id
    )
    return notification


def post(client, payload, credentials=SECRET, url=URL):
    headers = {}
    if credentials:
        token = base64.b64encode(credentials.encode()).decode()
        headers["HTTP_AUTHORIZATION"] = f"Basic {token}"
    return client.post(url, data=json.dumps(payload), content_type="application/json", **headers)


def status_of(notification):
    return Notification.objects.get(pk=notification.pk).status


def state_of(notification):
    """What a refused report must leave as it is."""
    row = Notification.objects.get(pk=notification.pk)
    return row.status, row.last_error, row.attempts, Notification.objects.count()


def forged_bounce(message_id):
    return {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "ID": 666,
        "MessageID": message_id,
        "Email": "someone@example.com",
        "Description": "forged",
        "BouncedAt": "2026-01-02T10:00:00Z",
    }


def test_a_delivery_report_marks_the_notification_delivered(client):
    # given
    notification = sent_notification("pm-0001")
    # when
    response = post(
        client,
        {
            "RecordType": "Delivery",
            "MessageID": "pm-0001",
            "Recipient": notification.recipient,
            "DeliveredAt": "2026-01-02T10:00:00Z",
        },
    )
    # then
    assert response.status_code == 200
    assert status_of(notification) == Status.DELIVERED


def test_a_bounce_marks_it_bounced_with_the_reason(client):
    # given
    notification = sent_notification("pm-0002")
    # when
    response = post(
        client,
        {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "ID": 42,
            "MessageID": "pm-0002",
            "Email": notification.recipient,
            "Description": "The server was unable to deliver your message",
            "BouncedAt": "2026-01-02T10:00:00Z",
        },
    )
    # then
    assert response.status_code == 200
    bounced = Notification.objects.get(pk=notification.pk)
    assert bounced.status == Status.BOUNCED
    assert bounced.last_error == "bounced: The server was unable to deliver your message"
    assert bounced.can_resend


def test_a_spam_complaint_marks_it_complained(client):
    # given
    notification = sent_notification("pm-0003")
    # when
    post(
        client,
        {
            "RecordType": "SpamComplaint",
            "Type": "SpamComplaint",
            "ID": 43,
            "MessageID": "pm-0003",
            "Email": notification.recipient,
            "BouncedAt": "2026-01-02T10:00:00Z",
        },
    )
    # then
    assert status_of(notification) == Status.COMPLAINED


def test_a_caller_without_the_secret_is_refused_and_changes_nothing(client):
    # given
    notification = sent_notification("pm-0004")
    before = state_of(notification)
    # when
    anonymous = post(client, forged_bounce("pm-0004"), credentials=None)
    wrong = post(client, forged_bounce("pm-0004"), credentials="hook-user:guess")
    # then
    assert (anonymous.status_code, wrong.status_code) == (403, 403)
    assert state_of(notification) == before


@pytest.mark.parametrize("unset", [None, "", []])
def test_without_a_configured_secret_a_forged_bounce_is_refused_and_changes_nothing(
    client, settings, unset
):
    # given: ANYMAIL_WEBHOOK_SECRET unset (Anymail alone would accept anyone)
    settings.ANYMAIL = {
        key: value for key, value in settings.ANYMAIL.items() if key != "WEBHOOK_SECRET"
    }
    if unset is not None:
        settings.ANYMAIL["WEBHOOK_SECRET"] = unset
    notification = sent_notification("pm-0008")
    before = state_of(notification)
    # when
    anonymous = post(client, forged_bounce("pm-0008"), credentials=None)
    guessing = post(client, forged_bounce("pm-0008"), credentials=":")
    # then
    assert (anonymous.status_code, guessing.status_code) == (403, 403)
    assert state_of(notification) == before


@pytest.mark.parametrize(
    "url",
    [
        "/anymail/mailgun/tracking/",  # a provider we do not send with
        "/anymail/mandrill/tracking/",
        "/anymail/postmark/inbound/",  # inbound mail: not ours
        "/anymail/mandrill/",
        "/anymail/nobody/tracking/",
    ],
)
def test_only_the_provider_we_send_with_has_an_endpoint(client, url):
    # given
    notification = sent_notification("pm-0009")
    before = state_of(notification)
    # when
    response = post(client, forged_bounce("pm-0009"), url=url)
    # then
    assert response.status_code == 404
    assert state_of(notification) == before


def test_without_an_anymail_backend_there_is_no_tracking_endpoint(client, settings):
    # given: sending through SMTP
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    notification = sent_notification("pm-0010")
    before = state_of(notification)
    # when
    response = post(client, forged_bounce("pm-0010"))
    # then
    assert response.status_code == 404
    assert state_of(notification) == before


@pytest.mark.parametrize(
    ("backend", "url"),
    [
        ("anymail.backends.mailgun.EmailBackend", "/anymail/mailgun/tracking/"),
        ("anymail.backends.mandrill.EmailBackend", "/anymail/mandrill/tracking/"),
        ("anymail.backends.postal.EmailBackend", "/anymail/postal/tracking/"),
    ],
)
def test_our_provider_without_its_own_webhook_key_is_404_not_500(client, settings, backend, url):
    # given: the provider signs its webhooks and its key is not set
    settings.EMAIL_BACKEND = backend
    notification = sent_notification("pm-0011")
    before = state_of(notification)
    # when
    response = post(client, forged_bounce("pm-0011"), url=url)
    # then
    assert response.status_code == 404
    assert state_of(notification) == before


def test_a_late_delivery_report_does_not_hide_a_bounce():
    # given
    notification = sent_notification("pm-0005")
    notification_record_tracking(event_type="bounced", message_id="pm-0005")
    # when
    changed = notification_record_tracking(event_type="delivered", message_id="pm-0005")
    # then
    assert changed == 0
    assert status_of(notification) == Status.BOUNCED


def test_the_notification_is_found_by_its_metadata_when_the_id_is_unknown():
    # given: a provider whose report carries our metadata but another message id
    notification = sent_notification("pm-0006")
    # when
    changed = notification_record_tracking(
        event_type="delivered",
        message_id="other-id",
        metadata={"notification_id": str(notification.pk)},
    )
    # then
    assert changed == 1
    assert status_of(notification) == Status.DELIVERED


def test_opens_clicks_and_unknown_messages_change_nothing():
    # given
    notification = sent_notification("pm-0007")
    # when
    results = [
        notification_record_tracking(event_type="opened", message_id="pm-0007"),
        notification_record_tracking(event_type="delivered", message_id="nobody"),
        notification_record_tracking(event_type="delivered", message_id=None),
    ]
    # then
    assert results == [0, 0, 0]
    assert status_of(notification) == Status.SENT
