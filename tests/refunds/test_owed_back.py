"""A return refunded before its parcel arrived, then received short: the difference is owed back by
the customer, shown to staff, and settled (paid back, or written off) by one audited action; the
return completes only then. Found by the state machine (tests/test_invariants.py): refunded 26.00
before receipt, then nothing came back, and the return showed "fully refunded" with 0.00 owed."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from notifications.models import Notification
from refunds.models import Refund, RefundStatus, Repayment
from refunds.money import money_for_order, money_for_return, unsettled_reason
from refunds.services import (
    RefundError,
    refund_cancel,
    refund_create,
    refund_mark_refunded,
    refund_settle,
    repayment_record,
)
from returns.errors import ReturnError
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import return_complete, return_receive
from tests.factories import make_order, superuser
from tests.refunds.factories import received_return, refunds_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    return refunds_manager()


@pytest.fixture
def order(db):
    """Two T-shirts at 10.00 and 6.00 shipping: the whole return is worth 26.00."""
    return make_order([(2, "10.00")], shipping="6.00")


def refunded_then_received(order, manager, received: int) -> Return:
    """Approved, refunded in full (26.00) before receipt, then `received` of the 2 units arrive."""
    ret = received_return(order, [2], received=False)
    refund_settle(actor=manager, ret=ret, reference="BANK-1", idempotency_key="settle-1")
    line = ret.lines.get()
    return return_receive(actor=superuser(), ret=ret, received={line.pk: (received, False)})


def written(ret: Return) -> dict:
    """What a refused settlement must leave as it was."""
    fresh = Return.objects.get(pk=ret.pk)
    return {
        "status": fresh.status,
        "repayments": list(Repayment.objects.values_list("id", "amount", "outcome")),
        "refunds": list(Refund.objects.values_list("id", "status", "amount")),
        "events": list(ReturnEvent.objects.filter(ret=fresh).values_list("id", flat=True)),
        "notifications": Notification.objects.count(),
    }


def test_one_unit_short_leaves_16_00_owed_back_and_the_return_received(order, manager):
    # when: one of the two units arrives (10.00; the shipping is refunded only for all of them)
    ret = refunded_then_received(order, manager, received=1)
    state = money_for_return(ret)
    # then
    assert ret.status == ReturnStatus.RECEIVED
    assert (state.quote_total, state.refunded, state.left_to_refund, state.owed_back) == (
        Decimal("10.00"),
        Decimal("26.00"),
        Decimal("0.00"),
        Decimal("16.00"),
    )
    assert state.settled is False
    assert unsettled_reason(state) == (
        "the customer owes €16.00 back: fewer items arrived than were refunded."
    )
    assert Refund.objects.count() == 1
    event = ReturnEvent.objects.filter(ret=ret, code="refund.owed_back").get()
    assert (event.text, event.visible_to_customer) == (
        "€16.00 refunded for items that did not arrive: owed back by the customer.",
        False,
    )


def test_nothing_arrives_and_the_whole_26_00_is_owed_back(order, manager):
    # when
    ret = refunded_then_received(order, manager, received=0)
    # then
    state = money_for_return(ret)
    assert (state.quote_total, state.owed_back) == (Decimal("0.00"), Decimal("26.00"))
    assert money_for_order(order).owed_back == Decimal("26.00")


def test_everything_arrives_and_nothing_is_owed(order, manager):
    # when
    ret = refunded_then_received(order, manager, received=2)
    # then
    state = money_for_return(ret)
    assert (state.quote_total, state.owed_back, state.settled) == (
        Decimal("26.00"),
        Decimal("0.00"),
        True,
    )
    assert not ReturnEvent.objects.filter(ret=ret, code="refund.owed_back").exists()


def test_completing_while_money_is_owed_back_is_refused_and_changes_nothing(order, manager):
    # given
    ret = refunded_then_received(order, manager, received=1)
    before = written(ret)
    # when
    with pytest.raises(ReturnError) as refused:
        return_complete(actor=manager, ret=ret)
    # then
    assert refused.value.message == (
        f"Return {ret.rma_number} cannot be completed yet: the customer owes €16.00 back: "
        "fewer items arrived than were refunded."
    )
    assert written(ret) == before


def test_paid_back_with_its_reference_settles_and_completes_the_return(order, manager):
    # given
    ret = refunded_then_received(order, manager, received=1)
    # when
    repayment = repayment_record(
        actor=manager, ret=ret, outcome=Repayment.Outcome.REPAID, reference="TRANSFER-9"
    )
    # then
    assert (repayment.amount, repayment.currency, repayment.outcome, repayment.reference) == (
        Decimal("16.00"),
        "EUR",
        Repayment.Outcome.REPAID,
        "TRANSFER-9",
    )
    assert (repayment.created_by, repayment.order_id) == (manager, order.pk)
    state = money_for_return(ret)
    assert (state.owed_back, state.refunded, state.settled) == (
        Decimal("0.00"),
        Decimal("26.00"),
        True,
    )
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    texts = [
        e.text for e in ReturnEvent.objects.filter(ret=ret, code="refund.repaid", kind="refund")
    ]
    assert texts == ["€16.00 paid back by the customer (reference TRANSFER-9)."]


def test_written_off_with_a_note_settles_and_completes_the_return(order, manager):
    # given
    ret = refunded_then_received(order, manager, received=0)
    # when
    repayment = repayment_record(
        actor=manager,
        ret=ret,
        outcome=Repayment.Outcome.WRITTEN_OFF,
        note="Parcel lost by the carrier; claim filed.",
    )
    # then
    assert (repayment.amount, repayment.outcome) == (
        Decimal("26.00"),
        Repayment.Outcome.WRITTEN_OFF,
    )
    assert money_for_return(ret).settled is True
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    event = ReturnEvent.objects.get(ret=ret, code="refund.written_off", kind="refund")
    assert (event.text, event.visible_to_customer) == (
        "€26.00 written off.\nParcel lost by the carrier; claim filed.",
        False,
    )


@pytest.mark.parametrize(
    ("outcome", "reference", "note", "message"),
    [
        (
            Repayment.Outcome.REPAID,
            "",
            "",
            "Type the reference of the customer's payment.",
        ),
        (
            Repayment.Outcome.WRITTEN_OFF,
            "",
            "  ",
            "Say why the amount is written off.",
        ),
        ("forgiven", "X", "X", "Choose whether the customer paid it back or it is written off."),
    ],
)
def test_a_settlement_missing_what_it_needs_is_refused_and_changes_nothing(
    order, manager, outcome, reference, note, message
):
    # given
    ret = refunded_then_received(order, manager, received=1)
    before = written(ret)
    # when
    with pytest.raises(RefundError) as refused:
        repayment_record(actor=manager, ret=ret, outcome=outcome, reference=reference, note=note)
    # then
    assert refused.value.message == message
    assert written(ret) == before


def test_nothing_owed_back_is_refused_and_changes_nothing(order, manager):
    # given
    ret = refunded_then_received(order, manager, received=2)
    before = written(ret)
    # when
    with pytest.raises(RefundError) as refused:
        repayment_record(actor=manager, ret=ret, outcome=Repayment.Outcome.REPAID, reference="R")
    # then
    assert refused.value.message == f"The customer owes nothing back for return {ret.rma_number}."
    assert written(ret) == before


def test_settling_twice_records_one_repayment(order, manager):
    # given: a double click
    ret = refunded_then_received(order, manager, received=1)
    repayment_record(actor=manager, ret=ret, outcome=Repayment.Outcome.REPAID, reference="T-1")
    # when
    with pytest.raises(RefundError):
        repayment_record(actor=manager, ret=ret, outcome=Repayment.Outcome.REPAID, reference="T-1")
    # then
    assert list(Repayment.objects.values_list("amount", flat=True)) == [Decimal("16.00")]


def test_settling_needs_the_refund_permission(order, manager, staff):
    # given
    ret = refunded_then_received(order, manager, received=1)
    before = written(ret)
    # when
    with pytest.raises(RefundError) as refused:
        repayment_record(actor=staff, ret=ret, outcome=Repayment.Outcome.REPAID, reference="T")
    # then
    assert refused.value.message == "You are not allowed to make or change refunds."
    assert written(ret) == before


def test_a_pending_refund_worth_more_than_what_arrived_cannot_be_marked_refunded(order, manager):
    # given: 26.00 pending before receipt, then one unit (10.00) arrives
    ret = received_return(order, [2], received=False)
    refund = refund_create(actor=manager, ret=ret, idempotency_key="pending-1")
    line = ret.lines.get()
    ret = return_receive(actor=superuser(), ret=ret, received={line.pk: (1, False)})
    before = written(ret)
    # when
    with pytest.raises(RefundError) as refused:
        refund_mark_refunded(actor=manager, refund=refund, reference="BANK-2")
    # then
    assert refused.value.message == (
        "This refund of €26.00 is more than is left to refund now that the parcel arrived "
        "(€10.00): cancel it and refund what is left."
    )
    assert written(ret) == before
    # and the way out: cancel it, then refund what is left
    refund_cancel(actor=manager, refund=refund)
    settled = refund_settle(actor=manager, ret=ret, reference="BANK-3", idempotency_key="s-2")
    assert (settled.amount, settled.status) == (Decimal("10.00"), RefundStatus.REFUNDED)
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED


def test_the_database_refuses_a_repayment_of_zero(order, manager):
    # given
    ret = refunded_then_received(order, manager, received=1)
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Repayment.objects.create(
            ret=ret,
            order=order,
            amount=Decimal("0.00"),
            currency="EUR",
            outcome=Repayment.Outcome.REPAID,
            reference="X",
        )
