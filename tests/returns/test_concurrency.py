"""Two people acting on the same return, or the same order, at the same moment (PostgreSQL).

Each thread has its own database connection. The notifications stand-in sleeps inside the
service's transaction, so the first thread still holds its locks when the second one arrives.
"""

import pytest

from returns.errors import ReturnError, StaleReturnError
from returns.models import Return, ReturnEvent, ReturnLabel, ReturnStatus
from returns.services import return_approve, return_receive
from shop.models import StockMovement, Variant
from tests.fixtures.concurrency import race
from tests.returns.helpers import lines_of, request, return_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def split(outcomes):
    wins = [outcome for outcome in outcomes if isinstance(outcome, Return)]
    losses = [outcome for outcome in outcomes if not isinstance(outcome, Return)]
    return wins, losses


def test_two_staff_approving_the_same_return(staff, order, slow_outbox):
    # given: both read the requested return
    ret = request(order, 1)
    first_page, second_page = Return.objects.get(pk=ret.pk), Return.objects.get(pk=ret.pk)
    slow_outbox.calls.clear()
    # when
    wins, losses = split(
        race(
            lambda: return_approve(actor=staff, ret=first_page, expected_status="requested"),
            lambda: return_approve(actor=staff, ret=second_page, expected_status="requested"),
        )
    )
    # then
    assert len(wins) == 1
    assert len(losses) == 1
    assert isinstance(losses[0], StaleReturnError)
    assert "changed by someone else" in str(losses[0])
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.APPROVED
    assert ReturnEvent.objects.filter(ret=ret, to_status=ReturnStatus.APPROVED).count() == 1
    assert slow_outbox.events == ["approved_with_label"]
    assert ReturnLabel.objects.filter(ret=ret).count() == 1


def test_two_staff_receiving_the_same_return(staff, order, slow_outbox):
    # given
    ret = return_in(ReturnStatus.IN_TRANSIT, staff, order, 2)
    pages = [Return.objects.get(pk=ret.pk) for _ in range(2)]
    variant = lines_of(order)[0].variant
    slow_outbox.calls.clear()
    # when
    wins, losses = split(
        race(*[lambda page=page: return_receive(actor=staff, ret=page) for page in pages])
    )
    # then
    assert len(wins) == 1
    assert len(losses) == 1
    assert isinstance(losses[0], ReturnError)
    assert ReturnEvent.objects.filter(ret=ret, to_status=ReturnStatus.RECEIVED).count() == 1
    assert StockMovement.objects.filter(variant=variant, kind="return").count() == 1
    assert Variant.objects.get(pk=variant.pk).stock_on_hand == 12
    assert slow_outbox.events == ["received"]


def test_two_requests_for_the_last_unit(order, slow_outbox):
    # given: 2 of the 3 ordered are already being returned
    request(order, 2)
    # when
    wins, losses = split(race(lambda: request(order, 1), lambda: request(order, 1)))
    # then
    assert len(wins) == 1
    assert len(losses) == 1
    assert isinstance(losses[0], ReturnError)
    assert "already being returned in full" in str(losses[0])
    assert Return.objects.filter(order=order).count() == 2
