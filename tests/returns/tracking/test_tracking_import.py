"""manage.py tracking_import FILE: a carrier's file of events, each recorded once."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from notifications.models import Notification
from returns.models import ReturnStatus, TrackingEvent
from returns.services import tracking
from tests.returns.labels.helpers import approved_with_label, hours_later, label_of

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("tracking_import", "--apply", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_csv_file_moves_the_returns_and_a_second_import_does_nothing(staff, order, tmp_path):
    # given: two returns with labels, a file with their scans and one unknown parcel
    first = approved_with_label(staff, order, 1)
    second = approved_with_label(staff, order, 0, 1)
    path = tmp_path / "scans.csv"
    path.write_text(
        "id,tracking_number,status,occurred_at,location\n"
        f"A1,{label_of(first).tracking_number},picked_up,{hours_later(1, csv=True)},Paris\n"
        f"A2,{label_of(second).tracking_number},announced,{hours_later(1.1, csv=True)},\n"
        f"A3,{label_of(first).tracking_number},delivered,{hours_later(3, csv=True)},Warehouse\n"
        "A4,OL999999999X,in_transit,2030-01-03 11:00,\n",
        encoding="utf-8",
    )
    # when
    output = run(str(path))
    again = run(str(path))
    # then
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (ReturnStatus.RECEIVED, ReturnStatus.APPROVED)
    assert output.strip() == (
        "4 event(s) read: 3 recorded (2 moved a return), 0 already "
        "recorded, 1 with an unknown tracking number (ignored)."
    )
    assert again.strip() == (
        "4 event(s) read: 0 recorded (0 moved a return), 3 already "
        "recorded, 1 with an unknown tracking number (ignored)."
    )
    assert TrackingEvent.objects.count() == 3


def test_a_json_file_in_the_webhook_format(staff, order, tmp_path):
    # given
    ret = approved_with_label(staff, order, 1)
    path = tmp_path / "scans.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "J1",
                    "tracking_number": label_of(ret).tracking_number,
                    "status": "in_transit",
                    "occurred_at": hours_later(1),
                }
            ]
        )
    )
    # when
    run(str(path))
    # then
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.IN_TRANSIT


def test_an_unreadable_file_records_nothing(staff, order, tmp_path):
    # given
    ret = approved_with_label(staff, order, 1)
    path = tmp_path / "scans.csv"
    path.write_text(
        "id,tracking_number,status,occurred_at\n"
        f"B1,{label_of(ret).tracking_number},in_transit,2030-01-02 08:00\n"
        f"B2,{label_of(ret).tracking_number},delivered,not a date\n"
    )
    # when
    with pytest.raises(CommandError, match="event 3: bad date"):
        run(str(path))
    # then
    assert TrackingEvent.objects.count() == 0
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.APPROVED


def test_an_unknown_carrier_or_a_missing_file_is_an_error(tmp_path, db):
    with pytest.raises(CommandError, match="no carrier 'acme'"):
        run(str(tmp_path / "x.csv"), "--carrier", "acme")
    with pytest.raises(CommandError, match="cannot read"):
        run(str(tmp_path / "missing.csv"))


def scans_file(tmp_path, ret):
    path = tmp_path / "scans.csv"
    path.write_text(
        "id,tracking_number,status,occurred_at,location\n"
        f"C1,{label_of(ret).tracking_number},picked_up,{hours_later(1, csv=True)},Paris\n"
        f"C2,{label_of(ret).tracking_number},delivered,{hours_later(3, csv=True)},Warehouse\n",
        encoding="utf-8",
    )
    return path


def test_without_apply_it_says_what_would_be_recorded_and_changes_nothing(staff, order, tmp_path):
    # given
    ret = approved_with_label(staff, order, 1)
    path = scans_file(tmp_path, ret)
    notifications_before = Notification.objects.count()
    out = StringIO()
    # when: no --apply
    call_command("tracking_import", str(path), stdout=out, stderr=StringIO())
    # then
    assert out.getvalue().splitlines() == [
        "2 event(s) read: 2 recorded (2 moved a return), 0 already recorded, 0 with an unknown "
        "tracking number (ignored).",
        "(dry run: nothing changed; --apply to record them)",
    ]
    assert TrackingEvent.objects.count() == 0
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.APPROVED
    assert Notification.objects.count() == notifications_before


def test_a_run_stopped_half_way_leaves_whole_events_and_a_second_run_finishes(
    staff, order, tmp_path, monkeypatch
):
    # given: the second event's recording fails (the process dies there)
    ret = approved_with_label(staff, order, 1)
    path = scans_file(tmp_path, ret)
    real = tracking.tracking_event_record
    calls = []

    def dies_on_the_second(**kwargs):
        calls.append(kwargs["event"].event_id)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(**kwargs)

    monkeypatch.setattr(tracking, "tracking_event_record", dies_on_the_second)
    # when
    with pytest.raises(RuntimeError):
        run(str(path))
    # then: the first event is recorded whole (its return moved), the second not at all
    assert list(TrackingEvent.objects.values_list("event_id", flat=True)) == ["C1"]
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.IN_TRANSIT
    # and a second run records only what is left
    monkeypatch.setattr(tracking, "tracking_event_record", real)
    assert run(str(path)).strip() == (
        "2 event(s) read: 1 recorded (1 moved a return), 1 already recorded, 0 with an unknown "
        "tracking number (ignored)."
    )
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RECEIVED


def test_a_missing_file_argument_is_an_error():
    with pytest.raises(CommandError, match="the following arguments are required: file"):
        call_command("tracking_import")
