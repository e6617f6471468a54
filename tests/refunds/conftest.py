"""The refunds tests' manager: staff holding the refund permission and the one to complete
returns (tests/refunds/factories.py refunds_manager), not the back-office's role user."""

import pytest

from tests.refunds.factories import refunds_manager


@pytest.fixture
def manager():
    return refunds_manager()
