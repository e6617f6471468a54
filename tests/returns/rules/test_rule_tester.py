"""The back-office's rule tester: which rules match an order and why, the fee, what is blocked;
for staff who may see the rules only."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from returns.models import ReturnRule
from tests.factories import StaffFactory, UserFactory, make_order
from tests.fixtures.web import logged_in
from tests.returns.helpers import create
from tests.returns.rules.helpers import block, fee, percent_fee

pytestmark = pytest.mark.django_db

TESTER = "admin:returns_returnrule_tester"


@pytest.fixture
def rules_reader(db):
    user = StaffFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_returnrule"))
    return user


def test_the_tester_explains_which_rules_match_and_the_verdict(rules_reader, shop_settings):
    # given: a Belgian order; postage by country, then for everyone; a 10 % restocking fee
    # (another kind: it adds up); Swiss orders blocked
    belgium = fee("8.00", countries="BE", name="Belgium")
    everyone = fee("4.00", name="Everyone")
    restocking = percent_fee("10", name="Restocking")
    swiss = block("No returns from Switzerland.", countries="CH", name="Switzerland")
    order = make_order([(1, "30.00")], shipping_country="BE", shipping="0")
    # when
    response = logged_in(rules_reader).get(
        reverse(TESTER), {"order_number": order.number, "channel": "portal"}
    )
    # then
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert outcome.fee == Decimal("11.00")
    assert outcome.blocked == {}
    assert [(c.rule, c.matched, c.applied) for c in outcome.checks] == [
        (belgium, True, True),
        (everyone, True, False),
        (restocking, True, True),
        (swiss, False, False),
    ]
    page = response.content.decode()
    assert "11.00 EUR — rule “Belgium” + 10 % of 30.00 (rule “Restocking”)" in page
    assert "shipping country BE is one of BE" in page
    assert "shipping country BE is not one of CH" in page
    assert "yes, but an earlier rule of its kind won" in page
    assert "items €30.00 - return fee €11.00 = €19.00" in page


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


def test_the_tester_leaves_out_what_the_orders_open_returns_hold(rules_reader, staff, reasons):
    # given: 3 × 10.00 and 1 × 20.00; an open return already holds 2 of the first line;
    # 5.00 postage and 10 % restocking
    order = make_order([(3, "10.00"), (1, "20.00")], shipping="0")
    create(staff, order, 2, 0)
    fee("5.00", name="Postage")
    percent_fee("10", name="Restocking")
    # when
    response = logged_in(rules_reader).get(
        reverse(TESTER), {"order_number": order.number, "channel": "backoffice"}
    )
    # then: the rules and the estimate are on the 1 + 1 units left (30.00), not on 50.00
    outcome = response.context["outcome"]
    first, second = order.lines.order_by("id")
    assert outcome.line_ids == (first.pk, second.pk)
    assert [(line.amount, line.base) for line in outcome.fees] == [
        (Decimal("5.00"), None),
        (Decimal("3.00"), Decimal("30.00")),
    ]
    page = response.content.decode()
    assert "Units the order's open returns already hold, left out: 2." in page
    assert "items €30.00 - return fee €8.00 = €22.00" in page


def test_the_tester_says_when_open_returns_hold_everything(rules_reader, staff, reasons):
    # given
    order = make_order([(1, "10.00")], shipping="0")
    create(staff, order, 1)
    fee("5.00", name="Postage")
    # when
    response = logged_in(rules_reader).get(
        reverse(TESTER), {"order_number": order.number, "channel": "backoffice"}
    )
    # then
    assert response.context["outcome"].line_ids == ()
    assert response.context["quote"] is None
    page = response.content.decode()
    assert "Units the order's open returns already hold, left out: 1." in page
    assert "Nothing is left to return." in page
