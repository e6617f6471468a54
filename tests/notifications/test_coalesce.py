"""A single email's task takes other due rows along (deliver_notification's `coalesce`): its row
first, then the oldest due ones no other claimer holds, in cheap statements; sent on one SMTP
connection to a real server (aiosmtpd), each row's outcome recorded as if sent alone; and the
mail connection kept open from one task to the next."""

import os
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import delivery
from notifications.delivery import close_mail_connection, deliver_notification
from notifications.emails import render_notification
from notifications.models import Notification
from notifications.services import notification_enqueue
from notifications.tasks import send_notification
from tests.factories import bare_return
from tests.fixtures.concurrency import race
from tests.notifications.smtp import SmtpSink
from tests.notifications.test_claims import account_emails

pytestmark = pytest.mark.django_db

Status = Notification.Status
# The task's row (UPDATE ... RETURNING id), then the others with their relations and the task's
# row: on PostgreSQL one statement (WITH ... UPDATE ... RETURNING, SELECT), elsewhere the same
# UPDATE then one SELECT.
COALESCED_CLAIM_QUERIES = 2 if connection.vendor == "postgresql" else 3


@pytest.fixture(autouse=True)
def _backoff(short_backoff):
    """Four attempts, 30 s doubling to 600 s (tests/notifications/conftest.py)."""


def queued_emails(count: int) -> list[Notification]:
    """`count` queued emails about returns, each to its own customer, French and English."""
    return [
        notification_enqueue(
            ret=bare_return(language="fr" if n % 2 else "en", email=f"c{n}@example.com"),
            event="received",
        )
        for n in range(count)
    ]


def wire(text: str) -> str:
    """A body as SMTP carries it, line ends aside."""
    return text.replace("\r\n", "\n").rstrip("\n")


def statuses() -> dict[int, str]:
    return dict(Notification.objects.values_list("pk", "status"))


def attempts() -> dict[int, int]:
    return dict(Notification.objects.values_list("pk", "attempts"))


# --- The claim ------------------------------------------------------------------------------


def test_a_task_claims_its_row_then_the_oldest_due_others_up_to_the_limit(
    django_assert_num_queries,
):
    # given: 8 account emails; one waiting for its retry, one out of attempts, one sending,
    # one due longest; the task is for the 7th
    ids = account_emails(8)
    Notification.objects.filter(pk=ids[1]).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    Notification.objects.filter(pk=ids[2]).update(attempts=6, max_attempts=6)
    Notification.objects.filter(pk=ids[3]).update(status=Status.SENDING)
    Notification.objects.filter(pk=ids[5]).update(next_attempt_at=timezone.now() - timedelta(1))
    # when: up to 3 rows
    with django_assert_num_queries(COALESCED_CLAIM_QUERIES):
        claimed = delivery._claim_with_due(ids[6], 3)
    # then: its own row, the longest due, then the oldest by id; the rest untouched
    assert [row.pk for row in claimed] == sorted([ids[6], ids[5], ids[0]])
    assert {row.status for row in claimed} == {Status.SENDING}
    assert len({row.claimed_at for row in claimed}) == 1  # one batch for the outcomes
    assert attempts() == {
        ids[0]: 1, ids[1]: 0, ids[2]: 6, ids[3]: 0, ids[4]: 0, ids[5]: 1, ids[6]: 1, ids[7]: 0
    }  # fmt: skip
    assert statuses()[ids[4]] == statuses()[ids[7]] == Status.QUEUED
    with django_assert_num_queries(0):  # the relations the emails read came with the rows
        assert all(row.user.email for row in claimed)


def test_a_task_whose_row_is_taken_claims_nothing_in_one_statement(django_assert_num_queries):
    # given: the task's row already sent by another batch, two other rows due
    ids = account_emails(3)
    Notification.objects.filter(pk=ids[0]).update(status=Status.SENT)
    # when
    with django_assert_num_queries(1):
        outcome = deliver_notification(notification_id=ids[0], coalesce=20)
    # then: nothing done, the others left to their own tasks
    assert outcome == delivery.Outcome("skipped")
    assert statuses() == {ids[0]: Status.SENT, ids[1]: Status.QUEUED, ids[2]: Status.QUEUED}
    assert attempts() == {ids[0]: 0, ids[1]: 0, ids[2]: 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_coalescing_every_row_at_once_claim_each_once_and_never_deadlock():
    # given: 120 queued emails, a task each
    ids = account_emails(120)
    # Both workers meet again after their first claim: on a loaded machine a thread's first
    # statement (its connection's start) could otherwise come after the other had claimed all.
    first_claims = threading.Barrier(2, timeout=30)

    def worker(order):
        def run():
            taken = []
            for index, pk in enumerate(order):
                taken.extend(row.pk for row in delivery._claim_with_due(pk, 7))
                if index == 0:
                    first_claims.wait()
            return taken

        return run

    # when: two workers run every task at the same moment, one from the middle on, the other
    # from the newest back. A claim takes the oldest due rows along, so a worker starting at
    # the oldest row could find it taken by the other's first claim and never get one (the
    # other eats the old end six rows a claim); the middle and the newest row are never among
    # the other's first oldest, so each worker's first claim is its own whichever runs first.
    middle = len(ids) // 2
    first, second = race(worker(ids[middle:] + ids[:middle]), worker(list(reversed(ids))))
    # then: no deadlock (an exception would be the outcome), every row claimed once
    assert isinstance(first, list), first
    assert isinstance(second, list), second
    assert not set(first) & set(second)
    assert sorted(first + second) == ids
    assert first, "the second worker took everything: the race did not happen"
    assert second, "the first worker took everything: the race did not happen"
    assert set(attempts().values()) == {1}


# --- Sending --------------------------------------------------------------------------------


def test_a_coalescing_task_sends_its_row_and_the_due_others_on_one_connection(smtp):
    # given: 5 queued emails, the task is for the 4th; the rest of the outbox stays due
    rows = queued_emails(5)
    expected = {row.pk: render_notification(row) for row in rows}
    smtp.start()
    # when: up to 3 at once
    outcome = deliver_notification(notification_id=rows[3].pk, coalesce=3)
    # then: its row and the two oldest, on one connection, as each would have been sent alone
    assert outcome == delivery.Outcome(
        "sent", along=delivery.BatchOutcome(claimed=2, sent=2, failed=0, retries=())
    )
    sent = [rows[0], rows[1], rows[3]]
    assert smtp.connections == 1
    assert sorted(m["Message-ID"] for m in smtp.received) == sorted(r.message_id for r in sent)
    for message in smtp.received:
        alone = expected[int(message["X-Notification-ID"])]
        assert message["Subject"] == alone.subject
        html = message.get_body(preferencelist=("html",))
        assert html is not None
        assert wire(SmtpSink.text_of(message)) == wire(alone.text_body)
        assert wire(html.get_content()) == wire(alone.html_body)
    assert statuses() == {
        rows[0].pk: Status.SENT, rows[1].pk: Status.SENT, rows[2].pk: Status.QUEUED,
        rows[3].pk: Status.SENT, rows[4].pk: Status.QUEUED,
    }  # fmt: skip
    stored = Notification.objects.filter(status=Status.SENT)
    assert {row.provider_message_id for row in stored} == {row.message_id for row in sent}
    assert all(row.sent_at and row.handed_over_at for row in stored)
    # and the tasks of the rows taken along find nothing to do
    assert deliver_notification(notification_id=rows[0].pk, coalesce=3).status == "skipped"
    assert len(smtp.received) == 3


def test_a_coalesced_batch_records_each_failure_and_the_task_publishes_every_retry(
    smtp, monkeypatch
):
    # given: 4 emails; the server defers the task's own and a second one, refuses a third
    rows = queued_emails(4)
    own, deferred, refused, fine = rows[2], rows[0], rows[1], rows[3]
    smtp.answer_at_data[own.recipient] = "451 4.3.0 Try again later"
    smtp.answer_at_data[deferred.recipient] = "451 4.3.0 Try again later"
    smtp.refuse_at_rcpt[refused.recipient] = "550 5.1.1 No such user"
    smtp.start()
    published = []
    monkeypatch.setattr(
        "notifications.tasks.publish_send",
        lambda pk, countdown=None, **kw: published.append((pk, countdown)) or True,
    )
    # when: the task runs (as the worker runs it)
    status = send_notification.run(own.pk)
    # then: its row and the deferred one back with their backoff, each republished once
    assert status == "retry"
    assert sorted(pk for pk, _ in published) == sorted([own.pk, deferred.pk])
    assert all(15 <= countdown <= 30 for _, countdown in published)
    assert statuses() == {
        own.pk: Status.QUEUED, deferred.pk: Status.QUEUED, refused.pk: Status.FAILED,
        fine.pk: Status.SENT,
    }  # fmt: skip
    assert set(attempts().values()) == {1}
    for row in (own, deferred):
        waiting = Notification.objects.get(pk=row.pk)
        assert "451" in waiting.last_error
        assert waiting.next_attempt_at > timezone.now() + timedelta(seconds=14)
        assert waiting.sent_at is None
    assert Notification.objects.get(pk=refused.pk).last_error.startswith("SMTPRecipientsRefused")
    assert [m["Message-ID"] for m in smtp.received] == [fine.message_id]


def test_a_provider_down_puts_the_task_row_and_those_taken_along_back(smtp, monkeypatch):
    # given: nothing listens
    rows = queued_emails(3)
    published = []
    monkeypatch.setattr(
        "notifications.tasks.publish_send",
        lambda pk, countdown=None, **kw: published.append(pk) or True,
    )
    # when
    assert send_notification.run(rows[1].pk) == "retry"
    # then: every row queued again after one attempt, each republished
    assert sorted(published) == [row.pk for row in rows]
    assert set(statuses().values()) == {Status.QUEUED}
    assert set(attempts().values()) == {1}


# --- The kept mail connection ---------------------------------------------------------------


def test_the_mail_connection_is_kept_from_one_task_to_the_next(smtp):
    # given
    rows = queued_emails(3)
    smtp.start()
    # when: three tasks, one after the other, each alone in the outbox when it runs
    for row in rows:
        assert deliver_notification(notification_id=row.pk).status == "sent"
    # then: one connection for the three
    assert smtp.connections == 1
    assert len(smtp.received) == 3
    # and at the worker's shutdown it is closed
    close_mail_connection()
    assert delivery._kept.mail is None


def test_a_kept_connection_the_server_dropped_is_replaced_without_failing_an_email(
    smtp, monkeypatch
):
    # given: an email sent, then the server restarts (the kept connection is dead)
    first, second = queued_emails(2)
    smtp.start()
    assert deliver_notification(notification_id=first.pk).status == "sent"
    smtp.stop()
    smtp.start()
    monkeypatch.setattr(delivery, "MAIL_CHECK_AFTER_SECONDS", 0.0)  # idle long enough
    # when
    outcome = deliver_notification(notification_id=second.pk)
    # then: sent on a new connection, at its first attempt
    assert outcome.status == "sent"
    assert smtp.connections == 2
    stored = Notification.objects.get(pk=second.pk)
    assert (stored.status, stored.attempts, stored.last_error) == (Status.SENT, 1, "")


def test_without_keeping_each_task_opens_its_own_connection(smtp, settings):
    # given
    settings.NOTIFICATIONS_MAIL_KEEP_SECONDS = 0
    rows = queued_emails(2)
    smtp.start()
    # when
    for row in rows:
        deliver_notification(notification_id=row.pk)
    # then
    assert smtp.connections == 2
    assert delivery._kept.mail is None


def test_a_connection_broken_by_a_send_is_not_kept(smtp):
    # given: an email sent, then the server goes away
    first, second, third = queued_emails(3)
    smtp.start()
    deliver_notification(notification_id=first.pk)
    smtp.stop()
    # when: the next email's send breaks on it (no check: it was used just now)
    outcome = deliver_notification(notification_id=second.pk)
    # then: that email is back for a retry, and the broken connection was dropped
    assert outcome.status == "retry"
    assert delivery._kept.mail is None
    # and once the server is back, the next email opens a new one
    smtp.start()
    assert deliver_notification(notification_id=third.pk).status == "sent"
    assert [m["Message-ID"] for m in smtp.received] == [first.message_id, third.message_id]


def test_queries_of_a_coalesced_email_do_not_grow_with_the_batch(smtp, shop_settings):
    # given: the shop's settings saved before (a first save empties the process's memo of
    # brands, shop.memo) and the default brand read once already (kept per process)
    queued_emails(14)
    smtp.start()
    ids = sorted(statuses())
    deliver_notification(notification_id=ids[0], coalesce=2)
    # when: a task taking 2 along, then one taking 8 along
    with CaptureQueriesContext(connection) as small:
        deliver_notification(notification_id=ids[2], coalesce=3)
    with CaptureQueriesContext(connection) as large:
        deliver_notification(notification_id=ids[5], coalesce=9)
    # then
    assert len(small) == len(large)
    assert len(smtp.received) == 14


def test_a_burst_of_tasks_is_sent_in_batches_of_the_setting(smtp, django_assert_num_queries):
    # given: 51 queued emails, one task each, the worker's default (NOTIFICATIONS_COALESCE 50:
    # a batch's fixed cost spread over more emails, bench/README.md)
    rows = queued_emails(51)
    smtp.start()
    # when: the worker runs their tasks in order
    first = send_notification(rows[0].pk)
    with django_assert_num_queries(0):
        taken_along = [send_notification(row.pk) for row in rows[1:50]]
    last = send_notification(rows[50].pk)
    # then: the first task sent its row and the 49 next; their tasks stopped; the 51st sent its
    # own; each once
    assert (first, last) == ("sent", "sent")
    assert taken_along == ["skipped"] * 49
    assert len(smtp.received) == 51
    assert set(statuses().values()) == {Status.SENT}
    assert set(attempts().values()) == {1}


# --- The rows taken along, remembered by the worker process --------------------------------


def test_the_tasks_of_rows_taken_along_and_sent_stop_without_a_query(
    smtp, django_assert_num_queries
):
    # given: a worker's task (remember) that took 4 rows along and sent them
    rows = queued_emails(5)
    smtp.start()
    outcome = deliver_notification(notification_id=rows[0].pk, coalesce=5, remember=True)
    assert outcome.along == delivery.BatchOutcome(claimed=4, sent=4, failed=0, retries=())
    # when: their own tasks come to this process
    with django_assert_num_queries(0):
        skipped = [
            deliver_notification(notification_id=row.pk, coalesce=5, remember=True)
            for row in rows[1:]
        ]
    # then: each stops at once, nothing sent again
    assert skipped == [delivery.Outcome("skipped")] * 4
    assert len(smtp.received) == 5
    assert set(statuses().values()) == {Status.SENT}


def test_a_row_is_forgotten_at_its_first_task_so_a_resend_is_claimed(smtp):
    # given: a row taken along and sent, its own task come and gone
    first, along = queued_emails(2)
    smtp.start()
    deliver_notification(notification_id=first.pk, coalesce=2, remember=True)
    assert deliver_notification(notification_id=along.pk, remember=True).status == "skipped"
    # when: staff send it again (queued again, a new task)
    Notification.objects.filter(pk=along.pk).update(status=Status.QUEUED)
    outcome = deliver_notification(notification_id=along.pk, coalesce=2, remember=True)
    # then: claimed and sent a second time, with its one Message-ID
    assert outcome.status == "sent"
    assert [m["Message-ID"] for m in smtp.received].count(along.message_id) == 2
    assert Notification.objects.get(pk=along.pk).attempts == 2


def test_a_row_taken_along_and_put_back_for_a_retry_is_not_remembered(smtp):
    # given: the server defers a row taken along
    own, deferred = queued_emails(2)
    smtp.answer_at_data[deferred.recipient] = "451 4.3.0 Try again later"
    smtp.start()
    outcome = deliver_notification(notification_id=own.pk, coalesce=2, remember=True)
    assert outcome.along is not None
    assert [pk for pk, _ in outcome.along.retries] == [deferred.pk]
    # when: its retry is due and its task comes
    del smtp.answer_at_data[deferred.recipient]
    Notification.objects.filter(pk=deferred.pk).update(next_attempt_at=timezone.now())
    # then: it is claimed and sent (second attempt)
    assert deliver_notification(notification_id=deferred.pk, remember=True).status == "sent"
    assert Notification.objects.get(pk=deferred.pk).attempts == 2


def test_a_row_remembered_longer_than_the_memo_lasts_is_claimed(smtp, monkeypatch):
    # given: a row taken along and sent, its task coming later than the memo lasts
    first, along = queued_emails(2)
    smtp.start()
    deliver_notification(notification_id=first.pk, coalesce=2, remember=True)
    Notification.objects.filter(pk=along.pk).update(status=Status.QUEUED)  # resent meanwhile
    monkeypatch.setattr(delivery, "FINISHED_MEMO_SECONDS", -1.0)
    # when
    outcome = deliver_notification(notification_id=along.pk, remember=True)
    # then
    assert outcome.status == "sent"


def test_without_remember_the_task_of_a_row_taken_along_claims_it(smtp, django_assert_num_queries):
    # given: an eager task (its caller's process: no memo) that took a row along
    first, along = queued_emails(2)
    smtp.start()
    deliver_notification(notification_id=first.pk, coalesce=2)
    # when / then: the row's task asks the database, in one statement
    with django_assert_num_queries(1):
        assert deliver_notification(notification_id=along.pk, coalesce=2).status == "skipped"


def test_a_forked_child_remembers_nothing_of_its_parent():
    # given
    delivery._remember_finished([101, 102])
    # when
    pid = os.fork()
    if pid == 0:  # the child: exit code 0 when it remembers nothing
        os._exit(0 if not delivery._finished else 1)
    _, status = os.waitpid(pid, 0)
    # then
    assert os.waitstatus_to_exitcode(status) == 0
    assert delivery._finished_here(101)
