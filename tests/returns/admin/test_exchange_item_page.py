"""The back-office and an exchange's item: the return's page shows it and offers to settle the
exchange, staff change it from the page until it is settled, and *Create return* refuses an
exchange without one."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from refunds.models import ExchangeDue, Refund
from refunds.services import exchange_settle
from returns.models import Return, ReturnEvent, ReturnStatus
from tests.factories import VariantFactory
from tests.fixtures.web import messages_of
from tests.returns.admin.helpers import make_return, page_url
from tests.returns.admin.test_return_page import RETURN_PAGE_QUERIES
from tests.returns.helpers import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def sizes(order):
    """Other sizes of the order's first product (2 × 20.00): L at 25.00, XL at 20.00."""
    product = order.lines.order_by("id").first().variant.product
    return {
        "L": VariantFactory(product=product, option="L", price=Decimal("25.00"), stock_on_hand=4),
        "XL": VariantFactory(product=product, option="XL", price=Decimal("20.00"), stock_on_hand=4),
    }


def exchange(order, sizes, status=ReturnStatus.RECEIVED):
    return make_return(order, 1, status=status, refund_mode="exchange", exchange_variant=sizes["L"])


def test_the_page_of_a_received_exchange_offers_to_settle_it_not_to_mark_it_refunded(
    as_manager, order, sizes
):
    # given
    ret = exchange(order, sizes)
    # when
    response = as_manager.get(page_url(ret))
    # then
    html = response.content.decode()
    assert response.context["exchange"] is True
    assert response.context["may_mark_refunded"] is False
    assert f'<dd id="exchange-item">{sizes["L"]} · €25.00</dd>' in html
    assert reverse("admin:refunds_refund_for_return", args=[ret.pk]) in html
    assert 'id="mark-refunded"' not in html
    # the manager may not change returns: no choice of item
    assert "exchange_variant" not in response.context["form"].fields


def test_staff_change_the_item_from_the_page(as_agent, agent, order, sizes):
    # given: on its way back (once received, its replacement order is made: the item is fixed)
    ret = exchange(order, sizes, status=ReturnStatus.IN_TRANSIT)
    page = as_agent.get(page_url(ret))
    # when
    response = as_agent.post(
        page_url(ret), {"seen_status": ret.status, "exchange_variant": str(sizes["XL"].pk)}
    )
    # then
    assert page.context["form"].fields["exchange_variant"].initial == sizes["L"].pk
    assert 'name="exchange_variant"' in page.content.decode()
    assert response.status_code == 302
    assert messages_of(response) == [("success", f"Return {ret.rma_number} saved.")]
    ret.refresh_from_db()
    assert (ret.exchange_variant, ret.status) == (sizes["XL"], ReturnStatus.IN_TRANSIT)
    event = ret.events.filter(kind=ReturnEvent.Kind.NOTE, code="return.updated").get()
    assert (event.actor, event.visible_to_customer) == (agent, False)
    assert event.text == f"Item sent in exchange: {sizes['L']} → {sizes['XL']}"


def test_once_settled_the_page_offers_no_change_and_a_post_changes_nothing(
    as_agent, manager, order, sizes
):
    # given: L dearer by 5.00: the difference is due
    ret = exchange(order, sizes)
    due = exchange_settle(actor=manager, ret=ret, idempotency_key="k")
    assert (due.amount, ExchangeDue.objects.count(), Refund.objects.count()) == (
        Decimal("5.00"),
        1,
        0,
    )
    before = snapshot(ret)
    # when
    page = as_agent.get(page_url(ret))
    response = as_agent.post(
        page_url(ret), {"seen_status": ret.status, "exchange_variant": str(sizes["XL"].pk)}
    )
    # then
    assert "exchange_variant" not in page.context["form"].fields
    assert messages_of(response) == [("info", "Nothing to save: nothing was changed.")]
    assert Return.objects.get(pk=ret.pk).exchange_variant == sizes["L"]
    assert snapshot(ret) == before


def test_the_page_of_an_exchange_makes_two_queries_more_to_offer_its_item(
    as_agent, order, sizes, django_assert_num_queries
):
    # given
    ret = exchange(order, sizes, status=ReturnStatus.IN_TRANSIT)
    # when / then: whether it is settled, and the items to choose from
    with django_assert_num_queries(RETURN_PAGE_QUERIES + 2):
        assert as_agent.get(page_url(ret)).status_code == 200


def test_create_return_refuses_an_exchange_without_its_item(as_agent, order):
    # given
    data = {
        "idempotency_key": uuid.uuid4().hex,
        "refund_mode": "exchange",
        "exchange_variant": "",
        "delivery_option": "label",
        "start_status": "approved",
        "return_fee": "",
    }
    line = order.lines.order_by("id").first()
    data.update({f"qty_{line.pk}": "1", f"reason_{line.pk}": "wrong-size"})
    # when
    response = as_agent.post(reverse("admin:returns_return_create", args=[order.pk]), data)
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "exchange_variant": ["Choose the item you would like to receive in exchange."]
    }
    assert (Return.objects.count(), ReturnEvent.objects.count()) == (0, 0)
