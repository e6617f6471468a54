"""Returned quantity per order line, across live returns, never exceeds what was ordered."""

import pytest

from returns.errors import ReturnError
from returns.models import Return, ReturnStatus
from returns.selectors import held_quantities, returnable_quantities
from returns.services import (
    return_cancel,
    return_expire,
    return_receive,
    return_reject,
)
from tests.returns.helpers import create, lines_of, request, return_in

pytestmark = pytest.mark.django_db


def remaining(order):
    return [returnable_quantities(order)[line.pk] for line in lines_of(order)]


def test_nothing_returned_yet_leaves_everything_returnable(order):
    assert remaining(order) == [3, 2]
    assert held_quantities(order) == {}


def test_partial_returns_across_two_returns(order, notifications):
    # given
    request(order, 1, 1)
    # when
    request(order, 2, 1)
    # then
    assert remaining(order) == [0, 0]
    assert Return.objects.filter(order=order).count() == 2


def test_second_return_refused_past_the_ordered_quantity(order, notifications):
    # given
    request(order, 2)
    # when
    with pytest.raises(ReturnError, match="at most 1"):
        request(order, 2)
    # then
    assert Return.objects.filter(order=order).count() == 1
    assert remaining(order) == [1, 2]


def test_line_returned_in_full_is_refused_by_name(order, notifications):
    request(order, 3)
    with pytest.raises(ReturnError, match="already being returned in full"):
        request(order, 1)
    assert Return.objects.filter(order=order).count() == 1


def test_staff_cannot_exceed_the_ordered_quantity_either(staff, order, notifications):
    request(order, 3)
    with pytest.raises(ReturnError):
        create(staff, order, 1, override_reason="Please")
    assert Return.objects.filter(order=order).count() == 1


@pytest.mark.parametrize("ending", ["cancelled", "rejected", "expired"])
def test_ended_returns_free_their_quantity(staff, order, ending, notifications):
    # given
    ret = return_in(
        ReturnStatus.APPROVED if ending == "expired" else ReturnStatus.REQUESTED, staff, order, 3, 2
    )
    assert remaining(order) == [0, 0]
    # when
    if ending == "cancelled":
        return_cancel(actor=order.customer.user, ret=ret)
    elif ending == "rejected":
        return_reject(actor=staff, ret=ret, reason="No")
    else:
        return_expire(actor=None, ret=ret)
    # then
    assert remaining(order) == [3, 2]
    assert request(order, 3, 2).status == ReturnStatus.REQUESTED


def test_rejection_after_inspection_frees_the_quantity(staff, order, notifications):
    ret = return_in(ReturnStatus.RECEIVED, staff, order, 2)
    return_reject(actor=staff, ret=ret, reason="Worn")
    assert remaining(order) == [3, 2]


def test_a_received_return_holds_what_came_back(staff, order, notifications):
    # given: 3 were announced, 2 came back
    ret = return_in(ReturnStatus.APPROVED, staff, order, 3)
    line = ret.lines.get()
    # when
    return_receive(actor=staff, ret=ret, received={line.pk: (2, None)})
    # then
    assert remaining(order) == [1, 2]
    assert request(order, 1).status == ReturnStatus.REQUESTED
    assert remaining(order) == [0, 2]


def test_live_returns_hold_their_full_quantity_until_received(staff, order, notifications):
    return_in(ReturnStatus.REQUESTED, staff, order, 1)
    return_in(ReturnStatus.APPROVED, staff, order, 1)
    return_in(ReturnStatus.IN_TRANSIT, staff, order, 1)
    assert remaining(order) == [0, 2]
    assert held_quantities(order) == {lines_of(order)[0].pk: 3}
