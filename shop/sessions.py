"""How long a session may stay idle: the rule the idle-timeout middleware asks; a session's
write that need not wait for the disk (save_alone), and its row deleted in one statement
(flush_alone)."""

import time

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSession
from django.contrib.sessions.models import Session
from django.db import connection

from shop.commits import NO_FLUSH_WAIT_CONDITION, commits_alone
from shop.passwords import is_staff_account

# The session key of the last request's time (seconds since the epoch, an int).
LAST_ACTIVITY_KEY = "_last_activity"
# The time is written again only once it is this many seconds old, so that most requests do not
# save the session; the timeout is then exact to within this much.
ACTIVITY_RESOLUTION = 60


def idle_timeout(user) -> int | None:
    """Seconds without a request after which this user's session ends; None: no idle limit.

    Staff and superusers: settings.STAFF_SESSION_IDLE_TIMEOUT (0 turns it off). Customers keep
    their session for SESSION_COOKIE_AGE."""
    if not getattr(user, "is_authenticated", False) or not is_staff_account(user):
        return None
    return settings.STAFF_SESSION_IDLE_TIMEOUT or None


def session_is_idle(user, last_activity: int | None, now: int) -> bool:
    """Whether the session of `user`, last active at `last_activity`, has been idle too long."""
    timeout = idle_timeout(user)
    return timeout is not None and last_activity is not None and now - last_activity > timeout


def start_activity_clock(sender, request, user, **kwargs) -> None:
    """On login (the user_logged_in signal): the session starts active now, so that the first
    request after it does not have to write the session again."""
    if idle_timeout(user) is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = int(time.time())


def save_alone(session) -> bool:
    """Write `session` (a database session already stored) now, in one statement that is its
    own transaction and commits without waiting for the WAL flush (shop/commits.py), and tell
    the session middleware it is saved; whether it was. Not written here (then saved by the
    middleware as always): off PostgreSQL or inside a transaction (commits_alone), another
    session engine, a session not stored yet.

    Only for a change a crash of PostgreSQL may forget, which each caller's comment says why.
    The middleware's own save is three statements (BEGIN, UPDATE, COMMIT) waiting for the
    flush; the cookie is not sent again (the session's key and the cookie are unchanged, only
    its expiry is not pushed back by this one request)."""
    if type(session) is not DatabaseSession or not session.session_key or not commits_alone():
        return False
    # As the backend's save writes it: the data encoded, the expiry pushed back.
    row = session.create_model_instance(dict(session.items()))
    table = connection.ops.quote_name(Session._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET session_data = %s, expire_date = %s "
            f"WHERE session_key = %s AND {NO_FLUSH_WAIT_CONDITION}",
            [row.session_data, row.expire_date, row.session_key],
        )
        saved = cursor.rowcount == 1
    if saved:
        session.modified = False
    return saved


def flush_alone(session) -> None:
    """As session.flush(): the session emptied, its row deleted, a new key made at its next
    save; the row deleted by one statement (Django's backend reads it first, then deletes it
    through the ORM's collector), which on PostgreSQL in autocommit commits without waiting for
    the WAL flush (shop/commits.py). Another session engine: its own flush().

    A crash of PostgreSQL may forget that deletion: the old row then stays as it was before
    (with nothing the caller adds afterwards, which goes under the new key) until it expires."""
    if type(session) is not DatabaseSession:
        session.flush()
        return
    key = session.session_key
    session.clear()
    if key:
        table = connection.ops.quote_name(Session._meta.db_table)
        alone = f" AND {NO_FLUSH_WAIT_CONDITION}" if commits_alone() else ""
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE session_key = %s{alone}", [key])
    session._session_key = None  # as flush() leaves it: the next save makes a new key
