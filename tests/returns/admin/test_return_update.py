"""return_update: the "Save" of a return's page — action, staff note and fee, never the status."""

from decimal import Decimal

import pytest

from returns.errors import ReturnError, ReturnPermissionError, StaleReturnError
from returns.models import ReturnEvent, ReturnStatus
from returns.services import return_approve, return_cancel, return_update
from tests.returns.admin.helpers import make_return
from tests.returns.helpers import snapshot

pytestmark = pytest.mark.django_db


def test_changes_are_saved_with_one_internal_event(agent, order, actions):
    # given
    ret = make_return(order, 1)
    # when
    updated = return_update(
        actor=agent, ret=ret, action=actions["refund"], staff_note=" Call back ", return_fee="2,50"
    )
    # then
    assert (updated.action, updated.staff_note, updated.return_fee) == (
        actions["refund"],
        "Call back",
        Decimal("2.50"),
    )
    event = ret.events.get(kind=ReturnEvent.Kind.NOTE)
    assert event.text == ("Action: - → Refund\nStaff note: Call back\nReturn fee: €0.00 → €2.50")
    assert (event.actor, event.visible_to_customer) == (agent, False)


def test_nothing_changed_writes_nothing(agent, order):
    ret = make_return(order, 1, staff_note="same")
    before = snapshot(ret)
    return_update(actor=agent, ret=ret, staff_note="same", return_fee=Decimal("0"))
    assert snapshot(ret) == before


def test_staff_without_the_permission_are_refused(manager, order):
    ret = make_return(order, 1)
    before = snapshot(ret)
    with pytest.raises(ReturnPermissionError):
        return_update(actor=manager, ret=ret, staff_note="x")
    assert snapshot(ret) == before


def test_a_stale_return_is_refused(agent, order):
    # given: read while requested, approved meanwhile
    ret = make_return(order, 1)
    seen = type(ret).objects.get(pk=ret.pk)
    return_approve(actor=agent, ret=ret)
    before = snapshot(ret)
    # when / then
    with pytest.raises(StaleReturnError):
        return_update(actor=agent, ret=seen, staff_note="x", expected_status=seen.status)
    assert snapshot(ret) == before


@pytest.mark.parametrize(
    ("fee", "message"),
    [
        ("-1", "The return fee cannot be negative."),
        ("abc", "Type the return fee as a number, e.g. 5.00."),
    ],
)
def test_a_bad_fee_is_refused(agent, order, fee, message):
    ret = make_return(order, 1)
    before = snapshot(ret)
    with pytest.raises(ReturnError, match=message):
        return_update(actor=agent, ret=ret, return_fee=fee)
    assert snapshot(ret) == before


def test_the_fee_of_a_final_return_is_fixed_but_its_note_is_not(agent, order):
    # given
    ret = return_cancel(actor=agent, ret=make_return(order, 1))
    assert ret.status == ReturnStatus.CANCELLED
    # when / then
    with pytest.raises(ReturnError, match="The return fee of a cancelled return can no longer"):
        return_update(actor=agent, ret=ret, return_fee="3.00")
    updated = return_update(actor=agent, ret=ret, staff_note="Customer kept it")
    assert updated.staff_note == "Customer kept it"


def test_an_inactive_action_is_refused(agent, order, actions):
    ret = make_return(order, 1)
    actions["refund"].active = False
    actions["refund"].save()
    with pytest.raises(ReturnError, match="no longer in use"):
        return_update(actor=agent, ret=ret, action=actions["refund"])
