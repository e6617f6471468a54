"""The same carrier event delivered twice at the same moment (a retried webhook and a file
import, say) is recorded once and moves the return once (PostgreSQL)."""

import pytest

from returns.models import ReturnEvent, ReturnStatus, TrackingEvent
from returns.services.tracking import DUPLICATE, RECORDED, tracking_event_record
from tests.fixtures.concurrency import race
from tests.returns.labels.helpers import approved_with_label, carrier_event, label_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_event_at_once_is_recorded_once(staff, order, reasons, slow_outbox):
    # given
    ret = approved_with_label(staff, order, 1)
    event = carrier_event(label_of(ret), "in_transit", event_id="twice")
    slow_outbox.calls.clear()
    # when
    outcomes = race(
        lambda: tracking_event_record(carrier="offline", event=event),
        lambda: tracking_event_record(carrier="offline", event=event),
    )
    # then
    assert sorted(outcome.outcome for outcome in outcomes) == [DUPLICATE, RECORDED]
    assert TrackingEvent.objects.count() == 1
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.IN_TRANSIT
    assert ReturnEvent.objects.filter(ret=ret, to_status="in_transit").count() == 1
    assert slow_outbox.events == ["in_transit"]
