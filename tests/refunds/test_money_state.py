"""The money state of a return and of an order (refunds/money.py), the completion it gates and
refund_settle, the one "refund and mark refunded" service."""

from decimal import Decimal

import pytest

from notifications.models import Notification
from refunds.models import ExchangeDue, Refund
from refunds.money import (
    money_for_order,
    money_for_return,
    money_for_returns,
    with_money_columns,
)
from refunds.quotes import load_order_facts, quote_for_return, quote_from_facts
from refunds.services import (
    RefundError,
    exchange_due_mark_paid,
    exchange_settle,
    refund_create,
    refund_mark_refunded,
    refund_settle,
)
from returns.errors import ReturnError
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import return_complete, return_reject
from tests.factories import make_order, sibling_variant, superuser
from tests.refunds.factories import received_return, refunds_manager, worked_example

pytestmark = pytest.mark.django_db


def what_completion_changes(ret):
    """What a refused completion must leave as it was."""
    fresh = Return.objects.get(pk=ret.pk)
    return {
        "status": fresh.status,
        "events": list(ReturnEvent.objects.filter(ret=fresh).values_list("id", flat=True)),
        "notifications": list(Notification.objects.filter(ret=fresh).values_list("id", flat=True)),
        "refunds": list(fresh.refunds.values_list("id", "status")),
        "replacement": fresh.replacement_order_id,
    }


def figures(state):
    return (
        state.quote_total,
        state.refunded,
        state.pending,
        state.left_to_refund,
        state.amount_due,
        state.due_open,
        state.settled,
    )


# --- the money state ---------------------------------------------------------------------------


def test_a_received_return_not_refunded_has_its_whole_quote_left():
    # given
    ret = worked_example()
    # when
    state = money_for_return(ret)
    # then
    assert figures(state) == (
        Decimal("33.73"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("33.73"),
        Decimal("0.00"),
        Decimal("0.00"),
        False,
    )
    assert state.quote == quote_for_return(ret)


def test_a_rejected_return_owes_nothing_whatever_its_quote():
    # given: a received return refused after inspection
    ret = return_reject(actor=superuser(), ret=worked_example(), reason="Worn")
    # when
    state = money_for_return(ret)
    # then: its quote is still readable; nothing is left to refund or due
    assert figures(state) == (
        Decimal("33.73"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        True,
    )
    assert state.live is False


def test_pending_then_refunded_parts_are_counted_apart(manager):
    # given: 20.00 of the 33.73 refunded in part, then 13.73 pending
    ret = worked_example()
    first = refund_create(
        actor=manager, ret=ret, amount="20.00", reason="scratched", idempotency_key="k1"
    )
    refund_mark_refunded(actor=manager, refund=first, reference="re_1")
    refund_create(actor=manager, ret=ret, reason="the rest", idempotency_key="k2")
    # when
    state = money_for_return(ret)
    # then
    assert figures(state) == (
        Decimal("33.73"),
        Decimal("20.00"),
        Decimal("13.73"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        False,
    )


def test_an_exchange_for_a_dearer_item_is_due_until_paid(manager):
    # given: 1 × 20.00 back for a 27.50 variant: the customer owes 7.50
    order = make_order([(1, "20.00")], shipping="0.00")
    dearer = sibling_variant(order, price=Decimal("27.50"))
    ret = received_return(order, [1], mode=Return.RefundMode.EXCHANGE, exchange_variant=dearer)
    due = exchange_settle(actor=manager, ret=ret, idempotency_key="k1")
    # when
    before = money_for_return(ret)
    exchange_due_mark_paid(actor=manager, due=due, reference="PAY-1")
    after = money_for_return(ret)
    # then
    assert figures(before)[3:] == (Decimal("0.00"), Decimal("7.50"), Decimal("7.50"), False)
    assert figures(after)[3:] == (Decimal("0.00"), Decimal("7.50"), Decimal("0.00"), True)
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED


def test_the_bulk_states_equal_one_by_one_in_a_fixed_number_of_queries(
    manager, django_assert_num_queries
):
    # given: three orders, four returns, one refunded
    orders = [make_order([(2, "15.00"), (1, "9.99")], shipping="4.90") for _ in range(3)]
    returns = [received_return(order, [1, 1]) for order in orders]
    returns.append(received_return(orders[0], [1, 0]))  # completes order 0: its shipping
    refund_settle(actor=manager, ret=returns[1], reference="re_1", idempotency_key="k1")
    loaded = list(
        Return.objects.filter(pk__in=[r.pk for r in returns]).select_related("order").order_by("id")
    )
    # when: one query, the returns' money columns (their orders' facts, their settlements)
    with django_assert_num_queries(1):
        states = money_for_returns(loaded)
    # then: the same states one by one, and the same quotes as the facts read row by row
    assert {pk: figures(state) for pk, state in states.items()} == {
        ret.pk: figures(money_for_return(ret)) for ret in returns
    }
    assert {pk: state.quote for pk, state in states.items()} == {
        ret.pk: quote_from_facts(load_order_facts([ret.order], {ret.pk})[ret.order_id], ret)
        for ret in loaded
    }
    assert [states[ret.pk].quote_total for ret in returns] == [
        Decimal("24.99"),
        Decimal("24.99"),
        Decimal("24.99"),
        Decimal("19.90"),
    ]
    assert states[returns[1].pk].refunded == Decimal("24.99")


def test_a_list_read_with_its_money_columns_needs_no_query_more(manager, django_assert_num_queries):
    # given: the same mixed returns, one refunded, one an exchange the customer paid the
    # difference of
    orders = [make_order([(2, "15.00"), (1, "9.99")], shipping="4.90") for _ in range(2)]
    returns = [received_return(order, [1, 1]) for order in orders]
    returns.append(received_return(orders[0], [1, 0]))
    refund_settle(actor=manager, ret=returns[1], reference="re_1", idempotency_key="k1")
    dearer = sibling_variant(orders[1], price=Decimal("40.00"))
    exchange = received_return(
        orders[1], [1, 0], mode=Return.RefundMode.EXCHANGE, exchange_variant=dearer
    )
    due = exchange_settle(actor=manager, ret=exchange, idempotency_key="k2")
    exchange_due_mark_paid(actor=manager, due=due, reference="PAY-1")
    returns.append(exchange)
    listed = list(with_money_columns(Return.objects.select_related("order").order_by("id")))
    # when
    with django_assert_num_queries(0):
        states = money_for_returns(listed)
    # then
    assert {pk: (state.quote, figures(state)) for pk, state in states.items()} == {
        ret.pk: (quote_for_return(ret), figures(money_for_return(ret))) for ret in returns
    }
    assert figures(states[exchange.pk])[3:] == (
        Decimal("0.00"),
        Decimal("25.00"),
        Decimal("0.00"),
        True,
    )


def test_an_order_state_sums_its_live_returns(manager):
    # given: the worked example refunded 20.00 of 33.73
    ret = worked_example()
    refund_settle(
        actor=manager,
        ret=ret,
        reference="re_1",
        amount="20.00",
        reason="scratched",
        idempotency_key="k1",
    )
    # when
    state = money_for_order(ret.order)
    # then
    assert figures(state) == (
        Decimal("33.73"),
        Decimal("20.00"),
        Decimal("0.00"),
        Decimal("13.73"),
        Decimal("0.00"),
        Decimal("0.00"),
        False,
    )


def test_amounts_are_rounded_to_the_currency():
    # given: yen have no minor unit
    order = make_order([(1, "1500"), (1, "1012")], shipping="0", currency="JPY")
    ret = received_return(order, [1, 0], fee="300")
    # when
    state = money_for_return(ret)
    # then
    assert (str(state.quote_total), str(state.left_to_refund), str(state.refunded)) == (
        "1200",
        "1200",
        "0",
    )


# --- completing a return only once settled ----------------------------------------------------


def test_completing_with_money_left_to_refund_is_refused_and_nothing_changes():
    # given: 1 × 20.00 received, its quote 20.00, no refund
    order = make_order([(2, "20.00")], shipping="0.00")
    ret = received_return(order, [1])
    before = what_completion_changes(ret)
    # when / then
    with pytest.raises(ReturnError) as refused:
        return_complete(actor=superuser(), ret=ret)
    assert refused.value.message == (
        f"Return {ret.rma_number} cannot be completed yet: €20.00 is left to refund."
    )
    assert what_completion_changes(ret) == before
    assert Refund.objects.count() == 0


def test_the_system_cannot_complete_it_either():
    # given
    ret = received_return(make_order([(1, "20.00")], shipping="0.00"), [1])
    before = what_completion_changes(ret)
    # when / then
    with pytest.raises(ReturnError, match=r"€20\.00 is left to refund"):
        return_complete(actor=None, ret=ret)
    assert what_completion_changes(ret) == before


def test_a_pending_refund_blocks_completion_and_marking_it_completes(manager):
    # given
    ret = received_return(make_order([(1, "20.00")], shipping="0.00"), [1])
    refund = refund_create(actor=manager, ret=ret, idempotency_key="k1")
    before = what_completion_changes(ret)
    # when / then
    with pytest.raises(ReturnError) as refused:
        return_complete(actor=superuser(), ret=ret)
    assert refused.value.message == (
        f"Return {ret.rma_number} cannot be completed yet: a refund of €20.00 waits to be "
        "marked refunded."
    )
    assert what_completion_changes(ret) == before
    # when
    refund_mark_refunded(actor=manager, refund=refund, reference="re_1")
    # then
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED


def test_a_partial_refund_leaves_the_return_to_complete_once_the_rest_is_refunded(manager):
    # given: 15.00 of 20.00 refunded
    ret = received_return(make_order([(1, "20.00")], shipping="0.00"), [1])
    refund_settle(
        actor=manager, ret=ret, reference="re_1", amount="15.00", reason="box", idempotency_key="k1"
    )
    # when / then
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.RECEIVED
    with pytest.raises(ReturnError, match=r"€5\.00 is left to refund"):
        return_complete(actor=superuser(), ret=ret)
    # when
    refund_settle(actor=manager, ret=ret, reference="re_2", reason="the rest", idempotency_key="k2")
    # then
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED


def test_an_open_exchange_due_blocks_completion():
    # given
    order = make_order([(1, "20.00")], shipping="0.00")
    dearer = sibling_variant(order, price=Decimal("27.50"))
    ret = received_return(order, [1], mode=Return.RefundMode.EXCHANGE, exchange_variant=dearer)
    before = what_completion_changes(ret)
    # when / then
    with pytest.raises(ReturnError, match=r"the customer still owes €7\.50 for the exchange"):
        return_complete(actor=superuser(), ret=ret)
    assert what_completion_changes(ret) == before
    assert ExchangeDue.objects.count() == 0


def test_a_settled_return_is_completed_by_staff():
    # given: a return fee as high as the item: nothing to refund
    ret = received_return(make_order([(1, "20.00")], shipping="0.00"), [1], fee="20.00")
    # when
    completed = return_complete(actor=superuser(), ret=ret)
    # then
    assert completed.status == ReturnStatus.COMPLETED


# --- refund_settle: refund what is left and mark it refunded ----------------------------------


def test_settle_refunds_what_is_left_exactly_and_completes(manager):
    # given
    ret = worked_example()
    # when
    refund = refund_settle(actor=manager, ret=ret, reference="SEPA-118", idempotency_key="k1")
    # then
    assert (refund.amount, refund.status, refund.reference, refund.is_partial) == (
        Decimal("33.73"),
        Refund.Status.REFUNDED,
        "SEPA-118",
        False,
    )
    assert refund.includes_shipping is True
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED


def test_settle_twice_with_the_same_key_makes_one_refund(manager):
    # given
    ret = worked_example()
    # when
    refunds = [
        refund_settle(
            actor=manager,
            ret=ret,
            reference="SEPA-118",
            idempotency_key="k1",
            expected_status=ReturnStatus.RECEIVED,
        )
        for _ in range(2)
    ]
    # then
    assert refunds[0].pk == refunds[1].pk
    assert Refund.objects.count() == 1
    assert ret.events.filter(kind=ReturnEvent.Kind.REFUND).count() == 2  # created, refunded


def test_settle_marks_the_pending_refund_as_it_is(manager):
    # given
    ret = worked_example()
    pending = refund_create(actor=manager, ret=ret, idempotency_key="k1")
    # when
    settled = refund_settle(actor=manager, ret=ret, reference="re_9", idempotency_key="k2")
    again = refund_settle(actor=manager, ret=ret, reference="re_9", idempotency_key="k2")
    # then
    assert settled.pk == pending.pk == again.pk
    assert (settled.amount, settled.status) == (Decimal("33.73"), Refund.Status.REFUNDED)
    assert Refund.objects.count() == 1


def test_settle_refuses_when_nothing_is_left_and_changes_nothing(manager):
    # given
    ret = worked_example()
    refund_settle(actor=manager, ret=ret, reference="re_1", idempotency_key="k1")
    before = what_completion_changes(ret)
    # when / then
    with pytest.raises(RefundError) as refused:
        refund_settle(actor=manager, ret=ret, reference="re_2", idempotency_key="k2")
    assert refused.value.message == (
        f"Return {ret.rma_number} is already refunded: €33.73 of its quote of €33.73."
    )
    assert what_completion_changes(ret) == before


def test_settle_needs_the_reference_and_changes_nothing(manager):
    # given
    ret = worked_example()
    before = what_completion_changes(ret)
    # when / then
    with pytest.raises(RefundError, match="Type the reference"):
        refund_settle(actor=manager, ret=ret, reference=" ", idempotency_key="k1")
    assert what_completion_changes(ret) == before
    assert Refund.objects.count() == 0


def test_settle_refuses_a_return_changed_meanwhile(manager):
    # given: the person saw it approved; it was received since
    ret = worked_example()
    before = what_completion_changes(ret)
    # when / then
    with pytest.raises(RefundError, match="changed by someone else meanwhile"):
        refund_settle(
            actor=manager,
            ret=ret,
            reference="re_1",
            idempotency_key="k1",
            expected_status=ReturnStatus.APPROVED,
        )
    assert what_completion_changes(ret) == before


def test_settle_needs_the_refund_permission():
    # given
    ret = worked_example()
    clerk = refunds_manager(can_complete_returns=False)
    clerk.user_permissions.clear()
    clerk = type(clerk).objects.get(pk=clerk.pk)
    # when / then
    with pytest.raises(RefundError, match="not allowed"):
        refund_settle(actor=clerk, ret=ret, reference="re_1", idempotency_key="k1")
    assert Refund.objects.count() == 0
