"""A parcel the carrier delivered waits for inspection: staff record what came back, and it is
restocked once."""

import pytest

from returns.errors import ReturnError, ReturnPermissionError
from returns.models import ReturnStatus
from returns.selectors import is_pending_inspection
from returns.services.inspection import return_inspect
from shop.models import StockMovement, Variant
from tests.factories import StaffFactory
from tests.returns.labels.helpers import approved_with_label, label_of, scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(staff, order):
    ret = approved_with_label(staff, order, 2)
    scan(label_of(ret), "delivered")
    ret.refresh_from_db()
    return ret


def test_staff_inspect_a_delivered_parcel_and_it_is_restocked_once(staff, delivered):
    # given
    line = delivered.lines.get()
    variant = line.order_line.variant
    stock = variant.stock_on_hand
    assert is_pending_inspection(delivered)
    # when: one of the two items came back
    inspected = return_inspect(
        actor=staff, ret=delivered, received={line.pk: (1, None)}, note="One missing"
    )
    # then
    line.refresh_from_db()
    assert inspected.status == ReturnStatus.RECEIVED
    assert line.received_quantity == 1
    assert Variant.objects.get(pk=variant.pk).stock_on_hand == stock + 1
    assert inspected.events.latest("id").text == f"Parcel inspected: 1/2 {variant}.\nOne missing"
    assert not is_pending_inspection(inspected)
    # when: inspected again
    with pytest.raises(ReturnError):
        return_inspect(actor=staff, ret=inspected)
    # then
    assert StockMovement.objects.filter(kind="return").count() == 1


def test_inspection_needs_the_receive_permission(delivered):
    # given
    clerk = StaffFactory()
    # when
    with pytest.raises(ReturnPermissionError):
        return_inspect(actor=clerk, ret=delivered)
    # then
    assert is_pending_inspection(delivered)
    assert StockMovement.objects.filter(kind="return").count() == 0
