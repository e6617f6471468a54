"""Writing an outbox row, without publishing it (an account or staff email's, and the one
statement that queues a return's): services.py publishes after commit; the webhook worker,
which tasks.py imports, publishes through the function it is given (so this module imports
no task)."""

import uuid

from django.conf import settings
from django.db import connections, router

from notifications.events import ACCOUNT_EVENTS
from notifications.models import Notification


def supported_language(language: str) -> str:
    """The person's language if we have templates in it, else the shop's."""
    supported = {code for code, _name in settings.LANGUAGES}
    language = (language or "").split("-")[0]
    return language if language in supported else settings.LANGUAGE_CODE


def account_notification_row(
    *, user, event: str, dedup_key: str | None = None
) -> tuple[Notification, bool]:
    """The outbox row of an email to `user` about `event` (one per `dedup_key`), and whether
    this call created it."""
    if event not in ACCOUNT_EVENTS:
        raise ValueError(f"not an account email: {event!r}")
    key = dedup_key or f"once-{uuid.uuid4().hex}"
    return Notification.objects.get_or_create(
        dedup_key=f"account:{user.pk}:{event}:{key}"[:100],
        defaults={
            "user": user,
            "event": event,
            "recipient": user.email,
            "language": supported_language(user.language),
            "max_attempts": settings.NOTIFICATIONS_MAX_ATTEMPTS,
        },
    )


def insert_unless_keyed(row: Notification) -> bool:
    """Write the unsaved `row` unless a row of its `dedup_key` exists, in one statement
    (`INSERT ... ON CONFLICT (dedup_key) DO NOTHING RETURNING id`, PostgreSQL and SQLite >=
    3.35); whether it was written (then `row` has its id).

    Why not get_or_create: it reads, then inserts in a savepoint of its own, four statements
    where a return's confirm, bound by its statements, needs one. Against a key another
    transaction holds uncommitted, this statement waits for it as the unique index makes any
    INSERT wait, then writes nothing if that one committed."""
    connection = connections[router.db_for_write(Notification)]
    meta = Notification._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]

    def quoted(name: str | None) -> str:
        assert name is not None  # a concrete field's column, the model's table
        return connection.ops.quote_name(name)

    # As the ORM's INSERT prepares them: defaults and auto_now filled, values adapted.
    values = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]
    columns = ", ".join(quoted(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    key = quoted(meta.get_field("dedup_key").column)
    pk = quoted(meta.pk.column if meta.pk is not None else None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quoted(meta.db_table)} ({columns}) VALUES ({placeholders}) "
            f"ON CONFLICT ({key}) DO NOTHING RETURNING {pk}",
            values,
        )
        written = cursor.fetchone()
    if written is None:
        return False
    row.pk = written[0]
    row._state.adding = False
    row._state.db = connection.alias
    return True
