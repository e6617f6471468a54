"""The portal shows why an item cannot be returned, refuses it whatever the form sent, and
estimates the refund with the rules' fee."""

from decimal import Decimal

import pytest

from portal.views.returns import DRAFT_KEY
from returns.models import Return, ReturnRule
from tests.fixtures.web import shown_messages
from tests.portal.helpers import form_data, nothing_written
from tests.returns.rules.helpers import block, fee, percent_fee, rule

pytestmark = pytest.mark.django_db


def form_url(order):
    return f"/orders/{order.number}/return/"


def confirm_url(order):
    return f"/orders/{order.number}/return/confirm/"


@pytest.fixture
def socks_blocked(order):
    _tshirt, socks = order.lines.order_by("id")
    return block("For hygiene reasons, socks cannot be returned.", product=socks.variant.product)


def test_the_form_shows_why_an_item_cannot_be_returned(customer_client, order, socks_blocked):
    # when
    response = customer_client.get(form_url(order))
    # then
    tshirt, socks = order.lines.order_by("id")
    rows = {row.order_line.pk: row for row in response.context["rows"]}
    assert rows[socks.pk].blocked_message == "For hygiene reasons, socks cannot be returned."
    assert rows[tshirt.pk].blocked_message == ""
    assert rows[socks.pk].quantity.field.disabled is True
    page = response.content.decode()
    assert (
        "This item cannot be returned:</strong> For hygiene reasons, socks cannot be "
        "returned." in page
    )
    assert f'name="line-{socks.pk}-quantity"' in page
    assert "disabled" in page


def test_a_forged_form_for_a_blocked_item_creates_nothing(customer_client, order, socks_blocked):
    # given: the socks posted anyway
    before = nothing_written()
    # when
    posted = customer_client.post(form_url(order), form_data(order, (0, ""), (2, "wrong-size")))
    # then: the disabled field keeps 0: nothing chosen
    assert posted.status_code == 200
    assert posted.context["form"].errors == {
        "__all__": ["Choose at least one item to return, with its quantity."]
    }
    assert nothing_written() == before


def test_a_forged_draft_for_a_blocked_item_is_refused_by_the_service(
    customer_client, order, socks_blocked
):
    # given: a draft as the form would never make it, straight into the session
    session = customer_client.session
    session[DRAFT_KEY] = {
        "order": order.pk,
        "token": "forged",
        "data": form_data(order, (1, "wrong-size"), (2, "wrong-size")),
    }
    session.save()
    before = nothing_written()
    # when: the summary ignores the disabled socks; the service is the last word
    customer_client.post(confirm_url(order))
    # then
    ret = Return.objects.get()
    assert list(ret.lines.values_list("order_line__variant__product", flat=True)) == [
        order.lines.order_by("id")[0].variant.product_id
    ]
    assert nothing_written()["returns"] == before["returns"] + 1


def test_a_block_on_the_chosen_reason_is_told_before_confirming(customer_client, order, reasons):
    # given
    block(
        "Please tell us what is wrong rather than “changed my mind”.",
        reason=reasons["changed-mind"],
    )
    before = nothing_written()
    # when
    customer_client.post(form_url(order), form_data(order, (1, "changed-mind")))
    summary = customer_client.get(confirm_url(order))
    # then
    assert summary.status_code == 200
    assert shown_messages(summary) == [
        f"“{order.lines.order_by('id')[0].variant}” cannot be returned: Please tell us what "
        "is wrong rather than “changed my mind”."
    ]
    assert nothing_written() == before


def test_an_order_whose_items_are_all_blocked_shows_why_instead_of_the_button(
    customer_client, order
):
    # given
    block("We cannot take returns of this order online: please call us.", countries="FR")
    # when
    page = customer_client.get(f"/orders/{order.number}/")
    form = customer_client.get(form_url(order))
    # then
    assert "We cannot take returns of this order online: please call us." in page.content.decode()
    assert form_url(order) not in page.content.decode()
    assert form.status_code == 302


def test_the_summary_estimates_with_the_rules_fee(customer_client, order, shop_settings):
    # given: 10 % restocking fee on socks, 5.00 postage: they add up
    _tshirt, socks = order.lines.order_by("id")
    percent_fee("10", product=socks.variant.product)
    fee("5.00")
    # when
    customer_client.post(form_url(order), form_data(order, (0, ""), (2, "wrong-size")))
    summary = customer_client.get(confirm_url(order))
    customer_client.post(confirm_url(order))
    # then: 5.00 + 10 % of 39.48
    assert summary.context["quote"].fee == Decimal("8.95")
    assert Return.objects.get().return_fee == Decimal("8.95")


def test_in_store_only_is_the_only_way_offered(customer_client, order):
    # given
    rule(ReturnRule.Action.IN_STORE_ONLY, countries="FR")
    # when
    form = customer_client.get(form_url(order))
    # then
    assert form.context["form"].fields["delivery_option"].choices == [
        ("in_store", "Drop it off in one of our shops")
    ]
