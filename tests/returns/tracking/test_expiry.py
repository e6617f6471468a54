"""Expiry: approved returns whose parcel never moved expire, their label cancelled and the
customer told; `manage.py returns_expire` is a dry run unless --apply; beat runs it too."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import return_cancel
from returns.services.expiry import returns_expire_due
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


@pytest.mark.parametrize(
    ("days", "code", "said"),
    [("0", 2, "--days must be at least 1"), ("-3", 2, "--days must be at least 1")],
)
def test_bad_days_exit_with_a_message_and_change_nothing(stale, notifications, days, code, said):
    # given
    events = ReturnEvent.objects.count()
    notifications.calls.clear()
    err = StringIO()
    # when
    with pytest.raises(SystemExit) as exited:
        call_command("returns_expire", "--apply", "--days", days, stdout=StringIO(), stderr=err)
    # then
    assert exited.value.code == code
    assert said in err.getvalue()
    stale.refresh_from_db()
    assert stale.status == ReturnStatus.APPROVED
    assert ReturnEvent.objects.count() == events
    assert notifications.calls == []


def test_days_that_are_not_a_number_are_refused(stale):
    with pytest.raises(CommandError, match="invalid int value: 'thirty'"):
        call_command("returns_expire", "--days", "thirty", stdout=StringIO(), stderr=StringIO())
    stale.refresh_from_db()
    assert stale.status == ReturnStatus.APPROVED


def test_a_failure_midway_leaves_each_return_whole_or_untouched(stale, staff, order, notifications):
    """Each return expires in its own transaction: when the run dies after the first (here the
    progress callback raises, as a killed process or a lost database would), the first is
    expired with its event and email, the second untouched: no event, no email, still approved."""
    # given: two returns due
    second = approved_days_ago(approved_with_label(staff, order, 1), 32)
    notifications.calls.clear()

    def die_after_the_first():
        raise RuntimeError("the database went away")

    # when
    with pytest.raises(RuntimeError):
        returns_expire_due(apply=True, progress=die_after_the_first)
    # then: the oldest (second, 32 days) expired whole; the other untouched
    second.refresh_from_db()
    stale.refresh_from_db()
    assert second.status == ReturnStatus.EXPIRED
    assert second.events.filter(code="expiry.not_sent").count() == 1
    assert stale.status == ReturnStatus.APPROVED
    assert not stale.events.filter(code="expiry.not_sent").exists()
    assert label_of(stale).status != "cancelled"
    assert notifications.events == ["expired"]


def test_a_return_changed_meanwhile_is_skipped_not_forced(stale, staff, order, notifications):
    # given: two returns due; the customer cancels the second while the first expires
    second = approved_days_ago(approved_with_label(staff, order, 1), 30 + 2)

    def cancel_the_other():  # called after each return: the cancel happens once
        other = Return.objects.get(pk=stale.pk)
        if other.status == ReturnStatus.APPROVED:
            return_cancel(actor=staff, ret=other, notify=False)

    # when
    run_ = returns_expire_due(apply=True, progress=cancel_the_other)
    # then
    assert [r.rma_number for r in run_.expired] == [second.rma_number]
    assert [r.rma_number for r, _why in run_.skipped] == [stale.rma_number]
    stale.refresh_from_db()
    assert stale.status == ReturnStatus.CANCELLED
    assert not stale.events.filter(code="expiry.not_sent").exists()
