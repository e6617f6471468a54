"""The worker's side of the outbox: claim a row, render, send, record the outcome; and the sweep
that hands lost or stuck rows to the broker again.

Each row is sent once: only a queued row whose time has come can be claimed, by a conditional
UPDATE that one worker wins. Transient provider errors put the row back in the queue with an
exponential backoff; permanent ones, and anything unexpected, mark it failed for a person to see.

At most once where that can be known: just before the email is handed to the provider, the
attempt records it (`handed_over_at`, committed). A worker killed before that never sent the
email, and the sweep queues it again. One killed after it may have sent it: nobody can know
(SMTP and the providers' APIs have no way to ask), so the sweep queues it again too, rather than
lose it, and the second copy carries the same Message-ID (Notification.message_id): mail
clients show it once. The sweep counts those apart (`requeued_uncertain`).
"""

import contextlib
import logging
import os
import random
import smtplib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from anymail.exceptions import (
    AnymailAPIError,
    AnymailError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
)
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, models
from django.db.models import F
from django.utils import timezone

from notifications import registry
from notifications.account_emails import AccountEmailNotSendable
from notifications.claims import claim_ids, claim_rows, no_flush_wait
from notifications.emails import batch_template_sources, build_message, email_batch
from notifications.models import Notification, NotificationStatus
from shop.commits import NO_FLUSH_WAIT_CONDITION, commits_alone

logger = logging.getLogger(__name__)

PERMANENT_ERRORS = (
    AccountEmailNotSendable,
    AnymailRecipientsRefused,
    AnymailInvalidAddress,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
)
TRANSIENT_ERRORS = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    socket.herror,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    SoftTimeLimitExceeded,
)


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did; `retry_in` (seconds) when it must be tried again."""

    status: str  # "sent", "retry", "failed", or "skipped" (not claimable: nothing done)
    retry_in: float | None = None
    # The other due rows a coalescing send took along (deliver_notification's `coalesce`).
    along: "BatchOutcome | None" = None


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt later: the provider or the network may be fine in a minute."""
    if isinstance(exc, PERMANENT_ERRORS):
        return False
    if isinstance(exc, AnymailAPIError):
        if exc.status_code is None:  # no answer at all: the request failed on the way
            return isinstance(exc.__cause__, OSError)
        return exc.status_code == 429 or exc.status_code >= 500
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500  # SMTP's "try again later"
    return isinstance(exc, TRANSIENT_ERRORS)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base·2^(n-1), capped, then drawn in its upper half so
    that emails failing together do not all come back together."""
    ceiling = min(
        settings.NOTIFICATIONS_RETRY_MAX_SECONDS,
        settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def describe_error(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # Anymail's errors built without a response fail to describe themselves
        text = " ".join(str(arg) for arg in exc.args)
    status_code = getattr(exc, "status_code", None)
    prefix = f"{type(exc).__name__}" + (f" (HTTP {status_code})" if status_code else "")
    return f"{prefix}: {text}"[:2000] if text else prefix


def _claim(notification_id: int):
    """Take the row for this worker, or None when it is not ours to send (already claimed,
    sent, failed, not due yet, out of attempts). One statement on PostgreSQL (claims.py)."""
    claimed = _claim_rows(pk=notification_id)
    return claimed[0] if claimed else None


def _claim_rows(*, pk: int | None = None, limit: int = 1) -> list:
    return claim_rows(
        Notification,
        now=timezone.now(),
        pk=pk,
        limit=limit,
        reset=("handed_over_at",),
        related=_related(),
    )


def _related() -> tuple[str, ...]:
    return (*registry.provider().notification_related, "user")


def _claim_with_due(notification_id: int, limit: int) -> list:
    """Row `notification_id` and, once it is ours, up to `limit` - 1 other due rows (oldest
    due first, those no other claimer holds), claimed at one `now` (a batch's rows share their
    `claimed_at`) and read with their relations, the task's row with them (on PostgreSQL in
    the second claim's statement); [] when the row is not ours to send (one cheap statement:
    the usual case of a task whose row a batch took already).
    Two claims, the task's row first: one statement taking both could wait on a row a
    second worker's batch holds while holding one that worker waits on (a deadlock)."""
    now, reset = timezone.now(), ("handed_over_at",)
    ids = claim_ids(Notification, now=now, pk=notification_id, reset=reset)
    if not ids:
        return []
    return claim_rows(
        Notification,
        now=now,
        limit=limit - 1,
        reset=reset,
        related=_related(),
        claimed=tuple(ids),
    )


def _hand_over(notification) -> bool:
    """Record that this attempt gives the email to the provider now. False when the sweep took
    the row back meanwhile (then it is not ours to send)."""
    return bool(
        no_flush_wait(
            Notification.objects.filter(
                pk=notification.pk,
                status=NotificationStatus.SENDING,
                claimed_at=notification.claimed_at,
            )
        ).update(handed_over_at=timezone.now())
    )


def _finish(notification, **changes) -> None:
    """Record the outcome, unless the sweep took the row back meanwhile (it then belongs to
    whoever claims it next)."""
    changes["updated_at"] = timezone.now()
    updated = no_flush_wait(
        Notification.objects.filter(
            pk=notification.pk,
            status=NotificationStatus.SENDING,
            claimed_at=notification.claimed_at,
        )
    ).update(**changes)
    if not updated:
        logger.warning(
            "notification %s was taken back while sending; outcome %s not recorded",
            notification.pk,
            changes.get("status"),
        )


def _provider_message_id(message) -> str:
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id is not None:
        message_id = status.message_id
        if isinstance(message_id, set):  # one id per recipient; we send to one
            message_id = ",".join(sorted(str(part) for part in message_id))
        return str(message_id)
    return message.extra_headers.get("Message-ID", "")


def deliver_notification(
    *, notification_id: int, coalesce: int = 1, remember: bool = False
) -> Outcome:
    """Claim, render, send and record one notification. Never raises for a sending error.

    With `coalesce` > 1 (the task's NOTIFICATIONS_COALESCE), a row claimed for sending takes
    along up to `coalesce` - 1 other due rows, sent as a batch on the same connection
    (`_deliver_claimed`, each row's outcome recorded as alone; `Outcome.along` says what
    became of them): a burst of emails, one task each, costs one claim, one load of their
    data and one record of their outcomes per batch, and the tasks of the rows taken along
    find them claimed in one cheap statement. Such a batch is handed over at once, as
    deliver_batch's: a worker killed during it may send its rows twice (their Message-ID).

    With `remember` (a worker's task, never an eager one), the rows this process took along
    and finished (sent or failed) are remembered a while, and the task of such a row, when
    this process gets it, stops without a query (_finished_here)."""
    if remember and _finished_here(notification_id):
        return Outcome("skipped")
    if coalesce <= 1:
        notification = _claim(notification_id)
        claimed = [notification] if notification is not None else []
    else:
        claimed = _claim_with_due(notification_id, coalesce)
    if not claimed:
        return Outcome("skipped")
    if len(claimed) == 1:
        return _deliver_one(claimed[0])
    outcomes = _deliver_claimed(claimed)
    own = outcomes.get(notification_id, Outcome("skipped"))
    along = [row for row in claimed if row.pk != notification_id]
    if remember:
        _remember_finished(
            row.pk for row in along if outcomes.get(row.pk, Outcome("skipped")).status in FINISHED
        )
    return Outcome(own.status, own.retry_in, along=_summary(along, outcomes))


# --- The rows a coalescing task took along, whose own tasks need not ask the database -------
#
# A burst of N emails is N tasks; the first takes along up to NOTIFICATIONS_COALESCE - 1 others,
# whose tasks then found their row taken in one UPDATE each, plus the connection's health check
# (a SELECT 1) that the task's first query costs: two round trips of a task that does nothing,
# most of a single email's time once its sending was batched (bench/README.md, Worker). This
# process remembers the rows it took along and finished, for FINISHED_MEMO_SECONDS, and the
# first task of such a row that it gets stops at once: the claim would have found it sent or
# failed. Each row is forgotten at that first task, so a later one (a staff resend, which puts
# the row back in the queue) claims as usual; only a resend within those seconds whose task
# comes before the row's own one (which would then claim nothing) would wait for the sweep
# (NOTIFICATIONS_SWEEP_GRACE_SECONDS). Rows put back for a retry are not remembered: their own
# task claims (and finds them not due), their retry task sends them. Another worker process
# remembers nothing of this one's rows and claims as before.

FINISHED = ("sent", "failed")
FINISHED_MEMO_SECONDS = 60.0
FINISHED_MEMO_MAX = 10_000
_finished: dict[int, float] = {}  # notification id -> time.monotonic() when finished
os.register_at_fork(after_in_child=_finished.clear)


def _remember_finished(ids) -> None:
    now = time.monotonic()
    if len(_finished) >= FINISHED_MEMO_MAX:
        _forget_old_finished(now)
    for pk in ids:
        if len(_finished) < FINISHED_MEMO_MAX:
            _finished[pk] = now


def _forget_old_finished(now: float) -> None:
    for pk, at in list(_finished.items()):
        if now - at > FINISHED_MEMO_SECONDS:
            _finished.pop(pk, None)


def _finished_here(notification_id: int) -> bool:
    """This process finished the row in another task's batch moments ago (forgotten now)."""
    at = _finished.pop(notification_id, None)
    return at is not None and time.monotonic() - at <= FINISHED_MEMO_SECONDS


def forget_finished() -> None:
    """Forget every remembered row (the tests, between two of them)."""
    _finished.clear()


def _deliver_one(notification) -> Outcome:
    """Render, hand over, send on this process's mail connection, record."""
    try:
        message = build_message(notification)
        if not _hand_over(notification):
            logger.warning("notification %s was taken back before sending", notification.pk)
            return Outcome("skipped")
        with mail_connection() as mail:
            _send_one(mail, message)
    except Exception as exc:
        return _record_failure(notification, exc)
    _finish(
        notification,
        status=NotificationStatus.SENT,
        sent_at=timezone.now(),
        provider_message_id=_provider_message_id(message)[:255],
        last_error="",
    )
    return Outcome("sent")


def _send_one(mail, message) -> None:
    try:
        mail.send_messages([message])
    except Exception as exc:
        if _connection_broken(exc):  # not kept: the next send opens another
            _close_quietly(mail)
        raise


def _record_failure(notification, exc: Exception) -> Outcome:
    error = describe_error(exc)
    if is_transient(exc) and notification.attempts < notification.max_attempts:
        delay = backoff_seconds(notification.attempts)
        logger.warning(
            "notification %s: transient error, retry in %.0f s: %s", notification.pk, delay, error
        )
        _finish(
            notification,
            status=NotificationStatus.QUEUED,
            last_error=error,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        return Outcome("retry", retry_in=delay)
    if is_transient(exc):
        error = f"gave up after {notification.attempts} attempts: {error}"
    # Permanent, out of attempts, or unexpected (a template error, a bug): a person looks at it
    # and sends it again once fixed. Retrying blindly would not help and could send twice.
    logger.error(
        "notification %s failed: %s",
        notification.pk,
        error,
        exc_info=not is_transient(exc) and not isinstance(exc, PERMANENT_ERRORS),
    )
    _finish(notification, status=NotificationStatus.FAILED, last_error=error)
    return Outcome("failed")


@dataclass(frozen=True)
class BatchOutcome:
    """What one batch did: rows claimed, sent, failed, and those put back for a retry (id and
    seconds, as `Outcome.retry_in`)."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retries: tuple[tuple[int, float], ...] = ()


def deliver_batch(*, limit: int | None = None) -> BatchOutcome:
    """Claim up to `limit` due emails (NOTIFICATIONS_BATCH_SIZE), oldest due first, and send
    them on one mail connection. Each row's outcome is recorded as deliver_notification records
    it: sent, back in the queue with its backoff, or failed. Never raises for a sending error.

    The batch is handed over at once: a worker killed during it leaves its rows `sending` with
    `handed_over_at` set, the sweep queues them again, and those that had gone are sent a second
    time with their Message-ID (at most one batch). What the emails read is loaded for the whole
    batch at once (the provider's `batch`: a fixed number of queries whatever its size, the
    label emails' PDFs with it); each email is rendered just before it is sent, so one message
    at a time is held."""
    claimed = _claim_rows(limit=settings.NOTIFICATIONS_BATCH_SIZE if limit is None else limit)
    return _summary(claimed, _deliver_claimed(claimed))


def _deliver_claimed(claimed: list) -> dict[int, Outcome]:
    """Hand over, send on one connection and record the claimed rows (deliver_batch's way);
    each row's outcome by id."""
    outcomes: dict[int, Outcome] = {}
    ready = _hand_over_all(claimed, outcomes)
    _record_sent(_send_on_one_connection(ready, outcomes), outcomes)
    return outcomes


def _summary(claimed: list, outcomes: dict[int, Outcome]) -> BatchOutcome:
    each = [(row.pk, outcomes.get(row.pk, Outcome("skipped"))) for row in claimed]
    statuses = [outcome.status for _pk, outcome in each]
    return BatchOutcome(
        claimed=len(claimed),
        sent=statuses.count("sent"),
        failed=statuses.count("failed"),
        retries=tuple((pk, o.retry_in) for pk, o in each if o.retry_in is not None),
    )


def _hand_over_all(claimed: list, outcomes: dict[int, Outcome]) -> list:
    """_hand_over for the whole batch in one UPDATE (its rows share their `claimed_at`); the
    rows the sweep took back meanwhile are left out."""
    if not claimed:
        return []
    now = timezone.now()
    claimed_at = claimed[0].claimed_at
    ids = [notification.pk for notification in claimed]
    rows = Notification.objects.filter(pk__in=ids, claimed_at=claimed_at)
    handed = no_flush_wait(rows.filter(status=NotificationStatus.SENDING)).update(
        handed_over_at=now
    )
    if handed == len(ids):
        return claimed
    ours = set(rows.filter(handed_over_at=now).values_list("pk", flat=True))
    for notification in claimed:
        if notification.pk not in ours:
            logger.warning("notification %s was taken back before sending", notification.pk)
            outcomes[notification.pk] = Outcome("skipped")
    return [notification for notification in claimed if notification.pk in ours]


def _send_on_one_connection(ready: list, outcomes: dict[int, Outcome]) -> list:
    """Render and send each email on one open connection of the email backend; the rows sent,
    with the provider's message id and the time each went. A failure (rendering or sending) is
    recorded for its row only, and the rest go on (on a new connection if that one broke). A
    provider that cannot be reached fails every row alike."""
    sent: list[tuple[Notification, str, datetime]] = []
    if not ready:  # an empty batch opens no connection
        return sent
    try:
        mail = open_mail_connection()
    except Exception as exc:
        for notification in ready:
            outcomes[notification.pk] = _record_failure(notification, exc)
        return sent
    sources_of = batch_template_sources(ready)  # the batch's template rows in one query
    batch = _email_batch(ready)
    try:
        for position, notification in enumerate(ready):
            try:
                message = build_message(notification, sources_of, batch)
                mail.send_messages([message])
            except SoftTimeLimitExceeded as exc:  # out of time: this row and the rest come back
                outcomes[notification.pk] = _record_failure(notification, exc)
                for untried in ready[position + 1 :]:
                    outcomes[untried.pk] = _give_back(untried)
                break
            except Exception as exc:
                outcomes[notification.pk] = _record_failure(notification, exc)
                if _connection_broken(exc):
                    _reconnect(mail)
            else:
                sent.append((notification, _provider_message_id(message), timezone.now()))
    finally:
        keep_mail_connection(mail)
    return sent


def _give_back(notification) -> Outcome:
    """A claimed row the batch ran out of time before trying: queued again, due now, with the
    attempt its claim counted given back (a batch of many rows on a slow provider would
    otherwise spend the attempts of rows it never tried, and fail the last of them)."""
    _finish(
        notification,
        status=NotificationStatus.QUEUED,
        attempts=F("attempts") - 1,
        next_attempt_at=timezone.now(),
    )
    return Outcome("retry", retry_in=0.0)


def _email_batch(ready: list):
    """The provider's data for the whole batch, in a fixed number of queries whatever its size
    (registry.EmailProvider.batch). Should that fail, each email loads its own, so that only
    the one at fault fails."""
    try:
        return email_batch(ready)
    except Exception:
        logger.exception(
            "loading the data of a batch of %s emails failed; one at a time", len(ready)
        )
        return None


def _connection_broken(exc: Exception) -> bool:
    """The error came from the connection, not from an answer about this one message."""
    answered = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused, AnymailError)
    return isinstance(exc, OSError) and not isinstance(exc, answered)


def _reconnect(mail) -> None:
    _close_quietly(mail)
    # If it cannot open now, the next send opens it itself and its row records that error.
    with contextlib.suppress(Exception):
        mail.open()


# --- This process's mail connection, kept open across tasks ---------------------------------
#
# Opening an SMTP connection (TCP, greeting, EHLO; TLS and login at a provider) cost more than
# sending a message on it. So the worker keeps the connection it sent on for the next task: for
# NOTIFICATIONS_MAIL_KEEP_SECONDS at most since its last use (0: closed after each send, as
# before), with the same backend settings, and an SMTP connection idle for longer than
# MAIL_CHECK_AFTER_SECONDS must still answer NOOP (a server may have dropped it meanwhile:
# then a new one, and no email fails for it). A connection broken by a send is closed and never
# kept. The pool child closes it at its shutdown (notifications/tasks.py); a forked child
# forgets its parent's (the socket is the parent's: a QUIT from the child would end it).

MAIL_CHECK_AFTER_SECONDS = 1.0


class _KeptMail(threading.local):
    mail = None
    key: tuple = ()
    used_at = 0.0


_kept = _KeptMail()
os.register_at_fork(after_in_child=lambda: setattr(_kept, "mail", None))


def _mail_settings() -> tuple:
    return (
        settings.EMAIL_BACKEND,
        settings.EMAIL_HOST,
        settings.EMAIL_PORT,
        settings.EMAIL_HOST_USER,
        settings.EMAIL_USE_TLS,
        settings.EMAIL_USE_SSL,
    )


def open_mail_connection():
    """An open connection of the email backend: the one kept from the last send when it may
    serve again (above), else a new one (raising what opening raises). The caller owns it until
    it gives it back with keep_mail_connection."""
    mail, _kept.mail = _kept.mail, None
    if mail is not None:
        idle = time.monotonic() - _kept.used_at
        if (
            _kept.key == _mail_settings()
            and idle < settings.NOTIFICATIONS_MAIL_KEEP_SECONDS
            and (idle < MAIL_CHECK_AFTER_SECONDS or _still_answers(mail))
        ):
            return mail
        _close_quietly(mail)
    mail = get_connection()
    mail.open()
    return mail


def keep_mail_connection(mail) -> None:
    """Done with `mail` for now: kept for the next send, or closed when keeping is off. One
    whose SMTP session is gone (closed after a broken send) is not kept."""
    if settings.NOTIFICATIONS_MAIL_KEEP_SECONDS <= 0 or getattr(mail, "connection", True) is None:
        _close_quietly(mail)
        return
    previous, _kept.mail = _kept.mail, mail
    if previous is not None and previous is not mail:
        _close_quietly(previous)
    _kept.key, _kept.used_at = _mail_settings(), time.monotonic()


def close_mail_connection() -> None:
    """Close the kept connection (the pool child's shutdown)."""
    mail, _kept.mail = _kept.mail, None
    if mail is not None:
        _close_quietly(mail)


@contextlib.contextmanager
def mail_connection():
    mail = open_mail_connection()
    try:
        yield mail
    finally:
        keep_mail_connection(mail)


def _still_answers(mail) -> bool:
    """An SMTP session still there (NOOP answered 250); other backends (an HTTP API's session,
    which checks its own sockets) are taken as they are."""
    noop = getattr(getattr(mail, "connection", None), "noop", None)
    if noop is None:
        return True
    try:
        return noop()[0] == 250
    except Exception:
        return False


def _close_quietly(mail) -> None:
    # The messages have gone (or not) whatever QUIT answers: a failed close changes nothing.
    with contextlib.suppress(Exception):
        mail.close()


def _record_sent(sent: list, outcomes: dict[int, Outcome]) -> None:
    """_finish for every row sent, in one UPDATE, with what deliver_notification records."""
    if not sent:
        return
    now = timezone.now()
    rows = []
    for notification, provider_message_id, sent_at in sent:
        notification.status = NotificationStatus.SENT
        notification.sent_at = sent_at
        notification.provider_message_id = provider_message_id[:255]
        notification.last_error = ""
        notification.updated_at = now
        rows.append(notification)
        outcomes[notification.pk] = Outcome("sent")
    # Only rows still ours: the sweep may have taken some back meanwhile (see _finish).
    if connection.vendor == "postgresql":
        updated = _record_sent_postgresql(rows, now=now)
    else:
        updated = no_flush_wait(
            Notification.objects.filter(
                status=NotificationStatus.SENDING, claimed_at=rows[0].claimed_at
            )
        ).bulk_update(
            rows, ["status", "sent_at", "provider_message_id", "last_error", "updated_at"]
        )
    if updated < len(rows):
        logger.warning(
            "%s of %s notifications sent were taken back meanwhile; not recorded",
            len(rows) - updated,
            len(rows),
        )


def _record_sent_postgresql(rows: list, *, now) -> int:
    """bulk_update's UPDATE as one `UPDATE ... FROM (VALUES ...)`: the batch's rows with their
    own sent_at and provider id, the same conditions and the same commit without the flush
    wait. bulk_update's CASE of 100 rows for each of five columns cost more to build than the
    whole batch's other queries (about 2 ms an email on the bench machine)."""
    ops = connection.ops
    table = ops.quote_name(Notification._meta.db_table)
    values = ", ".join(["(%s::bigint, %s::timestamptz, %s::varchar)"] * len(rows))
    params: list = []
    for row in rows:
        params += [row.pk, ops.adapt_datetimefield_value(row.sent_at), row.provider_message_id]
    at = ops.adapt_datetimefield_value
    sql = (
        f"UPDATE {table} AS n SET status = %s, sent_at = v.sent_at, "
        "provider_message_id = v.provider_message_id, last_error = '', updated_at = %s "
        f"FROM (VALUES {values}) AS v(id, sent_at, provider_message_id) "
        "WHERE n.id = v.id AND n.status = %s AND n.claimed_at = %s"
    )
    params = [NotificationStatus.SENT, at(now), *params, NotificationStatus.SENDING]
    params.append(at(rows[0].claimed_at))
    if commits_alone():
        sql = f"{sql} AND {NO_FLUSH_WAIT_CONDITION}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@dataclass(frozen=True)
class SweepResult:
    requeued_stuck: int = 0
    failed_stuck: int = 0
    published: int = 0
    unpublished: int = 0
    # Of requeued_stuck: those whose worker died after handing the email to the provider (it
    # may have gone; sent again with the same Message-ID).
    requeued_uncertain: int = 0


def _stuck_rows(*, now, stuck_after: float):
    """Rows in `sending` claimed more than `stuck_after` seconds ago: their worker died."""
    return Notification.objects.filter(
        status=NotificationStatus.SENDING, claimed_at__lte=now - timedelta(seconds=stuck_after)
    )


def _due_rows(*, due_before, now):
    return Notification.objects.filter(status=NotificationStatus.QUEUED).filter(
        # Rows the sweep just took back from a dead worker are due whatever the grace.
        models.Q(next_attempt_at__lte=due_before) | models.Q(next_attempt_at=now)
    )


@dataclass(frozen=True)
class SweepPreview:
    """What a sweep would do now, changing nothing (manage.py notifications_sweep's dry run)."""

    stuck_to_requeue: int
    stuck_to_fail: int
    to_publish: int  # queued rows due for longer than the grace (the requeued ones come on top)


def notifications_sweep_preview(
    *, stuck_after: float | None = None, grace: float | None = None
) -> SweepPreview:
    stuck_after = settings.NOTIFICATIONS_STUCK_AFTER_SECONDS if stuck_after is None else stuck_after
    grace = settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS if grace is None else grace
    now = timezone.now()
    stuck = _stuck_rows(now=now, stuck_after=stuck_after)
    to_fail = stuck.filter(attempts__gte=F("max_attempts")).count()
    return SweepPreview(
        stuck_to_requeue=stuck.count() - to_fail,
        stuck_to_fail=to_fail,
        to_publish=_due_rows(due_before=now - timedelta(seconds=grace), now=now).count(),
    )


def notifications_sweep(
    *,
    publish: Callable[..., bool],
    publish_batch: Callable[..., bool] | None = None,
    stuck_after: float | None = None,
    grace: float | None = None,
    batch_size: int = 500,
) -> SweepResult:
    """Hand to the broker again what it lost or never got.

    - rows in `sending` claimed more than `stuck_after` seconds ago: their worker died. They go
      back to queued (or to failed when out of attempts); those it had handed to the provider
      are counted in `requeued_uncertain` and logged (see the module's docstring);
    - rows queued and due for more than `grace` seconds: their message was lost, or the broker
      was down when they were queued. They are published again.
    A row published twice is still sent once: the claim lets one worker have it.
    `publish(notification_id, even_if_broker_down=True)` hands one row to the broker
    (notifications.tasks.publish_send; passed in, since the tasks build on this module).
    With `publish_batch(even_if_broker_down=True)` (tasks.publish_batch), a backlog of at least
    NOTIFICATIONS_BATCH_FROM due rows goes to batch tasks instead (deliver_batch), which claim
    due rows themselves and publish the next batch while theirs was full.
    """
    stuck_after = settings.NOTIFICATIONS_STUCK_AFTER_SECONDS if stuck_after is None else stuck_after
    grace = settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS if grace is None else grace
    now = timezone.now()
    stuck = _stuck_rows(now=now, stuck_after=stuck_after)
    failed_stuck = stuck.filter(attempts__gte=F("max_attempts")).update(
        status=NotificationStatus.FAILED,
        updated_at=now,
        last_error="gave up: the worker stopped during the last attempt",
    )
    uncertain = list(stuck.filter(handed_over_at__isnull=False).values_list("pk", flat=True))
    requeued_stuck = stuck.update(
        status=NotificationStatus.QUEUED, next_attempt_at=now, updated_at=now
    )
    requeued_uncertain = (
        Notification.objects.filter(
            pk__in=uncertain, status=NotificationStatus.QUEUED, next_attempt_at=now
        ).update(
            last_error="the worker stopped after handing the email to the provider: it may "
            "have been sent; it is sent again with the same Message-ID"
        )
        if uncertain
        else 0
    )
    if requeued_uncertain:
        logger.warning(
            "notifications sweep: %s emails may have been sent by a worker that died; sent "
            "again with their Message-ID: %s",
            requeued_uncertain,
            uncertain,
        )
    due_before = now - timedelta(seconds=grace)
    if publish_batch is not None and _is_backlog(due_before=due_before, now=now):
        published, unpublished = _publish_batches(publish_batch, due_before=due_before, now=now)
    else:
        published, unpublished = _publish_due(
            publish, due_before=due_before, now=now, batch_size=batch_size
        )
    return SweepResult(
        requeued_stuck=requeued_stuck,
        failed_stuck=failed_stuck,
        published=published,
        unpublished=unpublished,
        requeued_uncertain=requeued_uncertain,
    )


def _is_backlog(*, due_before, now) -> bool:
    threshold = settings.NOTIFICATIONS_BATCH_FROM
    return len(_due_rows(due_before=due_before, now=now).values("pk")[:threshold]) >= threshold


def _publish_batches(publish_batch: Callable[..., bool], *, due_before, now) -> tuple[int, int]:
    """Hand the due rows to at most NOTIFICATIONS_BATCH_PARALLEL batch tasks, which go on
    until the backlog is empty. Returns the rows handed over and those left for the next sweep
    (all of them when the broker is down)."""
    due = _due_rows(due_before=due_before, now=now)
    # Handed over now: the next sweep waits `grace` again before publishing them twice.
    rows = due.update(next_attempt_at=now)
    tasks = min(
        settings.NOTIFICATIONS_BATCH_PARALLEL, -(-rows // settings.NOTIFICATIONS_BATCH_SIZE)
    )
    published = sum(bool(publish_batch(even_if_broker_down=True)) for _ in range(tasks))
    return (rows, 0) if published else (0, rows)


def _publish_due(
    publish: Callable[..., bool], *, due_before, now, batch_size: int
) -> tuple[int, int]:
    due = _due_rows(due_before=due_before, now=now)
    published = 0
    last_id = 0
    while True:
        ids = list(
            due.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return published, 0
        last_id = ids[-1]
        # Handed over now: the next sweep waits `grace` again before publishing them twice.
        Notification.objects.filter(pk__in=ids, status=NotificationStatus.QUEUED).update(
            next_attempt_at=now
        )
        for notification_id in ids:
            if not publish(notification_id, even_if_broker_down=True):
                # The broker is down: the rest waits for the next sweep.
                return published, due.filter(pk__gte=notification_id).count()
            published += 1
