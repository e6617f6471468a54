"""The portal tests' fixtures (a customer's logged-in client and DEMO-1001-like order)."""

from tests.portal.conftest import (  # noqa: F401
    _fresh_throttles,
    client,
    customer,
    customer_client,
    customer_user,
    order,
    reasons,
    shop_settings,
)
