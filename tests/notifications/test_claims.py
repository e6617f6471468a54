"""Claiming outbox rows (notifications/claims.py): one statement on PostgreSQL, and never the
same row to two workers, one by id or in batches, raced in real threads."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import delivery, webhook_delivery
from notifications.claims import claim_rows
from notifications.models import Notification, WebhookDelivery, WebhookEndpoint
from notifications.outbox import account_notification_row
from notifications.services import notification_enqueue
from tests.factories import UserFactory, bare_return
from tests.fixtures.concurrency import race

Status = Notification.Status
# PostgreSQL claims and reads in one statement; SQLite updates, then reads what it claimed.
CLAIM_QUERIES = 1 if connection.vendor == "postgresql" else 2


def account_emails(count: int) -> list[int]:
    user = UserFactory()
    return [account_notification_row(user=user, event="signup_notice")[0].pk for _ in range(count)]


def webhook_rows(count: int) -> list[int]:
    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hooks", events=[])
    return [
        WebhookDelivery.objects.create(
            endpoint=endpoint, event_type="return.requested", body="{}", max_attempts=3
        ).pk
        for _ in range(count)
    ]


@pytest.mark.django_db
def test_a_claim_is_one_statement_and_brings_the_row_as_written_with_its_relations(
    django_assert_num_queries,
):
    # given
    notification = notification_enqueue(ret=bare_return(language="en"), event="received")
    # when
    with django_assert_num_queries(CLAIM_QUERIES):
        claimed = delivery._claim(notification.pk)
    # then: the values the claim wrote, and the relations the provider reads, loaded
    stored = Notification.objects.get(pk=notification.pk)
    assert (claimed.status, claimed.attempts) == (Status.SENDING, 1)
    assert (stored.status, stored.attempts) == (Status.SENDING, 1)
    assert claimed.claimed_at == stored.claimed_at
    assert claimed.handed_over_at is None
    with django_assert_num_queries(0):
        assert claimed.ret.order.customer.email == stored.recipient
    # and a second claim takes nothing, in one statement too
    with django_assert_num_queries(1):
        assert delivery._claim(notification.pk) is None
    assert Notification.objects.get(pk=notification.pk).attempts == 1


@pytest.mark.django_db
def test_a_webhook_claim_is_one_statement_with_its_endpoint(django_assert_num_queries):
    # given
    [delivery_id] = webhook_rows(1)
    # when
    with django_assert_num_queries(CLAIM_QUERIES):
        claimed = webhook_delivery._claim(delivery_id)
    # then
    assert (claimed.status, claimed.attempts) == (WebhookDelivery.Status.SENDING, 1)
    with django_assert_num_queries(0):
        assert claimed.endpoint.url == "http://127.0.0.1:9/hooks"
    assert WebhookDelivery.objects.get(pk=delivery_id).status == WebhookDelivery.Status.SENDING


@pytest.mark.django_db
def test_a_batch_claim_takes_only_due_rows_with_attempts_left_oldest_first(
    django_assert_num_queries,
):
    # given: 5 due rows, one waiting for its retry, one out of attempts, one already sending
    ids = account_emails(8)
    Notification.objects.filter(pk=ids[5]).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    Notification.objects.filter(pk=ids[6]).update(attempts=6, max_attempts=6)
    Notification.objects.filter(pk=ids[7]).update(status=Status.SENDING)
    Notification.objects.filter(pk=ids[4]).update(next_attempt_at=timezone.now() - timedelta(1))
    # when: up to 3
    with django_assert_num_queries(CLAIM_QUERIES):
        first = claim_rows(Notification, now=timezone.now(), limit=3)
    rest = claim_rows(Notification, now=timezone.now(), limit=10)
    # then: the longest due first, and nothing that was not claimable
    assert ids[4] in [row.pk for row in first]
    assert len(first) == 3
    assert sorted(row.pk for row in first + rest) == ids[:5]
    assert Notification.objects.filter(status=Status.SENDING).count() == 6
    assert Notification.objects.get(pk=ids[5]).attempts == 0
    assert Notification.objects.get(pk=ids[6]).status == Status.QUEUED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model", [Notification, WebhookDelivery], ids=["email", "webhook"])
def test_two_workers_claiming_each_row_at_once_never_both_get_it(model):
    # given: 60 queued rows
    ids = account_emails(60) if model is Notification else webhook_rows(60)

    def worker():
        return [row.pk for pk in ids for row in claim_rows(model, now=timezone.now(), pk=pk)]

    # when: two workers claim every row by id, at the same moment, each on its connection
    first, second = race(worker, worker)
    # then: every row claimed once, by one of them
    assert not set(first) & set(second)
    assert sorted(first + second) == ids
    assert set(model.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_batches_at_once_take_disjoint_rows():
    # given: 300 queued emails
    ids = account_emails(300)

    def worker():
        taken = []
        while batch := claim_rows(Notification, now=timezone.now(), limit=7):
            taken.extend(row.pk for row in batch)
        return taken

    # when: two workers claim batches of 7 until none is left
    first, second = race(worker, worker)
    # then: all 300 claimed, none by both, each once
    assert not set(first) & set(second)
    assert sorted(first + second) == ids
    assert first, "the second worker took everything: the race did not happen"
    assert second, "the first worker took everything: the race did not happen"
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_bookkeeping_skips_the_flush_wait_in_its_own_statements_only(smtp):
    # given: two emails, the provider up
    first, second = account_emails(2)
    smtp.start()
    # when: one sent on its own (autocommit, as in the worker)
    with CaptureQueriesContext(connection) as own:
        assert delivery.deliver_notification(notification_id=first).status == "sent"
    # then: claim, hand-over and outcome each carry the setting, and the session keeps its own
    flagged = [q["sql"] for q in own.captured_queries if "synchronous_commit" in q["sql"]]
    assert len(flagged) == 3
    assert synchronous_commit() == "on"
    # when: one sent inside a caller's transaction (a task run eagerly)
    with CaptureQueriesContext(connection) as inside, transaction.atomic():
        assert delivery.deliver_notification(notification_id=second).status == "sent"
    # then: the caller's transaction commits as it would have
    assert not [q for q in inside.captured_queries if "synchronous_commit" in q["sql"]]
    assert synchronous_commit() == "on"
    assert len(smtp.received) == 2
