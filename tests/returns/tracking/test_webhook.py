"""The carriers' tracking webhook: HMAC-signed with a timestamp, idempotent, moving the return."""

import hashlib
import hmac
import json
import logging
import time

import pytest
from django.test import Client
from django.urls import reverse

from returns.carriers.signing import signature, signature_header
from returns.models import (
    ReturnEvent,
    ReturnLine,
    ReturnStatus,
    TrackingEvent,
)
from shop.models import StockMovement
from tests.fixtures.web import english_client
from tests.returns.labels.helpers import approved_with_label, hours_later, label_of

pytestmark = pytest.mark.django_db

SECRET = "carrier-shared-secret"
URL = reverse("carrier_tracking_webhook", args=["offline"])


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.CARRIER_WEBHOOK_SECRET = SECRET


@pytest.fixture
def ret(staff, order):
    return approved_with_label(staff, order, 2)


def body_of(*events) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def event(label, status="in_transit", event_id="evt-1", at=None):
    return {
        "id": event_id,
        "tracking_number": label.tracking_number,
        "status": status,
        "occurred_at": at or hours_later(1),
        "location": "Lyon hub",
    }


def post(body: bytes, header: str | None = None, *, secret=SECRET, at=None):
    """POST `body` signed now (or at Unix time `at`) under `secret`, or with `header` as is."""
    headers = {}
    if header is None:
        header = signature_header(body, secret, at)
    if header:
        headers["HTTP_X_CARRIER_SIGNATURE"] = header
    # English: the notes the system writes follow the request's language (the shop's default
    # for a carrier), and the assertions read the English source strings.
    return english_client().post(URL, data=body, content_type="application/json", **headers)


def state(ret) -> dict:
    """What a refused or replayed webhook must leave as it is."""
    return {
        "status": ret.__class__.objects.get(pk=ret.pk).status,
        "events": ReturnEvent.objects.filter(ret=ret).count(),
        "tracking": TrackingEvent.objects.count(),
        "parcel": list(ret.labels.values_list("parcel_status", flat=True)),
    }


def test_a_good_signature_moves_the_return_in_transit(ret, notifications):
    # given
    label = label_of(ret)
    notifications.calls.clear()
    # when
    response = post(body_of(event(label)))
    # then
    assert response.status_code == 200
    assert response.json() == {"recorded": 1, "duplicates": 0, "unknown": 0, "moved": 1}
    ret.refresh_from_db()
    label.refresh_from_db()
    assert ret.status == ReturnStatus.IN_TRANSIT
    status_event = ret.events.filter(kind=ReturnEvent.Kind.STATUS).latest("id")
    assert (
        status_event.from_status,
        status_event.to_status,
        status_event.actor,
        status_event.text,
    ) == ("approved", "in_transit", None, "Carrier scan: in transit — Lyon hub.")
    assert label.parcel_status == "in_transit"
    assert list(TrackingEvent.objects.values_list("event_id", "raw_status", "status")) == [
        ("evt-1", "in_transit", "in_transit")
    ]
    assert notifications.events == ["in_transit"]


def test_a_bad_signature_is_403_and_changes_nothing(ret, notifications):
    # given
    body = body_of(event(label_of(ret)))
    before = state(ret)
    notifications.calls.clear()
    # when
    wrong_secret = post(body, secret="not-the-secret")
    no_signature = post(body, header="")
    tampered = post(body.replace(b"Lyon", b"Lille"), header=signature_header(body, SECRET))
    garbage = post(body, header="t=soon,v1=é")
    # then
    assert [
        wrong_secret.status_code,
        no_signature.status_code,
        tampered.status_code,
        garbage.status_code,
    ] == [403, 403, 403, 403]
    assert state(ret) == before
    assert notifications.calls == []


def test_without_a_configured_secret_every_request_is_refused(ret, settings):
    # given
    settings.CARRIER_WEBHOOK_SECRET = ""
    body = body_of(event(label_of(ret)))
    before = state(ret)
    # when
    response = post(body, header=signature_header(body, ""))
    # then
    assert response.status_code == 403
    assert state(ret) == before


def test_a_request_signed_outside_the_tolerance_is_a_replay_refused_changing_nothing(
    ret, settings, notifications, caplog
):
    # given: a request captured when it was sent, ten minutes ago (tolerance: five minutes)
    settings.CARRIER_WEBHOOK_TOLERANCE_SECONDS = 300
    body = body_of(event(label_of(ret)))
    now = int(time.time())
    before = state(ret)
    notifications.calls.clear()
    # when
    with caplog.at_level(logging.WARNING, logger="returns.webhooks"):
        replayed = post(body, at=now - 600)
        from_the_future = post(body, at=now + 600)
    # then
    assert (replayed.status_code, from_the_future.status_code) == (403, 403)
    assert state(ret) == before
    assert notifications.calls == []
    refusals = [r.getMessage() for r in caplog.records if r.name == "returns.webhooks"]
    assert len(refusals) == 2
    assert all(message.endswith("(tolerance 300 s)") for message in refusals)


def test_a_request_signed_a_little_while_ago_is_accepted(ret, settings):
    # given: within the tolerance (clock skew, a slow network)
    settings.CARRIER_WEBHOOK_TOLERANCE_SECONDS = 300
    body = body_of(event(label_of(ret)))
    # when
    response = post(body, at=int(time.time()) - 200)
    # then
    assert response.status_code == 200
    assert response.json()["recorded"] == 1


def test_a_signature_without_a_timestamp_or_with_a_moved_one_is_refused(ret, notifications):
    # given
    body = body_of(event(label_of(ret)))
    now = int(time.time())
    old_format = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    captured = signature_header(body, SECRET, now - 600)
    moved = captured.replace(f"t={now - 600}", f"t={now}")
    before = state(ret)
    notifications.calls.clear()
    # when
    responses = [post(body, header=old_format), post(body, header=moved)]
    # then
    assert [response.status_code for response in responses] == [403, 403]
    assert state(ret) == before
    assert notifications.calls == []


def test_while_the_secret_is_rotated_either_signature_is_accepted(ret, settings):
    # given: the carrier signs with the old and the new secret; we have the new one
    settings.CARRIER_WEBHOOK_SECRET = "the-new-secret"
    body = body_of(event(label_of(ret)))
    now = int(time.time())
    header = (
        f"t={now},v1={signature(body, 'the-old-secret', now)},"
        f"v1={signature(body, 'the-new-secret', now)}"
    )
    # when
    response = post(body, header=header)
    # then
    assert response.status_code == 200
    assert response.json()["recorded"] == 1


def test_a_carrier_named_in_the_settings_but_broken_is_404_not_500(ret, settings):
    # given
    settings.RETURN_CARRIERS = {**settings.RETURN_CARRIERS, "acme": "acme_returns.NotInstalled"}
    body = body_of(event(label_of(ret)))
    before = state(ret)
    # when
    response = english_client().post(
        reverse("carrier_tracking_webhook", args=["acme"]),
        data=body,
        content_type="application/json",
        HTTP_X_CARRIER_SIGNATURE=signature_header(body, SECRET),
    )
    # then
    assert response.status_code == 404
    assert state(ret) == before


def test_the_same_event_twice_changes_the_return_once(ret, notifications):
    # given
    body = body_of(event(label_of(ret)))
    first = post(body)
    after_first = state(ret)
    # when
    replay = post(body)
    # then
    assert first.json()["recorded"] == 1
    assert replay.status_code == 200
    assert replay.json() == {"recorded": 0, "duplicates": 1, "unknown": 0, "moved": 0}
    assert state(ret) == after_first
    assert notifications.events.count("in_transit") == 1


def test_an_unknown_tracking_number_is_200_ignored_and_logged(ret, caplog):
    # given
    before = state(ret)
    body = body_of(
        {
            "id": "evt-9",
            "tracking_number": "OL000000000X",
            "status": "delivered",
            "occurred_at": "2030-01-02T10:00:00Z",
        }
    )
    # when
    with caplog.at_level(logging.INFO, logger="returns.services.tracking"):
        response = post(body)
    # then
    assert response.status_code == 200
    assert response.json() == {"recorded": 0, "duplicates": 0, "unknown": 1, "moved": 0}
    assert state(ret) == before
    assert [record.getMessage() for record in caplog.records] == [
        "carrier offline event evt-9: unknown tracking number OL000000000X, ignored"
    ]


def test_an_unreadable_body_is_400_and_changes_nothing(ret):
    # given
    before = state(ret)
    # when
    not_json = post(b"<xml/>")
    missing = post(body_of({"id": "evt-1", "status": "delivered"}))
    # then
    assert (not_json.status_code, missing.status_code) == (400, 400)
    assert state(ret) == before


def test_an_unknown_carrier_is_404(ret):
    # when
    response = Client().post(
        reverse("carrier_tracking_webhook", args=["acme"]),
        data=b"{}",
        content_type="application/json",
    )
    # then
    assert response.status_code == 404


def test_delivery_waits_for_inspection_by_default(ret, notifications):
    # given
    label = label_of(ret)
    post(body_of(event(label, "in_transit", "evt-1")))
    notifications.calls.clear()
    movements = StockMovement.objects.count()
    # when
    response = post(body_of(event(label, "delivered", "evt-2", hours_later(2))))
    # then
    assert response.json()["moved"] == 1
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RECEIVED
    assert list(ReturnLine.objects.filter(ret=ret).values_list("received_quantity", flat=True)) == [
        None
    ]
    assert StockMovement.objects.count() == movements
    assert ret.events.filter(kind=ReturnEvent.Kind.STATUS).latest("id").text == (
        "Carrier scan: delivered — Lyon hub.\nAwaiting inspection."
    )
    assert notifications.events == ["received"]


def test_delivery_receives_at_once_when_the_shop_chooses(ret, shop_settings, notifications):
    # given
    shop_settings.delivered_parcels_need_inspection = False
    shop_settings.notify_parcel_received = False
    shop_settings.save()
    label = label_of(ret)
    notifications.calls.clear()
    # when: delivered straight away (no in-transit scan)
    post(body_of(event(label, "delivered", "evt-2")))
    # then
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RECEIVED
    assert list(ret.lines.values_list("received_quantity", flat=True)) == [2]
    assert StockMovement.objects.filter(kind="return").count() == 1
    assert notifications.calls == []


def test_the_customer_is_not_told_what_the_shop_does_not_want_told(
    ret, shop_settings, notifications
):
    # given
    shop_settings.notify_parcel_in_transit = False
    shop_settings.save()
    notifications.calls.clear()
    # when
    post(body_of(event(label_of(ret))))
    # then
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.IN_TRANSIT
    assert notifications.calls == []


def test_a_late_older_event_does_not_overwrite_the_parcel_status(ret):
    # given: delivered is reported first, the earlier in-transit scan after it
    label = label_of(ret)
    post(body_of(event(label, "delivered", "evt-2", hours_later(3))))
    # when
    post(body_of(event(label, "in_transit", "evt-1", hours_later(2))))
    # then
    label.refresh_from_db()
    ret.refresh_from_db()
    assert (label.parcel_status, ret.status) == ("delivered", ReturnStatus.RECEIVED)
    assert TrackingEvent.objects.count() == 2


def test_an_exception_is_written_for_staff(ret):
    # given
    label = label_of(ret)
    # when
    post(body_of({**event(label, "damaged"), "description": "Parcel damaged"}))
    # then
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.APPROVED
    note = ret.events.filter(kind=ReturnEvent.Kind.LABEL, visible_to_customer=False).get()
    assert note.text == "Carrier scan: exception — Lyon hub — Parcel damaged."
