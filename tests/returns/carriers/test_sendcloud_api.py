"""The Sendcloud adapter against a local server answering as Sendcloud documents: the return
parcel made (the request body field by field), its label fetched, cancelled while unused and
refused once scanned, a 5xx retried, its tracking read."""

import pytest

from returns.carriers import CarrierError, get_carrier
from returns.carriers.sendcloud import STATUS_BY_ID, STATUSES, parcel_status
from returns.errors import ReturnError
from returns.models import ReturnEvent, ReturnLabel, ReturnStatus
from returns.services import labels
from tests.returns.carriers.conftest import PUBLIC_KEY, RETURN_ADDRESS, SECRET_KEY
from tests.returns.carriers.sendcloud_server import (
    LABEL_PDF,
    PARCEL_ID,
    RETURN_ID,
    TRACKING_NUMBER,
    TRACKING_URL,
    Answer,
    return_object,
)
from tests.returns.helpers import create, grant
from tests.returns.labels.helpers import approved_with_label, label_of

pytestmark = pytest.mark.django_db

CREATE = ("POST", "/api/v3/returns")
READ = ("GET", f"/api/v3/returns/{RETURN_ID}")
LABEL = ("GET", f"/api/v3/parcels/{PARCEL_ID}/documents/label")
CANCEL = ("PATCH", f"/api/v3/returns/{RETURN_ID}/cancel")


def test_an_approved_return_gets_its_sendcloud_return_parcel_and_label(sendcloud, staff, order):
    # when
    ret = approved_with_label(staff, order, 2, 1)
    # then: one return made at Sendcloud, read once announced, its label fetched
    label = label_of(ret)
    assert (label.carrier, label.tracking_number, label.carrier_reference, bytes(label.pdf)) == (
        "sendcloud",
        TRACKING_NUMBER,
        f"{RETURN_ID}:{PARCEL_ID}",
        LABEL_PDF,
    )
    assert [(r.method, r.path) for r in sendcloud.requests] == [CREATE, READ, LABEL]
    assert {r.basic_auth for r in sendcloud.requests} == {(PUBLIC_KEY, SECRET_KEY)}
    assert sendcloud.made(*LABEL)[0].headers["Accept"] == "application/pdf"
    assert ret.events.filter(kind=ReturnEvent.Kind.LABEL, code="label.created").get().params == {
        "carrier": "Sendcloud",
        "number": TRACKING_NUMBER,
    }


def test_the_create_request_has_sendcloud_s_documented_shape(sendcloud, staff, order):
    # given
    first, second = order.lines.order_by("id")
    # when
    ret = approved_with_label(staff, order, 2, 1)
    # then: field by field (POST /api/v3/returns, CreateReturn)
    body = sendcloud.made(*CREATE)[0].json()
    assert sorted(body) == [
        "collo_count",
        "delivery_option",
        "external_reference",
        "from_address",
        "order_number",
        "parcel_items",
        "send_tracking_emails",
        "ship_with",
        "to_address",
        "weight",
    ]
    assert body["from_address"] == {
        "name": order.customer.full_name,
        "address_line_1": "12 rue Oberkampf",
        "address_line_2": "Bâtiment B",
        "postal_code": "75011",
        "city": "Paris",
        "country_code": "FR",
        "email": order.email,
    }
    assert body["to_address"] == RETURN_ADDRESS
    assert body["ship_with"] == {
        "type": "shipping_option_code",
        "shipping_option_code": "colissimo:home/return",
    }
    assert body["weight"] == {"value": 1.5, "unit": "kg"}
    assert body["collo_count"] == 1
    assert body["send_tracking_emails"] is False
    assert body["order_number"] == order.number
    assert body["external_reference"] == f"{ret.rma_number}-1"
    assert body["delivery_option"] == "drop_off_point"
    assert body["parcel_items"] == [
        {
            "item_id": str(line.pk),
            "description": f"{line.variant.product.name} {line.variant.option}",
            "quantity": quantity,
            "sku": line.variant.sku,
            "product_id": str(line.variant.product_id),
            "price": {"value": float(line.unit_price_paid), "currency": "EUR"},
        }
        for line, quantity in ((first, 2), (second, 1))
    ]


def test_the_rule_s_method_service_names_the_shipping_option(sendcloud, staff, order):
    # given: the method the rule ships with names its Sendcloud shipping option
    from returns.models import ShippingMethod

    ShippingMethod.objects.filter(carrier="sendcloud").update(service="mondial_relay:return")
    # when
    approved_with_label(staff, order)
    # then
    assert sendcloud.made(*CREATE)[0].json()["ship_with"]["shipping_option_code"] == (
        "mondial_relay:return"
    )


def test_a_country_without_its_own_option_ships_with_the_default(sendcloud, staff, order):
    # given
    order.shipping_country = "BE"
    order.save(update_fields=["shipping_country"])
    # when
    approved_with_label(staff, order)
    # then
    assert sendcloud.made(*CREATE)[0].json()["ship_with"]["shipping_option_code"] == (
        "dpd:return/return"
    )


def test_no_shipping_option_for_the_country_asks_sendcloud_nothing(
    sendcloud, settings, staff, order
):
    # given
    settings.RETURN_CARRIERS["sendcloud"]["OPTIONS"]["shipping_options"] = {"DE": "dhl:return"}
    carrier = get_carrier("sendcloud")
    ret = create(staff, order, 1)
    # when
    with pytest.raises(CarrierError, match="No Sendcloud shipping option for returns from FR"):
        carrier.create_label(ret)
    # then
    assert sendcloud.requests == []


def test_a_5xx_then_success_makes_exactly_one_return(sendcloud, staff, order):
    # given: Sendcloud is briefly unavailable
    sendcloud.script(
        *CREATE,
        Answer(503, {"error": "Service unavailable"}),
        Answer(201, {"return_id": RETURN_ID, "parcel_id": PARCEL_ID, "multi_collo_ids": []}),
    )
    # when
    ret = approved_with_label(staff, order)
    # then: asked twice, one return made, one label
    assert len(sendcloud.made(*CREATE)) == 2
    assert sendcloud.made(*CREATE)[0].body == sendcloud.made(*CREATE)[1].body
    assert ReturnLabel.objects.filter(ret=ret).count() == 1
    assert label_of(ret).tracking_number == TRACKING_NUMBER


def test_sendcloud_down_is_a_carrier_error_after_its_retries(sendcloud, staff, order):
    # given
    sendcloud.script(*CREATE, Answer(502, {"error": "Bad gateway"}))
    carrier = get_carrier("sendcloud")
    # when
    with pytest.raises(CarrierError, match="Sendcloud answered 502: Bad gateway"):
        carrier.create_label(create(staff, order, 1))
    # then: the first try and three retries, nothing else asked
    assert [(r.method, r.path) for r in sendcloud.requests] == [CREATE] * 4


def test_sendcloud_unreachable_is_a_carrier_error(settings, staff, order):
    # given: nothing listens there
    settings.RETURN_CARRIERS = {
        "sendcloud": {
            "BACKEND": "returns.carriers.sendcloud.SendcloudCarrier",
            "OPTIONS": {
                "public_key": "k",
                "secret_key": "s",
                "base_url": "http://127.0.0.1:9",
                "shipping_options": {"*": "dpd:return/return"},
                "retries": 1,
                "backoff": 0,
            },
        }
    }
    # when / then
    with pytest.raises(CarrierError, match="Sendcloud cannot be reached"):
        get_carrier("sendcloud").create_label(create(staff, order, 1))


def test_a_refusal_to_create_says_sendcloud_s_words(sendcloud, staff, order):
    # given
    sendcloud.script(
        *CREATE,
        Answer(
            400,
            {"errors": [{"field": "from_address", "code": "invalid", "message": "Bad postcode"}]},
        ),
    )
    # when / then
    with pytest.raises(CarrierError, match="Sendcloud answered 400: from_address: Bad postcode"):
        get_carrier("sendcloud").create_label(create(staff, order, 1))
    assert [(r.method, r.path) for r in sendcloud.requests] == [CREATE]


def test_a_return_never_announced_is_cancelled_at_sendcloud(sendcloud, staff, order):
    # given: Sendcloud keeps the tracking number null (announcement pending)
    sendcloud.script(*READ, Answer(200, return_object(tracking_number=None)))
    # when
    with pytest.raises(CarrierError, match=f"has not announced return {RETURN_ID} yet"):
        get_carrier("sendcloud").create_label(create(staff, order, 1))
    # then: read five times, then cancelled (nothing booked that we do not record)
    assert [(r.method, r.path) for r in sendcloud.requests] == [CREATE, *[READ] * 5, CANCEL]


def test_a_label_that_is_no_pdf_is_refused(sendcloud, staff, order):
    # given
    sendcloud.script(*LABEL, Answer(200, b"<html>login</html>", "text/html"))
    # when / then
    with pytest.raises(CarrierError, match="label is not a PDF"):
        get_carrier("sendcloud").create_label(create(staff, order, 1))
    assert sendcloud.made(*CANCEL) != []


def test_cancelling_an_unused_label_asks_sendcloud(sendcloud, staff, order):
    # given
    staff = grant(staff, "cancel_label")
    ret = approved_with_label(staff, order)
    # when
    labels.label_cancel(actor=staff, ret=ret)
    # then
    assert label_of(ret).status == "cancelled"
    assert len(sendcloud.made(*CANCEL)) == 1
    assert sendcloud.made(*CANCEL)[0].basic_auth == (PUBLIC_KEY, SECRET_KEY)


def test_sendcloud_refusing_to_cancel_a_scanned_parcel_keeps_the_label(sendcloud, staff, order):
    # given: the parcel was scanned at Sendcloud, its webhook not here yet
    staff = grant(staff, "cancel_label")
    ret = approved_with_label(staff, order)
    sendcloud.script(
        *CANCEL,
        Answer(
            409,
            {
                "errors": [
                    {"field": "returns", "code": 409, "message": "Return is not cancellable."}
                ]
            },
        ),
    )
    # when
    with pytest.raises(ReturnError, match=r"returns: Return is not cancellable\."):
        labels.label_cancel(actor=staff, ret=ret)
    # then: the label is live, nothing written of a cancellation
    assert label_of(ret).status == "created"
    assert not ret.events.filter(code="label.cancelled").exists()
    assert ret.status == ReturnStatus.APPROVED


def test_the_label_is_fetched_again_and_its_tracking_read(sendcloud, staff, order):
    # given
    ret = approved_with_label(staff, order)
    carrier = get_carrier("sendcloud")
    label = label_of(ret)
    sendcloud.requests.clear()
    # when
    pdf = carrier.fetch_label_pdf(label)
    url = carrier.fetch_tracking_url(label)
    events = carrier.fetch_tracking(label)
    # then
    assert pdf == LABEL_PDF
    assert url == TRACKING_URL
    assert [(e.event_id, e.tracking_number, e.raw_status, e.status) for e in events] == [
        ("sendcloud-history-1", TRACKING_NUMBER, "announced", "announced")
    ]
    assert events[0].occurred_at.isoformat() == "2026-01-05T10:00:00+01:00"
    assert [(r.method, r.path) for r in sendcloud.requests] == [LABEL, READ, READ]
    # and what pages show asks Sendcloud nothing
    assert (carrier.tracking_url(label.tracking_number), carrier.qr_data(label)) == (
        "",
        TRACKING_NUMBER,
    )
    assert len(sendcloud.requests) == 3


def test_the_create_result_carries_the_tracking_page(sendcloud, staff, order):
    # when
    result = get_carrier("sendcloud").create_label(create(staff, order, 1))
    # then
    assert (result.tracking_number, result.tracking_url) == (TRACKING_NUMBER, TRACKING_URL)


def test_the_offline_carrier_s_defaults_of_the_grown_interface(staff, order):
    # given
    ret = approved_with_label(staff, order)
    carrier = get_carrier("offline")
    label = label_of(ret)
    # when / then
    assert carrier.fetch_label_pdf(label) == bytes(label.pdf)
    assert carrier.tracking_url(label.tracking_number) == ""
    assert carrier.qr_data(label) == f"{ret.rma_number} {label.tracking_number}"
    assert carrier.fetch_tracking(label) == []
    assert carrier.configuration_problems() == []


def test_sendcloud_s_status_ids_map_to_our_parcel_statuses():
    # then: one table, every id once, the ones the brief names
    assert len(STATUS_BY_ID) == len(STATUSES)
    assert {
        status_id: parcel_status(status_id) for status_id in (1, 3, 11, 80, 91, 93, 1999, 2000)
    } == {
        1: "announced",
        3: "in_transit",
        11: "delivered",
        80: "exception",
        91: "in_transit",
        93: "delivered",
        1999: "",
        2000: "cancelled",
    }
    assert parcel_status(424242) == ""
    assert parcel_status("not a number") == ""


def test_a_tracking_page_template_makes_the_tracking_url(sendcloud, settings, staff, order):
    # given
    settings.RETURN_CARRIERS["sendcloud"]["OPTIONS"]["tracking_url"] = (
        "https://track.example/{number}"
    )
    ret = approved_with_label(staff, order)
    # when
    url = get_carrier("sendcloud").tracking_url(label_of(ret).tracking_number)
    # then
    assert url == f"https://track.example/{TRACKING_NUMBER}"
