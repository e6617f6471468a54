"""Creating a return is idempotent by the key its form carries: the same form sent twice makes
one return, one event and one email; the same key on another order is refused."""

import pytest

from returns.errors import ReturnError
from returns.models import Return, ReturnEvent, ReturnLabel, ReturnLine, ReturnStatus
from returns.services import return_request
from tests.factories import make_order
from tests.returns.helpers import create, line_inputs, request

pytestmark = pytest.mark.django_db


def written() -> dict:
    """What a second submission of the same form must not add to."""
    return {
        "returns": Return.objects.count(),
        "lines": ReturnLine.objects.count(),
        "events": ReturnEvent.objects.count(),
        "labels": ReturnLabel.objects.count(),
    }


def test_the_same_portal_request_twice_makes_one_return(order, notifications):
    # given: the customer's first confirmation went through
    first = request(order, 1, idempotency_key="portal:draft-1")
    # when: the same confirmation arrives again
    again = request(order, 1, idempotency_key="portal:draft-1")
    # then: it is the first return, nothing more was written or sent
    assert again.pk == first.pk
    assert written() == {"returns": 1, "lines": 1, "events": 1, "labels": 0}
    assert notifications.events == ["requested"]


def test_a_replay_is_answered_before_the_quantities_are_checked_again(order, notifications):
    # given: the first request took all three units of the line
    first = request(order, 3, idempotency_key="portal:draft-1")
    # when: the same request again would be refused as a new one (nothing is left)
    again = request(order, 3, idempotency_key="portal:draft-1")
    # then
    assert again.pk == first.pk
    assert Return.objects.count() == 1
    assert notifications.events == ["requested"]


def test_the_same_staff_create_twice_makes_one_return_and_one_label(staff, order, notifications):
    # given: staff created the return, approved at once with a label
    first = create(staff, order, 1, start_status=ReturnStatus.APPROVED, idempotency_key="bo-1")
    # when: the page is submitted again
    again = create(staff, order, 1, start_status=ReturnStatus.APPROVED, idempotency_key="bo-1")
    # then
    assert again.pk == first.pk
    assert again.status == ReturnStatus.APPROVED
    # the events: requested, approved, the label made
    assert written() == {"returns": 1, "lines": 1, "events": 3, "labels": 1}
    assert notifications.events == ["approved_with_label"]


def test_a_new_key_makes_a_second_return(staff, order, notifications):
    # given
    first = create(staff, order, 1, idempotency_key="bo-1")
    # when: another form, while 2 of the 3 units are still returnable
    second = create(staff, order, 1, idempotency_key="bo-2")
    # then
    assert second.pk != first.pk
    assert [ret.idempotency_key for ret in Return.objects.order_by("id")] == ["bo-1", "bo-2"]
    assert notifications.events == ["requested", "requested"]


def test_a_key_reused_on_another_order_is_refused_and_nothing_is_written(
    staff, order, customer, notifications
):
    # given: a return of the first order made with the key; a second order of the customer
    request(order, 1, idempotency_key="portal:draft-1")
    second_order = make_order([(1, "15.00")], customer=customer)
    before, sent = written(), list(notifications.events)
    # when / then: by the customer and by staff
    with pytest.raises(ReturnError, match="This form was sent for another order"):
        request(second_order, 1, idempotency_key="portal:draft-1")
    with pytest.raises(ReturnError, match="This form was sent for another order"):
        create(staff, second_order, 1, idempotency_key="portal:draft-1")
    assert written() == before
    assert notifications.events == sent == ["requested"]
    assert not second_order.returns.exists()


@pytest.mark.parametrize("key", ["", "   ", "k" * 101])
def test_a_missing_or_oversized_key_is_refused_and_nothing_is_written(
    staff, order, notifications, key
):
    # when / then
    with pytest.raises(ReturnError, match="This form has expired"):
        request(order, 1, idempotency_key=key)
    with pytest.raises(ReturnError, match="This form has expired"):
        create(staff, order, 1, idempotency_key=key)
    assert written() == {"returns": 0, "lines": 0, "events": 0, "labels": 0}
    assert notifications.events == []


def test_a_replay_reads_the_first_return_in_few_queries(
    order, notifications, django_assert_num_queries
):
    # given
    request(order, 1, idempotency_key="portal:draft-1")
    replay = {
        "actor": order.customer.user,
        "order": order,
        "idempotency_key": "portal:draft-1",
        "lines": line_inputs(order, 1),
        "refund_mode": "money_back",
        "delivery_option": "label",
    }
    # when / then: the savepoint, the order's lock, the lines with the key's return's id (one
    # query, which spares a first request the key's own lookup), the key's return, the
    # savepoint's release
    with django_assert_num_queries(5):
        return_request(**replay)
