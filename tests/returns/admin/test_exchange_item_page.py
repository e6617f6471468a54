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


def field(ret) -> str:
    """The name of the page's choice of item for the return's line."""
    return f"exchange_{ret.lines.get().pk}"


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
    returned = order.lines.order_by("id").first().variant
    assert f'<dd id="exchange-item"><div>{returned} → {sizes["L"]} · €25.00</div></dd>' in html
    assert reverse("admin:refunds_refund_for_return", args=[ret.pk]) in html
    assert 'id="mark-refunded"' not in html
    # the manager may not change returns: no choice of item
    assert not [name for name in response.context["form"].fields if name.startswith("exchange")]


def test_staff_change_the_item_from_the_page(as_agent, agent, order, sizes):
    # given: on its way back (once received, its replacement order is made: the item is fixed)
    ret = exchange(order, sizes, status=ReturnStatus.IN_TRANSIT)
    page = as_agent.get(page_url(ret))
    # when
    response = as_agent.post(
        page_url(ret), {"seen_status": ret.status, field(ret): str(sizes["XL"].pk)}
    )
    # then
    assert page.context["form"].fields[field(ret)].initial == sizes["L"].pk
    assert f'name="{field(ret)}"' in page.content.decode()
    assert response.status_code == 302
    assert messages_of(response) == [("success", f"Return {ret.rma_number} saved.")]
    ret.refresh_from_db()
    assert (ret.lines.get().exchange_variant, ret.status) == (sizes["XL"], ReturnStatus.IN_TRANSIT)
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
        page_url(ret), {"seen_status": ret.status, field(ret): str(sizes["XL"].pk)}
    )
    # then
    assert field(ret) not in page.context["form"].fields
    assert messages_of(response) == [("info", "Nothing to save: nothing was changed.")]
    assert ret.lines.get().exchange_variant == sizes["L"]
    assert snapshot(ret) == before


def test_the_page_of_an_exchange_makes_two_queries_more_to_offer_its_item(
    as_agent, order, sizes, django_assert_num_queries
):
    # given
    ret = exchange(order, sizes, status=ReturnStatus.IN_TRANSIT)
    as_agent.get(page_url(ret))  # fills the memo of the shop settings
    # when / then: whether it is settled, and the items to choose from
    with django_assert_num_queries(RETURN_PAGE_QUERIES + 2):
        assert as_agent.get(page_url(ret)).status_code == 200


def test_create_return_refuses_an_exchange_without_its_item(as_agent, order):
    # given
    data = {
        "idempotency_key": uuid.uuid4().hex,
        "refund_mode": "exchange",
        "delivery_option": "label",
        "start_status": "approved",
        "return_fee": "",
    }
    line = order.lines.order_by("id").first()
    data.update(
        {f"qty_{line.pk}": "1", f"reason_{line.pk}": "wrong-size", f"exchange_{line.pk}": ""}
    )
    # when
    response = as_agent.post(reverse("admin:returns_return_create", args=[order.pk]), data)
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {
        f"exchange_{line.pk}": [
            "Choose the item you would like to receive in exchange for each item."
        ]
    }
    assert (Return.objects.count(), ReturnEvent.objects.count()) == (0, 0)


def test_create_return_exchanges_each_line_for_its_own_item(as_agent, order, sizes):
    # given: the order's two lines, each for another size of its own product
    first, second = order.lines.order_by("id")
    shoes = VariantFactory(product=second.variant.product, option="44", stock_on_hand=2)
    data = {
        "idempotency_key": uuid.uuid4().hex,
        "refund_mode": "exchange",
        "delivery_option": "label",
        "start_status": "approved",
        "return_fee": "",
        f"qty_{first.pk}": "1",
        f"reason_{first.pk}": "wrong-size",
        f"exchange_{first.pk}": str(sizes["XL"].pk),
        f"qty_{second.pk}": "1",
        f"reason_{second.pk}": "wrong-size",
        f"exchange_{second.pk}": str(shoes.pk),
    }
    # when
    response = as_agent.post(reverse("admin:returns_return_create", args=[order.pk]), data)
    # then
    assert response.status_code == 302
    ret = Return.objects.get()
    assert dict(ret.lines.values_list("order_line_id", "exchange_variant")) == {
        first.pk: sizes["XL"].pk,
        second.pk: shoes.pk,
    }


def test_create_return_refuses_an_item_of_another_product(as_agent, order, sizes):
    # given: the second line (another product) asked to be exchanged for the first's XL
    second = order.lines.order_by("id")[1]
    data = {
        "idempotency_key": uuid.uuid4().hex,
        "refund_mode": "exchange",
        "delivery_option": "label",
        "start_status": "approved",
        "return_fee": "",
        f"qty_{second.pk}": "1",
        f"reason_{second.pk}": "wrong-size",
        f"exchange_{second.pk}": str(sizes["XL"].pk),
    }
    # when
    response = as_agent.post(reverse("admin:returns_return_create", args=[order.pk]), data)
    # then: not among the line's choices
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [f"exchange_{second.pk}"]
    assert (Return.objects.count(), ReturnEvent.objects.count()) == (0, 0)


def test_staff_change_two_lines_items_in_one_save(as_agent, order, sizes):
    # given: both lines exchanged, on their way back
    first, second = order.lines.order_by("id")
    shoes = {
        size: VariantFactory(product=second.variant.product, option=size, stock_on_hand=3)
        for size in ("44", "45")
    }
    ret = make_return(
        order,
        1,
        1,
        status=ReturnStatus.IN_TRANSIT,
        refund_mode="exchange",
        exchange_variant=[sizes["L"], shoes["44"]],
    )
    lines = {line.order_line_id: line for line in ret.lines.all()}
    # when
    response = as_agent.post(
        page_url(ret),
        {
            "seen_status": ret.status,
            f"exchange_{lines[first.pk].pk}": str(sizes["XL"].pk),
            f"exchange_{lines[second.pk].pk}": str(shoes["45"].pk),
        },
    )
    # then: each line its new item, each hold moved, one event for both
    assert response.status_code == 302
    assert dict(ret.lines.values_list("order_line_id", "exchange_variant")) == {
        first.pk: sizes["XL"].pk,
        second.pk: shoes["45"].pk,
    }
    held = ret.exchange_reservations.filter(status="held").values_list("variant", flat=True)
    assert sorted(held) == sorted([sizes["XL"].pk, shoes["45"].pk])
    event = ret.events.filter(kind=ReturnEvent.Kind.NOTE, code="return.updated").get()
    assert event.text == (
        f"Item sent in exchange: {sizes['L']} → {sizes['XL']}"
        f"\nItem sent in exchange: {shoes['44']} → {shoes['45']}"
    )
