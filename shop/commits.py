"""A statement that is a transaction of its own may commit without waiting for the WAL to
reach the disk: the outbox's bookkeeping (notifications/claims.py) and the throttles' hits
(shop/throttle.py), where that wait was most of the cost (7 to 12 ms a commit on the bench
machine). Only a crash of PostgreSQL itself can then forget the last fraction of a second of
such commits; each caller's docstring says why that is bounded for what it writes."""

from django.db import connection

# PostgreSQL's per-transaction setting, as a condition (true) a statement can carry: in
# autocommit the statement is its transaction, so its commit alone skips the wait.
NO_FLUSH_WAIT_CONDITION = "set_config('synchronous_commit', 'off', true) IS NOT NULL"


def commits_alone() -> bool:
    """On PostgreSQL in autocommit: the next statement is a transaction of its own. Inside a
    caller's transaction the setting would be the whole transaction's: never then."""
    return connection.vendor == "postgresql" and connection.get_autocommit()
