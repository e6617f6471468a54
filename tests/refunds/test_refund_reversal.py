"""Reversing a refund: the one explicit, audited way to take back a refund already paid out (the
customer returned the money, a chargeback, a refund sent by mistake). Until then a return with a
live refund cannot be cancelled, rejected or expired (returns.policy.closing_refusal)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from refunds.models import Refund, RefundStatus, StoreCreditMovement
from refunds.money import money_for_return
from refunds.selectors import store_credit_balance
from refunds.services import (
    RefundError,
    refund_create,
    refund_reverse,
    refund_settle,
    store_credit_spend,
)
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import return_approve, return_cancel, return_receive
from tests.factories import make_order
from tests.refunds.factories import refunds_manager
from tests.returns.helpers import request

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    return refunds_manager()


@pytest.fixture
def order(customer, reasons, shop_settings):
    """One jacket at 59.09 and 6.00 shipping: a whole return owes 65.09."""
    return make_order([(1, "59.09")], shipping="6.00", customer=customer, email=customer.email)


def refunded_before_receipt(order, staff, manager, mode=Return.RefundMode.MONEY_BACK) -> Refund:
    ret = return_approve(actor=staff, ret=request(order, 1, refund_mode=mode))
    reference = "" if mode == Return.RefundMode.STORE_CREDIT else "BANK-1"
    return refund_settle(actor=manager, ret=ret, reference=reference, idempotency_key="s-1")


def written() -> dict:
    return {
        "refunds": list(
            Refund.objects.values_list("id", "status", "amount", "reversed_by", "reversal_reason")
        ),
        "credit": list(StoreCreditMovement.objects.values_list("id", "amount")),
        "events": list(ReturnEvent.objects.values_list("id", flat=True)),
        "statuses": list(Return.objects.values_list("id", "status")),
    }


def test_a_reversed_refund_no_longer_counts_and_the_return_can_then_be_cancelled(
    order, staff, manager
):
    # given
    refund = refunded_before_receipt(order, staff, manager)
    # when
    reversed_ = refund_reverse(
        actor=manager, refund=refund, reason="Customer sent the money back: order kept."
    )
    # then
    assert reversed_.status == RefundStatus.REVERSED
    assert (reversed_.reversed_by, reversed_.reversal_reason) == (
        manager,
        "Customer sent the money back: order kept.",
    )
    assert reversed_.reversed_at is not None
    assert reversed_.reference == "BANK-1"  # the payout it takes back stays on record
    state = money_for_return(refund.ret)
    assert (state.refunded, state.pending, state.left_to_refund, state.has_live_refund) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("65.09"),
        False,
    )
    event = ReturnEvent.objects.get(ret=refund.ret, code="refund.reversed")
    assert (event.text, event.actor, event.visible_to_customer) == (
        "Refund of €65.09 reversed.\nCustomer sent the money back: order kept.",
        manager,
        False,
    )
    cancelled = return_cancel(actor=staff, ret=refund.ret)
    assert cancelled.status == ReturnStatus.CANCELLED


def test_reversing_store_credit_takes_the_credit_back_from_the_ledger(order, staff, manager):
    # given
    refund = refunded_before_receipt(order, staff, manager, mode=Return.RefundMode.STORE_CREDIT)
    assert store_credit_balance(order.customer, "EUR") == Decimal("65.09")
    # when
    refund_reverse(actor=manager, refund=refund, reason="Credited by mistake.")
    # then
    assert list(StoreCreditMovement.objects.order_by("id").values_list("amount", "refund_id")) == [
        (Decimal("65.09"), refund.pk),
        (Decimal("-65.09"), refund.pk),
    ]
    assert store_credit_balance(order.customer, "EUR") == Decimal("0.00")


def test_store_credit_already_spent_cannot_be_reversed_and_nothing_changes(order, staff, manager):
    # given: 20.00 of the 65.09 credit spent
    refund = refunded_before_receipt(order, staff, manager, mode=Return.RefundMode.STORE_CREDIT)
    store_credit_spend(actor=manager, customer=order.customer, amount="20.00", currency="EUR")
    before = written()
    # when
    with pytest.raises(RefundError) as refused:
        refund_reverse(actor=manager, refund=refund, reason="Credited by mistake.")
    # then
    assert refused.value.message == (
        "Only €45.09 of this store credit is left on the customer's balance: it cannot be "
        "taken back."
    )
    assert written() == before


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Say why the refund is reversed."), ("   ", "Say why the refund is reversed.")],
)
def test_a_reversal_needs_a_reason(order, staff, manager, reason, message):
    # given
    refund = refunded_before_receipt(order, staff, manager)
    before = written()
    # when
    with pytest.raises(RefundError) as refused:
        refund_reverse(actor=manager, refund=refund, reason=reason)
    # then
    assert refused.value.message == message
    assert written() == before


def test_a_pending_refund_is_cancelled_not_reversed(order, staff, manager):
    # given
    ret = return_approve(actor=staff, ret=request(order, 1))
    refund = refund_create(actor=manager, ret=ret, idempotency_key="p-1")
    before = written()
    # when
    with pytest.raises(RefundError) as refused:
        refund_reverse(actor=manager, refund=refund, reason="Typo.")
    # then
    assert refused.value.message == (
        "Only a refund marked refunded can be reversed; this one is pending: cancel it instead."
    )
    assert written() == before


def test_reversing_twice_is_refused(order, staff, manager):
    # given
    refund = refunded_before_receipt(order, staff, manager)
    refund_reverse(actor=manager, refund=refund, reason="Money back.")
    before = written()
    # when
    with pytest.raises(RefundError) as refused:
        refund_reverse(actor=manager, refund=refund, reason="Money back.")
    # then
    assert refused.value.message == (
        "Only a refund marked refunded can be reversed; this one is reversed."
    )
    assert written() == before


def test_a_reversal_needs_the_refund_permission(order, staff, manager):
    # given
    refund = refunded_before_receipt(order, staff, manager)
    before = written()
    # when
    with pytest.raises(RefundError) as refused:
        refund_reverse(actor=staff, refund=refund, reason="Money back.")
    # then
    assert refused.value.message == "You are not allowed to make or change refunds."
    assert written() == before


def test_the_database_refuses_a_reversal_without_its_reason(order, staff, manager):
    # given
    refund = refunded_before_receipt(order, staff, manager)
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.REVERSED)


def test_the_refund_of_a_completed_return_cannot_be_reversed(order, staff, manager):
    # given: received, then refunded, which completes it
    ret = return_receive(actor=staff, ret=return_approve(actor=staff, ret=request(order, 1)))
    refund = refund_settle(actor=manager, ret=ret, reference="BANK-9", idempotency_key="c-1")
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    before = written()
    # when
    with pytest.raises(RefundError) as refused:
        refund_reverse(actor=manager, refund=refund, reason="Chargeback.")
    # then
    assert refused.value.message == (
        f"Return {ret.rma_number} is completed: its refund can no longer be reversed."
    )
    assert written() == before
