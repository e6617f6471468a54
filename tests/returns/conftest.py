"""In this folder every test has the services' notifications recorded (the `notifications`
fixture, tests/fixtures/returns.py) instead of written to the outbox."""

import pytest


@pytest.fixture(autouse=True)
def _notifications_recorded(notifications):
    return notifications
