"""The returns tests' fixtures (reasons, staff, a customer's delivered order, the notification
recorder), and English for the assertions."""

import pytest
from django.utils import translation

from tests.returns.conftest import (  # noqa: F401
    actions,
    clerk,
    customer,
    customer_user,
    notifications,
    order,
    reasons,
    shop_settings,
    staff,
)


@pytest.fixture(autouse=True)
def _in_english():
    """The assertions read the English source strings, whatever the French catalog says."""
    with translation.override("en"):
        yield
