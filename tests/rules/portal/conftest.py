"""The portal's customer and order (DEMO-1001, tests/portal/conftest.py) for the portal pages'
rules tests. This conftest goes away when test_portal_rules.py moves into tests/portal/."""

from tests.portal.conftest import customer, customer_user, order  # noqa: F401
