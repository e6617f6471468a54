"""One form's key sent at the same moment (PostgreSQL): the order's lock serializes one order's
requests; for two orders the key's unique index decides."""

import pytest

from returns.errors import ReturnError
from returns.models import Return, ReturnEvent
from tests.factories import make_order
from tests.fixtures.concurrency import race
from tests.returns.helpers import create, request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_requests_with_one_key_make_one_return(order, slow_outbox):
    # when
    outcomes = race(*[lambda: request(order, 1, idempotency_key="portal:draft-1")] * 8)
    # then: all eight are answered with the one return
    ret = Return.objects.get()
    assert [outcome.pk for outcome in outcomes] == [ret.pk] * 8
    assert ReturnEvent.objects.count() == 1
    assert slow_outbox.events == ["requested"]


def test_one_key_on_two_orders_at_once_makes_one_return(staff, order, customer, slow_outbox):
    # given: two orders, locked apart, so only the unique index stands between them
    other = make_order([(1, "15.00")], customer=customer)
    # when
    outcomes = race(
        lambda: create(staff, order, 1, idempotency_key="bo-1"),
        lambda: create(staff, other, 1, idempotency_key="bo-1"),
    )
    # then: one return; the other submission is refused and wrote nothing
    ret = Return.objects.get()
    refusals = [outcome for outcome in outcomes if isinstance(outcome, ReturnError)]
    assert [outcome for outcome in outcomes if isinstance(outcome, Return)] == [ret]
    assert len(refusals) == 1
    assert "This form was sent for another order" in str(refusals[0])
    assert ReturnEvent.objects.count() == 1
    assert slow_outbox.events == ["requested"]
