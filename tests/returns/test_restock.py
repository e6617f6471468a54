"""Restocking on receipt: through the ledger, once only, not for defects by default, never for
stock a point of sale manages."""

import uuid

import pytest

from returns.errors import ReturnError
from returns.models import ReturnStatus
from returns.services import ReturnLineInput, return_create, return_receive
from shop.models import StockMovement, Variant
from shop.services import stock_move
from tests.returns.helpers import lines_of, return_in, snapshot

pytestmark = pytest.mark.django_db


def stock(order):
    return [Variant.objects.get(pk=line.variant_id).stock_on_hand for line in lines_of(order)]


def test_receipt_restocks_each_line_through_the_ledger(staff, order, notifications):
    # given
    ret = return_in(ReturnStatus.IN_TRANSIT, staff, order, 2, 1)
    # when
    return_receive(actor=staff, ret=ret)
    # then
    assert stock(order) == [12, 11]
    first, second = ret.lines.order_by("id")
    assert list(
        StockMovement.objects.order_by("id").values_list("quantity", "kind", "key", "created_by")
    ) == [(2, "return", first.restock_key, staff.pk), (1, "return", second.restock_key, staff.pk)]


def test_receipt_restocks_only_once(staff, order, notifications):
    # given
    ret = return_in(ReturnStatus.APPROVED, staff, order, 2)
    received = return_receive(actor=staff, ret=ret)
    before = snapshot(received)
    # when: receive again, with the fresh instance and with the stale one
    with pytest.raises(ReturnError):
        return_receive(actor=staff, ret=received)
    with pytest.raises(ReturnError):
        return_receive(actor=staff, ret=ret)
    # then
    assert snapshot(received) == before
    assert stock(order) == [12, 10]
    assert StockMovement.objects.count() == 1


def test_the_ledger_key_refuses_a_second_restock_whoever_asks(staff, order, notifications):
    ret = return_in(ReturnStatus.RECEIVED, staff, order, 2)
    line = ret.lines.get()
    again = stock_move(
        variant=line.order_line.variant, quantity=2, kind="return", key=line.restock_key
    )
    assert again is None
    assert stock(order) == [12, 10]


def test_defective_items_are_not_restocked_by_default(staff, order, notifications):
    ret = return_in(ReturnStatus.RECEIVED, staff, order, 2, 1, reason="defective")
    assert list(ret.lines.values_list("restock", "received_quantity")) == [(False, 2), (False, 1)]
    assert stock(order) == [10, 10]
    assert StockMovement.objects.count() == 0


def test_staff_may_restock_a_defective_item_on_receipt(staff, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order, 2, reason="defective")
    line = ret.lines.get()
    return_receive(actor=staff, ret=ret, received={line.pk: (2, True)})
    assert stock(order) == [12, 10]


def test_staff_may_decline_to_restock_on_receipt(staff, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order, 2)
    line = ret.lines.get()
    return_receive(actor=staff, ret=ret, received={line.pk: (2, False)})
    assert ret.lines.get().restock is False
    assert stock(order) == [10, 10]
    assert StockMovement.objects.count() == 0


def test_only_what_came_back_is_restocked(staff, order, notifications):
    ret = return_in(ReturnStatus.APPROVED, staff, order, 3, 2)
    first, second = ret.lines.order_by("id")
    return_receive(actor=staff, ret=ret, received={first.pk: (1, None), second.pk: (0, None)})
    assert stock(order) == [11, 10]
    assert list(StockMovement.objects.values_list("quantity", flat=True)) == [1]


def test_point_of_sale_stock_is_never_restocked(staff, order, notifications):
    # given: the till owns the first variant's stock; staff even ask to restock it
    pos_line = lines_of(order)[0]
    pos_line.variant.stock_managed_by_pos = True
    pos_line.variant.save()
    ret = return_create(
        idempotency_key=uuid.uuid4().hex,
        actor=staff,
        order=order,
        lines=[
            ReturnLineInput(
                order_line_id=pos_line.pk, quantity=2, reason_code="wrong-size", restock=True
            )
        ],
        refund_mode="money_back",
        delivery_option="label",
        start_status="approved",
    )
    assert ret.lines.get().restock is False
    # when
    return_receive(actor=staff, ret=ret, received={ret.lines.get().pk: (2, True)})
    # then
    assert ret.lines.get().restock is False
    assert stock(order) == [10, 10]
    assert StockMovement.objects.count() == 0
