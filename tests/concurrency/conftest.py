"""Committed rows for tests that race services in threads and processes (PostgreSQL).

The racing connections must see what the test made, so nothing may sit in a test transaction.
`committed_db` opens the test database to a whole module without one, and empties it (as a
transactional test does) once the module is done: one flush per module rather than one per
test, the pairs' test having 231 of them. Each test makes its own order, customer and variants
and looks only at them.

Commits are made without waiting for the disk (synchronous_commit off, for these connections
only): a crash of the test database loses nothing a test needs, and the races are the same.
"""

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.backends.signals import connection_created
from django.test.utils import setup_databases, teardown_databases

from tests.fixtures.returns import seed_reasons


def _commit_without_waiting(sender, connection, **kwargs):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")


@pytest.fixture(scope="module")
def fast_commits():
    connections.close_all()  # each connection made from now on commits without waiting
    connection_created.connect(_commit_without_waiting)
    yield
    connection_created.disconnect(_commit_without_waiting)
    connections.close_all()  # the next tests' connections commit as usual


@pytest.fixture(scope="session")
def test_database(django_db_setup, django_db_blocker):
    """The test database. pytest-django makes it when the run has a test marked django_db;
    a run of only unmarked tests (the pairs, or one of them) makes it here."""
    connection = connections["default"]
    if connection.settings_dict["NAME"] == connection.creation._get_test_db_name():
        yield
        return
    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


@pytest.fixture(scope="module")
def committed_db(test_database, django_db_blocker, fast_commits):
    """The test database without a test transaction, for the module; flushed after it."""
    with django_db_blocker.unblock():
        seed_reasons()
        yield
        connections.close_all()
        call_command("flush", interactive=False, verbosity=0)
