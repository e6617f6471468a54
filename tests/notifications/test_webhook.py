"""Anymail's tracking webhook: the provider's delivered, bounced and complained reports update
the notification, and only an authenticated caller is heard."""

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
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


def sent_notification(message_id="pm-0001"):
    notification = notification_enqueue(ret=bare_return(), event="approved")
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.SENT, attempts=1, sent_at=timezone.now(), provider_message_id=message_id
    )
    return notification


def post(client, payload, credentials=SECRET):
    headers = {}
    if credentials:
        token = base64.b64encode(credentials.encode()).decode()
        headers["HTTP_AUTHORIZATION"] = f"Basic {token}"
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **headers)


def status_of(notification):
    return Notification.objects.get(pk=notification.pk).status


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
    payload = {"RecordType": "Delivery", "MessageID": "pm-0004"}
    # when
    anonymous = post(client, payload, credentials=None)
    wrong = post(client, payload, credentials="hook-user:guess")
    # then
    assert anonymous.status_code == 400
    assert wrong.status_code == 400
    assert status_of(notification) == Status.SENT


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
