"""Staff refunding at the same moment, on PostgreSQL: the order's row lock keeps one refund per
return and an order's refunds within what it paid."""

from decimal import Decimal
from functools import partial

import pytest

from refunds.models import Refund
from refunds.selectors import committed_total_for_order
from refunds.services import RefundError, refund_create, refund_settle
from returns.models import Return, ReturnStatus
from shop.models import User
from tests.factories import make_order
from tests.fixtures.concurrency import race
from tests.refunds.factories import received_return, refunds_manager

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(count: int, work) -> list:
    """Run work(i) in `count` threads released together; each result or the exception raised."""
    return race(*(partial(work, i) for i in range(count)))


def staff(manager_id: int) -> User:
    return User.objects.get(pk=manager_id)  # each thread its own instance


def test_twenty_concurrent_refunds_of_one_return_make_one_refund():
    # given a received return and twenty staff forms, each with its own key
    manager = refunds_manager()
    ret = received_return(
        make_order([(1, "19.99"), (1, "12.74")], shipping="6.00"), [1, 1], fee="5.00"
    )
    # when they are all submitted at the same moment
    results = at_once(
        20, lambda i: refund_create(actor=staff(manager.pk), ret=ret, idempotency_key=f"form-{i}")
    )
    # then one refund; the nineteen others a clear error
    refunds = [result for result in results if isinstance(result, Refund)]
    errors = [result for result in results if isinstance(result, RefundError)]
    assert len(refunds) == 1
    assert len(errors) == 19
    assert all("already refunded" in error.message for error in errors)
    assert Refund.objects.filter(ret=ret).count() == 1
    assert Refund.objects.get(ret=ret).amount == Decimal("33.73")


def test_a_form_submitted_ten_times_at_once_makes_one_refund():
    # given
    manager = refunds_manager()
    ret = received_return(make_order([(1, "19.99")], shipping="6.00"), [1])
    # when the same form (same key) arrives ten times at once
    results = at_once(
        10, lambda i: refund_create(actor=staff(manager.pk), ret=ret, idempotency_key="form-1")
    )
    # then every submit gets the one refund
    assert all(isinstance(result, Refund) for result in results)
    assert {result.pk for result in results} == {Refund.objects.get().pk}


def test_two_staff_refunding_two_returns_of_one_order_cannot_exceed_what_was_paid():
    for _attempt in range(5):
        # given an order of 60.00 of which 45.00 was paid, whose two returns quote 30.00 each
        manager = refunds_manager()
        order = make_order([(2, "30.00")], shipping="0.00")
        order.amount_paid = Decimal("45.00")
        order.save()
        returns = [received_return(order, [1]), received_return(order, [1])]
        # when two staff refund one each at the same moment
        results = at_once(
            2,
            lambda i, returns=returns, manager=manager: refund_create(
                actor=staff(manager.pk), ret=returns[i], idempotency_key=f"{returns[i].pk}-form"
            ),
        )
        # then the second to take the order's lock refunds only what is left
        assert all(isinstance(result, Refund) for result in results), results
        assert sorted(result.amount for result in results) == [Decimal("15.00"), Decimal("30.00")]
        assert committed_total_for_order(order) == Decimal("45.00")


def test_two_staff_refunding_fixed_amounts_at_once_get_one_refusal():
    # given the same order; both staff type the full 30.00
    manager = refunds_manager()
    order = make_order([(2, "30.00")], shipping="0.00")
    order.amount_paid = Decimal("45.00")
    order.save()
    returns = [received_return(order, [1]), received_return(order, [1])]
    # when
    results = at_once(
        2,
        lambda i: refund_create(
            actor=staff(manager.pk),
            ret=returns[i],
            amount=Decimal("30.00"),
            idempotency_key=f"form-{i}",
        ),
    )
    # then
    assert sorted(type(result).__name__ for result in results) == ["Refund", "RefundError"]
    assert committed_total_for_order(order) == Decimal("30.00")
    assert Refund.objects.filter(order=order).count() == 1


def test_ten_staff_marking_one_return_refunded_at_once_make_one_refund_and_one_completion():
    # given a received return; ten "mark as refunded" pages, each with its own key
    manager = refunds_manager()
    ret = received_return(
        make_order([(1, "19.99"), (1, "12.74")], shipping="6.00"), [1, 1], fee="5.00"
    )
    # when all are submitted at the same moment
    results = at_once(
        10,
        lambda i: refund_settle(
            actor=staff(manager.pk),
            ret=ret,
            reference=f"TR-{i}",
            idempotency_key=f"page-{i}",
            expected_status=ReturnStatus.RECEIVED,
        ),
    )
    # then one refund, marked refunded, and the return completed once; the others refused
    refunds = [result for result in results if isinstance(result, Refund)]
    errors = [result for result in results if isinstance(result, RefundError)]
    assert (len(refunds), len(errors)) == (1, 9), results
    refund = Refund.objects.get(ret=ret)
    assert (refund.amount, refund.status) == (Decimal("33.73"), Refund.Status.REFUNDED)
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    assert ret.events.filter(to_status=ReturnStatus.COMPLETED).count() == 1
