"""The back-office's rule tester: which rules match an order and why, the fee, what is blocked;
for staff who may see the rules only."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from returns.models import ReturnRule
from tests.factories import StaffFactory, UserFactory, make_order
from tests.fixtures.web import logged_in
from tests.returns.rules.helpers import block, fee, percent_fee

pytestmark = pytest.mark.django_db

TESTER = "admin:returns_returnrule_tester"


@pytest.fixture
def rules_reader(db):
    user = StaffFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_returnrule"))
    return user


def test_the_tester_explains_which_rules_match_and_the_verdict(rules_reader, shop_settings):
    # given: a Belgian order; fees by country; a 10 % fee that comes later; Swiss orders blocked
    belgium = fee("8.00", countries="BE", name="Belgium")
    later = percent_fee("10", name="Restocking")
    swiss = block("No returns from Switzerland.", countries="CH", name="Switzerland")
    order = make_order([(1, "30.00")], shipping_country="BE", shipping="0")
    # when
    response = logged_in(rules_reader).get(
        reverse(TESTER), {"order_number": order.number, "channel": "portal"}
    )
    # then
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert outcome.fee == Decimal("8.00")
    assert outcome.blocked == {}
    assert [(c.rule, c.matched, c.applied) for c in outcome.checks] == [
        (belgium, True, True),
        (later, True, False),
        (swiss, False, False),
    ]
    page = response.content.decode()
    assert "8.00 EUR — rule “Belgium”" in page
    assert "shipping country BE is one of BE" in page
    assert "shipping country BE is not one of CH" in page
    assert "yes, but an earlier rule of its kind won" in page
    assert "items €30.00 - return fee €8.00 = €22.00" in page


def test_the_tester_shows_a_blocked_order_and_can_try_rules_that_are_off(rules_reader):
    # given
    block("No returns from Switzerland.", countries="CH", active=False, name="Switzerland")
    order = make_order([(1, "30.00")], shipping_country="CH")
    client = logged_in(rules_reader)
    # when
    active_only = client.get(reverse(TESTER), {"order_number": order.number, "channel": "portal"})
    with_off = client.get(
        reverse(TESTER),
        {"order_number": order.number, "channel": "portal", "include_inactive": "on"},
    )
    # then
    assert active_only.context["outcome"].blocked == {}
    assert list(with_off.context["outcome"].blocked) == [order.lines.get().pk]
    assert "No returns from Switzerland." in with_off.content.decode()


def test_an_unknown_order_number_is_a_form_error(rules_reader):
    # when
    response = logged_in(rules_reader).get(
        reverse(TESTER), {"order_number": "nope", "channel": "portal"}
    )
    # then
    assert response.status_code == 200
    assert response.context["outcome"] is None
    assert response.context["form"].errors == {"order_number": ["No order has this number."]}


def test_staff_without_the_permission_and_customers_cannot_use_the_tester(db):
    # given
    clerk = StaffFactory()
    customer = UserFactory()
    # when
    as_clerk = logged_in(clerk).get(reverse(TESTER))
    as_customer = logged_in(customer).get(reverse(TESTER))
    # then
    assert as_clerk.status_code == 403
    assert as_customer.status_code == 302
    assert as_customer["Location"].startswith(reverse("admin:login"))


def test_the_rules_list_links_to_the_tester(rules_reader):
    # given
    fee("5.00", countries="FR", name="France")
    # when
    response = logged_in(rules_reader).get(reverse("admin:returns_returnrule_changelist"))
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="{reverse(TESTER)}"' in page
    assert "country is one of FR" in page
    assert ReturnRule.objects.count() == 1
