"""Carriers plug in through the interface and settings.RETURN_CARRIERS: a carrier of the
tests' own makes the labels of its shipping method, cancels them, and reads its own webhook
format under its own secret."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from returns.carriers import (
    Carrier,
    CarrierError,
    CarrierEvent,
    LabelResult,
    UnknownCarrierError,
    carrier_choices,
    get_carrier,
)
from returns.carriers.signing import signature_header
from returns.errors import ReturnError
from returns.models import ReturnRule, ReturnStatus
from returns.services import labels
from tests.returns.helpers import grant
from tests.returns.labels.helpers import approved_with_label, hours_later, label_of
from tests.returns.rules.helpers import method, rule

pytestmark = pytest.mark.django_db


class AcmeCarrier(Carrier):
    """A carrier with a remote API, as far as the returns app can tell."""

    name = "Acme Parcels"
    booked: list[str] = []
    voided: list[str] = []

    def create_label(self, ret, *, method=None) -> LabelResult:
        number = f"{self.options['prefix']}{len(self.booked) + 1:06d}"
        self.booked.append(number)
        return LabelResult(
            tracking_number=number, pdf=b"%PDF-1.4 acme", carrier_reference=f"shipment-{number}"
        )

    def cancel_label(self, label) -> None:
        if label.carrier_reference == "shipment-locked":
            raise CarrierError("shipment already manifested")
        self.voided.append(label.carrier_reference)

    def parse_tracking_events(self, payload: bytes) -> list[CarrierEvent]:
        data = json.loads(payload)
        statuses = {"SCAN": "in_transit", "POD": "delivered"}
        return [
            CarrierEvent(
                event_id=item["uid"],
                tracking_number=item["parcel"],
                raw_status=item["code"],
                status=statuses.get(item["code"], ""),
                occurred_at=parse_datetime(item["at"]),
            )
            for item in data["scans"]
        ]


@pytest.fixture
def acme(settings):
    AcmeCarrier.booked, AcmeCarrier.voided = [], []
    settings.RETURN_CARRIERS = {
        **settings.RETURN_CARRIERS,
        "acme": {
            "BACKEND": "tests.returns.labels.test_carriers.AcmeCarrier",
            "OPTIONS": {"prefix": "AC"},
        },
    }
    settings.CARRIER_WEBHOOK_SECRET = "shared"
    settings.CARRIER_WEBHOOK_SECRETS = {"acme": "acme-secret"}
    rule(ReturnRule.Action.SHIP_WITH, shipping_method=method("acme-home", carrier="acme"))


def test_the_rule_s_method_carrier_makes_and_cancels_the_label(acme, staff, order):
    # given
    staff = grant(staff, "cancel_label")
    # when
    ret = approved_with_label(staff, order)
    labels.label_cancel(actor=staff, ret=ret)
    # then
    label = label_of(ret)
    assert (label.carrier, label.tracking_number, bytes(label.pdf), label.status) == (
        "acme",
        "AC000001",
        b"%PDF-1.4 acme",
        "cancelled",
    )
    assert AcmeCarrier.booked == ["AC000001"]
    assert AcmeCarrier.voided == ["shipment-AC000001"]


def test_a_carrier_refusing_to_cancel_keeps_the_label(acme, staff, order):
    # given
    staff = grant(staff, "cancel_label")
    ret = approved_with_label(staff, order)
    label_of(ret).__class__.objects.filter(ret=ret).update(carrier_reference="shipment-locked")
    # when
    with pytest.raises(ReturnError, match="refused to cancel the label: shipment already"):
        labels.label_cancel(actor=staff, ret=ret)
    # then
    assert label_of(ret).status == "created"


def test_its_webhook_reads_its_format_under_its_own_secret(acme, staff, order):
    # given
    ret = approved_with_label(staff, order)
    body = json.dumps(
        {
            "scans": [
                {
                    "uid": "u1",
                    "parcel": label_of(ret).tracking_number,
                    "code": "SCAN",
                    "at": hours_later(1),
                }
            ]
        }
    ).encode()
    url = reverse("carrier_tracking_webhook", args=["acme"])
    # when
    with_shared = Client().post(
        url,
        data=body,
        content_type="application/json",
        HTTP_X_CARRIER_SIGNATURE=signature_header(body, "shared"),
    )
    with_its_own = Client().post(
        url,
        data=body,
        content_type="application/json",
        HTTP_X_CARRIER_SIGNATURE=signature_header(body, "acme-secret"),
    )
    # then
    assert (with_shared.status_code, with_its_own.status_code) == (403, 200)
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.IN_TRANSIT


def test_the_registry(acme):
    assert carrier_choices() == [("acme", "Acme Parcels"), ("offline", "Offline Post")]
    assert get_carrier("acme").options == {"prefix": "AC"}
    with pytest.raises(UnknownCarrierError):
        get_carrier("nope")
