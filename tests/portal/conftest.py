"""The portal tests' customer: Camille Durand, with an account and the delivered order DEMO-1001.
The other fixtures (the English browser, the other customer, the reasons) are shared:
tests/fixtures/."""

import pytest

from tests.factories import CustomerFactory, UserFactory, make_order


@pytest.fixture
def customer_user(db):
    return UserFactory(email="camille@example.com", full_name="Camille Durand", language="fr")


@pytest.fixture
def customer(customer_user):
    return CustomerFactory(
        user=customer_user, email=customer_user.email, first_name="Camille", last_name="Durand"
    )


@pytest.fixture
def order(customer, reasons, shop_settings):
    """Delivered 7 days ago: 1 × T-shirt 12.99 and 2 × socks 19.74, shipping 6.00."""
    order = make_order(
        [(1, "12.99"), (2, "19.74")],
        customer=customer,
        number="DEMO-1001",
        email=customer.email,
        shipping_postcode="75011",
    )
    tshirt, socks = order.lines.order_by("id")
    _name(tshirt, "Organic cotton T-shirt", "M")
    _name(socks, "Striped socks", "39-42")
    return order


def _name(line, product, option):
    line.variant.product.name = product
    line.variant.product.save()
    line.variant.option = option
    line.variant.save()
