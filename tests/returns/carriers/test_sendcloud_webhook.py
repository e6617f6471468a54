"""Sendcloud's webhook (POST /carriers/sendcloud/webhook/): its documented signature example,
a body changed by one byte refused, and its documented parcel_status_changed example moving a
matching return, once per event, out-of-order events ignored."""

import json
from copy import deepcopy
from datetime import UTC, datetime, timedelta

import pytest
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from returns.carriers import get_carrier
from returns.carriers.sendcloud import webhook_signature
from returns.carriers.signing import SignatureError
from returns.models import ReturnLabel, ReturnStatus, TrackingEvent
from tests.returns.carriers.conftest import SECRET_KEY
from tests.returns.labels.helpers import approved_with_label, label_of

pytestmark = pytest.mark.django_db

URL = reverse("sendcloud_webhook")

# Sendcloud's documented example of a parcel_status_changed webhook (sendcloud.dev, Webhooks,
# "Parcel status changed"), as published.
DOCUMENTED_EXAMPLE = {
    "action": "parcel_status_changed",
    "timestamp": 123,
    "carrier_status_change_timestamp": 123,
    "parcel": {
        "id": 1,
        "name": "Mr Bob",
        "company_name": "Sendcloud",
        "address": "Stadhuisplein 10",
        "address_divided": {"street": "Stadhuisplein", "house_number": 10},
        "city": "Eindhoven",
        "postal_code": "5611 EM",
        "telephone": "612345678",
        "email": "contact@sendcloud.com",
        "date_created": "2019-02-03T06:48:07",
        "tracking_number": "3SYZXG132912330",
        "weight": "2.000",
        "label": {
            "normal_printer": [
                "https://panel.sendcloud.sc/api/v2/label/normal_printer/3172?start_from=0&hash=bbfd669ee9ebb19408b85b33d181a50040fd9bc4"
            ],
            "label_printer": "https://panel.sendcloud.sc/api/v2/label/label_printer/3172?hash=bbfd669ee9ebb19408b85b33d181a50040fd9bc4",
        },
        "customs_declaration": {},
        "status": {"id": 1, "message": "Ready to send"},
        "data": {},
        "country": {"iso_3": "NLD", "iso_2": "NL", "name": "Netherlands"},
        "shipment": {"id": 1, "name": "PostNL Standard"},
        "order_number": "ORD12334",
        "shipment_uuid": "87e18823-016b-479b-b9e0-c5c0c4065452",
        "external_order_id": "AMZ23311",
        "external_shipment_id": "AMZ231231",
    },
}
EXAMPLE_TRACKING_NUMBER = "3SYZXG132912330"


@pytest.fixture
def ret(sendcloud, staff, order):
    """An approved return whose Sendcloud parcel is the documented example's."""
    made = approved_with_label(staff, order)
    ReturnLabel.objects.filter(ret=made).update(tracking_number=EXAMPLE_TRACKING_NUMBER)
    return made


def example(status_id=None, message=None, *, at=None) -> dict:
    """The documented example, as it arrives for a status change now (or at `at`): its
    timestamps (Unix milliseconds) made real, and another status when given."""
    body = deepcopy(DOCUMENTED_EXAMPLE)
    stamp = int((at or timezone.now()).timestamp() * 1000)
    body["timestamp"] = body["carrier_status_change_timestamp"] = stamp
    if status_id is not None:
        body["parcel"]["status"] = {"id": status_id, "message": message}
    return body


def post(body: bytes, signature: str | None = None):
    return Client().post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_SENDCLOUD_SIGNATURE=webhook_signature(body, SECRET_KEY)
        if signature is None
        else signature,
    )


def encoded(payload: dict) -> bytes:
    return json.dumps(payload).encode()


def test_the_signature_of_sendcloud_s_documented_example():
    # given: Sendcloud's example: the body {"key": "value"} under the secret "secretkey"
    body = b'{"key": "value"}'
    expected = "1eed4b3d41f4653ac64fd56f1bf1cbfd349e4482cbc11dff7134bd93e5da4b0a"
    # when / then
    assert webhook_signature(body, "secretkey") == expected


def test_the_documented_example_signature_is_accepted_and_one_byte_more_is_not(settings):
    # given
    settings.RETURN_CARRIERS = {
        "sendcloud": {
            "BACKEND": "returns.carriers.sendcloud.SendcloudCarrier",
            "OPTIONS": {"public_key": "p", "secret_key": "secretkey"},
        }
    }
    carrier = get_carrier("sendcloud")
    signed = {
        "Sendcloud-Signature": ("1eed4b3d41f4653ac64fd56f1bf1cbfd349e4482cbc11dff7134bd93e5da4b0a")
    }
    # when / then
    carrier.verify_webhook(b'{"key": "value"}', signed)
    with pytest.raises(SignatureError, match="does not match"):
        carrier.verify_webhook(b'{"key": "values"}', signed)
    with pytest.raises(SignatureError, match="no Sendcloud-Signature header"):
        carrier.verify_webhook(b'{"key": "value"}', {})


def test_the_documented_example_is_read_field_by_field(sendcloud):
    # when
    (event,) = get_carrier("sendcloud").parse_tracking_events(encoded(DOCUMENTED_EXAMPLE))
    # then
    assert (event.event_id, event.tracking_number, event.raw_status, event.status) == (
        "1:1:123",
        EXAMPLE_TRACKING_NUMBER,
        "Ready to send",
        "announced",
    )
    assert event.occurred_at == datetime(1970, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)


def test_the_documented_example_as_published_is_dated_before_the_label(ret):
    # given: its timestamp (123 ms after 1970) cannot be of a parcel we booked today
    body = encoded(DOCUMENTED_EXAMPLE)
    # when
    response = post(body)
    # then: refused as the other carriers' impossible dates are; nothing recorded
    assert response.status_code == 400
    assert response.json()["rejected"] == {"1:1:123": "dated before its label was made"}
    assert TrackingEvent.objects.count() == 0
    assert label_of(ret).parcel_status == ""


def test_the_documented_example_moves_the_matching_return(ret):
    # given: the example as it arrives when the parcel is first scanned (Parcel en route)
    body = encoded(example(91, "Parcel en route"))
    # when
    response = post(body)
    # then
    assert response.status_code == 200
    assert response.json() == {"recorded": 1, "duplicates": 0, "unknown": 0, "moved": 1}
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.IN_TRANSIT
    label = label_of(ret)
    assert label.parcel_status == "in_transit"
    event = TrackingEvent.objects.get()
    assert (event.carrier, event.raw_status, event.status, event.label_id) == (
        "sendcloud",
        "Parcel en route",
        "in_transit",
        label.pk,
    )


def test_the_example_announced_records_the_scan_and_moves_nothing(ret):
    # when
    response = post(encoded(example()))
    # then
    assert response.json() == {"recorded": 1, "duplicates": 0, "unknown": 0, "moved": 0}
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.APPROVED
    assert label_of(ret).parcel_status == "announced"


def test_the_same_webhook_twice_is_recorded_once(ret):
    # given
    body = encoded(example(91, "Parcel en route"))
    post(body)
    # when
    again = post(body)
    # then
    assert again.json() == {"recorded": 0, "duplicates": 1, "unknown": 0, "moved": 0}
    assert TrackingEvent.objects.count() == 1


def test_delivered_then_a_late_en_route_keeps_delivered(ret):
    # given: delivered, reported first
    now = timezone.now()
    post(encoded(example(11, "Delivered", at=now + timedelta(hours=2))))
    # when: an earlier scan arrives after it (Sendcloud's webhooks may come out of order)
    late = post(encoded(example(3, "En route to sorting center", at=now + timedelta(hours=1))))
    # then: recorded, the parcel stays delivered and the return received
    assert late.json() == {"recorded": 1, "duplicates": 0, "unknown": 0, "moved": 0}
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RECEIVED
    assert label_of(ret).parcel_status == "delivered"
    assert TrackingEvent.objects.count() == 2


def test_a_body_changed_by_one_byte_is_refused(ret):
    # given
    body = encoded(example(91, "Parcel en route"))
    signature = webhook_signature(body, SECRET_KEY)
    changed = body.replace(b'"id": 91', b'"id": 11')
    # when
    response = post(changed, signature)
    # then
    assert response.status_code == 403
    assert TrackingEvent.objects.count() == 0
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.APPROVED


def test_no_signature_or_another_secret_s_is_refused(ret):
    # given
    body = encoded(example(91, "Parcel en route"))
    # when
    unsigned = post(body, "")
    other = post(body, webhook_signature(body, "another-secret"))
    # then
    assert (unsigned.status_code, other.status_code) == (403, 403)
    assert TrackingEvent.objects.count() == 0


def test_a_signed_webhook_of_another_action_records_nothing(ret):
    # given
    body = encoded({"action": "integration_updated", "timestamp": 1525271885993})
    # when
    response = post(body)
    # then
    assert response.status_code == 200
    assert response.json() == {"recorded": 0, "duplicates": 0, "unknown": 0, "moved": 0}


def test_an_unreadable_signed_body_is_a_400(ret):
    # given
    body = encoded({"action": "parcel_status_changed", "timestamp": 1, "parcel": {}})
    # when
    response = post(body)
    # then
    assert response.status_code == 400
    assert TrackingEvent.objects.count() == 0


def test_without_sendcloud_configured_the_webhook_is_404():
    # when
    response = post(encoded(DOCUMENTED_EXAMPLE))
    # then
    assert response.status_code == 404


def test_without_its_secret_the_webhook_refuses_everything(settings, sendcloud):
    # given
    settings.RETURN_CARRIERS["sendcloud"]["OPTIONS"]["secret_key"] = ""
    body = encoded(example(91, "Parcel en route"))
    # when
    response = post(body, webhook_signature(body, ""))
    # then
    assert response.status_code == 403


def test_production_refuses_sendcloud_without_its_secret_nor_its_settings(settings):
    # given
    settings.DEBUG, settings.PRODUCTION = False, True
    settings.RETURN_CARRIERS = {
        "offline": "returns.carriers.offline.OfflineCarrier",
        "sendcloud": {
            "BACKEND": "returns.carriers.sendcloud.SendcloudCarrier",
            "OPTIONS": {"public_key": "p"},
        },
    }
    settings.CARRIER_WEBHOOK_SECRET = "offline-secret"
    # when
    errors = [e for e in run_checks() if e.id in ("returns.E001", "returns.E004")]
    # then
    assert [(e.id, e.msg) for e in errors] == [
        (
            "returns.E001",
            "carrier 'sendcloud' has no webhook secret: its tracking webhook refuses every event",
        ),
        (
            "returns.E004",
            "carrier 'sendcloud' is not fully configured: SENDCLOUD_PUBLIC_KEY "
            "and SENDCLOUD_SECRET_KEY must both be set",
        ),
        (
            "returns.E004",
            "carrier 'sendcloud' is not fully configured: SENDCLOUD_RETURN_ADDRESS "
            "lacks name, address_line_1, postal_code, city, country_code",
        ),
        (
            "returns.E004",
            "carrier 'sendcloud' is not fully configured: "
            "SENDCLOUD_SHIPPING_OPTIONS names no shipping option code",
        ),
    ]


def test_sendcloud_fully_configured_passes_the_production_checks(settings, sendcloud):
    # given
    settings.DEBUG, settings.PRODUCTION = False, True
    settings.CARRIER_WEBHOOK_SECRET = "offline-secret"
    # when
    errors = [e for e in run_checks() if e.id in ("returns.E001", "returns.E004")]
    # then
    assert errors == []
