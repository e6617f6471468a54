"""A carrier's dates: an event that cannot be true (year 9999, more than a day ahead, before its
label was made) is refused and logged; a date at the edge of what can be stored, already in the
database, never breaks a page that shows it."""

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from returns.carriers.signing import signature_header
from returns.models import ReturnEvent, ReturnLabel, ReturnStatus, TrackingEvent
from returns.services.tracking import tracking_event_record
from tests.factories import UserFactory
from tests.returns.labels.helpers import approved_with_label, carrier_event, hours_later, label_of

pytestmark = pytest.mark.django_db

SECRET = "carrier-shared-secret"
URL = reverse("carrier_tracking_webhook", args=["offline"])
# In UTC the last hour of year 9999; anywhere east of UTC, year 10000.
LAST_HOUR_OF_9999 = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.CARRIER_WEBHOOK_SECRET = SECRET


@pytest.fixture
def ret(staff, order):
    return approved_with_label(staff, order, 1)


def post(*events):
    body = json.dumps({"events": list(events)}).encode()
    return Client().post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_CARRIER_SIGNATURE=signature_header(body, SECRET),
    )


def event(label, at, event_id="evt-1", status="in_transit"):
    return {
        "id": event_id,
        "tracking_number": label.tracking_number,
        "status": status,
        "occurred_at": at,
    }


def state(ret) -> dict:
    label = ReturnLabel.objects.get(ret=ret)
    return {
        "status": ret.__class__.objects.get(pk=ret.pk).status,
        "events": ReturnEvent.objects.filter(ret=ret).count(),
        "tracking": TrackingEvent.objects.count(),
        "parcel": (label.parcel_status, label.parcel_status_at),
    }


@pytest.mark.parametrize(
    "at",
    [
        "9999-12-31T23:59:59.999999-12:00",  # year 10000 in UTC
        "9999-12-31T23:00:00+00:00",  # year 10000 in Paris
        "9999-06-01T10:00:00Z",
    ],
)
def test_a_signed_event_dated_year_9999_is_refused_and_changes_nothing(ret, at):
    # given
    before = state(ret)
    # when
    response = post(event(label_of(ret), at))
    # then
    assert response.status_code == 400
    assert state(ret) == before


def test_an_event_more_than_a_day_ahead_is_rejected_and_logged(ret, caplog):
    # given
    label = label_of(ret)
    before = state(ret)
    ahead = timezone.now() + timedelta(days=1, minutes=5)
    # when
    with caplog.at_level(logging.WARNING, logger="returns.services.tracking"):
        result = tracking_event_record(
            carrier="offline", event=carrier_event(label, event_id="far", at=ahead)
        )
    # then
    assert (result.outcome, result.reason) == ("rejected", "dated more than a day ahead")
    assert state(ret) == before
    assert [record.getMessage() for record in caplog.records] == [
        f"carrier offline event far of {label.tracking_number}: dated more than a day ahead "
        f"({ahead.isoformat()}), rejected"
    ]


def test_an_event_less_than_a_day_ahead_is_recorded(ret):
    # given: the carrier's clock runs ahead of ours
    label = label_of(ret)
    # when
    result = tracking_event_record(
        carrier="offline",
        event=carrier_event(label, at=timezone.now() + timedelta(hours=23)),
    )
    # then
    assert result.outcome == "recorded"
    assert ret.__class__.objects.get(pk=ret.pk).status == ReturnStatus.IN_TRANSIT


def test_an_event_before_the_label_was_made_is_rejected(ret):
    # given
    label = label_of(ret)
    before = state(ret)
    # when
    result = tracking_event_record(
        carrier="offline",
        event=carrier_event(label, at=label.created_at - timedelta(days=2)),
    )
    # then
    assert (result.outcome, result.reason) == ("rejected", "dated before its label was made")
    assert state(ret) == before


def test_a_body_with_a_rejected_event_records_the_others_and_answers_400_saying_which(ret):
    # given
    label = label_of(ret)
    # when
    response = post(
        event(label, hours_later(1), "good"),
        event(label, hours_later(72), "ahead", status="delivered"),
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "recorded": 1,
        "duplicates": 0,
        "unknown": 0,
        "moved": 1,
        "rejected": {"ahead": "dated more than a day ahead"},
    }
    assert list(TrackingEvent.objects.values_list("event_id", flat=True)) == ["good"]
    assert ret.__class__.objects.get(pk=ret.pk).status == ReturnStatus.IN_TRANSIT


# --- a date already stored at the edge of what can be represented ----------------------------


def poison(label, moment):
    """A scan written before the bounds (or by another way), dated `moment`."""
    row = TrackingEvent.objects.create(
        label=label,
        carrier=label.carrier,
        event_id="poison",
        raw_status="in_transit",
        status="in_transit",
        occurred_at=timezone.now(),
    )
    TrackingEvent.objects.filter(pk=row.pk).update(occurred_at=moment)
    ReturnLabel.objects.filter(pk=label.pk).update(
        parcel_status="in_transit", parcel_status_at=moment
    )


def year_10000_in_postgres(label):
    """What PostgreSQL keeps of "9999-12-31T23:59:59-12:00": a year no Python datetime holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE returns_trackingevent SET occurred_at = %s::timestamptz WHERE label_id = %s",
            ["10000-01-01 11:59:59+00", label.pk],
        )
        cursor.execute(
            "UPDATE returns_returnlabel SET parcel_status_at = %s::timestamptz WHERE id = %s",
            ["10000-01-01 11:59:59+00", label.pk],
        )


def pages_of(ret, customer) -> dict[str, int]:
    superuser = UserFactory(is_staff=True, is_superuser=True)
    staff_browser, customer_browser = Client(), Client()
    staff_browser.force_login(superuser)
    customer_browser.force_login(customer.user)
    label = label_of(ret)
    return {
        "return page": staff_browser.get(reverse("admin:returns_return_change", args=[ret.pk])),
        "labels list": staff_browser.get(reverse("admin:returns_returnlabel_changelist")),
        "label page": staff_browser.get(
            reverse("admin:returns_returnlabel_change", args=[label.pk])
        ),
        "tracking events": staff_browser.get("/admin/returns/trackingevent/"),
        "portal return": customer_browser.get(reverse("return_detail", args=[ret.rma_number])),
        "portal label": customer_browser.get(reverse("return_label", args=[ret.rma_number])),
    }


def test_a_stored_year_9999_date_is_shown_and_breaks_no_page(ret, customer):
    # given
    poison(label_of(ret), LAST_HOUR_OF_9999)
    # when
    pages = pages_of(ret, customer)
    # then: every page renders (the admin has no tracking events list: 404), the date as stored
    assert {name: page.status_code for name, page in pages.items()} == {
        "return page": 200,
        "labels list": 200,
        "label page": 200,
        "tracking events": 404,
        "portal return": 200,
        "portal label": 200,
    }
    assert "9999" in pages["label page"].content.decode()
    assert label_of(ret).parcel_status_at == LAST_HOUR_OF_9999


def test_a_later_event_of_a_label_with_a_stored_year_9999_date_is_recorded(ret):
    # given
    label = label_of(ret)
    poison(label, LAST_HOUR_OF_9999)
    # when
    response = post(event(label, hours_later(1), "later", status="delivered"))
    # then: recorded; the parcel's status stays the latest by date (the stored one)
    assert response.status_code == 200
    assert response.json()["recorded"] == 1
    assert TrackingEvent.objects.filter(event_id="later").exists()


@pytest.mark.postgres
def test_a_stored_year_10000_date_in_postgres_breaks_no_page_nor_later_event(ret, customer):
    # given
    label = label_of(ret)
    poison(label, LAST_HOUR_OF_9999)
    year_10000_in_postgres(label)
    # when
    pages = pages_of(ret, customer)
    later = post(event(label, hours_later(1), "later", status="delivered"))
    # then: read as the last instant Python holds
    assert {name: page.status_code for name, page in pages.items()} == {
        "return page": 200,
        "labels list": 200,
        "label page": 200,
        "tracking events": 404,
        "portal return": 200,
        "portal label": 200,
    }
    assert later.status_code == 200
    assert label_of(ret).parcel_status_at == datetime.max.replace(tzinfo=UTC)
