"""Expiry: approved returns whose parcel never moved expire, their label cancelled and the
customer told; `manage.py returns_expire` is a dry run unless --apply; beat runs it too."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from returns.models import Return, ReturnEvent, ReturnStatus
from returns.tasks import expire_returns
from tests.returns.helpers import create
from tests.returns.labels.helpers import approved_with_label, label_of, scan

pytestmark = pytest.mark.django_db


def approved_days_ago(ret: Return, days: int) -> Return:
    Return.objects.filter(pk=ret.pk).update(status_changed_at=timezone.now() - timedelta(days=days))
    return Return.objects.get(pk=ret.pk)


def run(*args) -> str:
    out = StringIO()
    call_command("returns_expire", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def stale(staff, order, shop_settings):
    """Approved 31 days ago with a label nobody used; the shop expires after 30 days."""
    shop_settings.return_expiry_days = 30
    shop_settings.save()
    return approved_days_ago(approved_with_label(staff, order, 1), 31)


def test_the_dry_run_lists_and_changes_nothing(stale, staff, order, notifications):
    # given: a fresh approved return, and one whose parcel moved (not due)
    fresh = approved_with_label(staff, order, 1)
    moved = approved_days_ago(approved_with_label(staff, order, 1), 40)
    scan(label_of(moved), "exception")
    events = ReturnEvent.objects.count()
    notifications.calls.clear()
    # when
    output = run()
    # then
    assert output.splitlines() == [
        f"{stale.rma_number}  order {order.number}  approved "
        f"{timezone.localtime(stale.status_changed_at):%Y-%m-%d} (31 days)",
        "1 return(s) would expire after 30 days (dry run: nothing changed; --apply to expire "
        "them).",
    ]
    assert list(Return.objects.order_by("id").values_list("status", flat=True)) == ["approved"] * 3
    assert ReturnEvent.objects.count() == events
    assert notifications.calls == []
    assert fresh.rma_number not in output
    assert moved.rma_number not in output


def test_apply_expires_cancels_the_label_and_tells_the_customer(stale, notifications):
    # given
    notifications.calls.clear()
    label = label_of(stale)
    # when
    output = run("--apply")
    # then
    stale.refresh_from_db()
    label.refresh_from_db()
    assert stale.status == ReturnStatus.EXPIRED
    assert label.status == "cancelled"
    expired = stale.events.filter(kind=ReturnEvent.Kind.STATUS).latest("id")
    assert (expired.actor, expired.text) == (
        None,
        "The parcel was not sent within 30 days of the approval.",
    )
    assert notifications.events == ["expired"]
    assert output.splitlines() == [f"expired {stale.rma_number}", "1 return(s) expired, 0 skipped."]


def test_applying_twice_does_nothing_more(stale, notifications):
    # given
    run("--apply")
    events = ReturnEvent.objects.count()
    notifications.calls.clear()
    # when
    output = run("--apply")
    # then
    assert output.strip() == "0 return(s) expired, 0 skipped."
    assert ReturnEvent.objects.count() == events
    assert notifications.calls == []


def test_returns_dropped_in_store_expire_too(staff, order, shop_settings):
    # given
    ret = approved_days_ago(
        create(staff, order, 1, delivery_option="in_store", start_status=ReturnStatus.APPROVED), 31
    )
    # when
    run("--apply", "--days", "30")
    # then
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.EXPIRED


def test_zero_days_turns_expiry_off(stale, shop_settings):
    # given
    shop_settings.return_expiry_days = 0
    shop_settings.save()
    # when
    output = run("--apply")
    # then
    assert output.strip() == "Expiry is off (the shop's expiry days is 0)."
    stale.refresh_from_db()
    assert stale.status == ReturnStatus.APPROVED


def test_the_beat_task_expires_them(stale):
    # when
    result = expire_returns()
    # then
    assert result == {"expired": [stale.rma_number], "skipped": []}
    assert settings.CELERY_BEAT_SCHEDULE["returns-expire"]["task"] == (
        "returns.tasks.expire_returns"
    )
