"""Refund services: who may refund, how much, once; marking refunded; store credit; exchanges."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from refunds import selectors
from refunds.models import ExchangeDue, Refund, StoreCreditMovement
from refunds.money import money_for_order, money_for_return
from refunds.services import (
    RefundError,
    RefundPermissionError,
    exchange_due_mark_paid,
    exchange_settle,
    refund_cancel,
    refund_create,
    refund_mark_failed,
    refund_mark_refunded,
    store_credit_spend,
)
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import ReturnPermissionError
from tests.factories import StaffFactory, make_order, sibling_variant
from tests.refunds.factories import received_return, refunds_manager, worked_example

pytestmark = pytest.mark.django_db


@pytest.fixture
def notifications(monkeypatch):
    """The settlement emails queued (refunded, credited, exchanged), as (return id, event)."""
    sent = []

    def enqueue(*, ret, event, return_event=None, actor=None):
        if event in ("refunded", "credited", "exchanged"):
            sent.append((ret.pk, event))

    monkeypatch.setattr("notifications.services.notification_enqueue", enqueue)
    return sent


def refund_events(ret):
    return list(ReturnEvent.objects.filter(ret=ret, kind=ReturnEvent.Kind.REFUND))


# --- creating ---------------------------------------------------------------------------------


def test_refund_create_holds_the_quote_frozen(manager):
    # given
    ret = worked_example()
    # when
    refund = refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    # then
    assert refund.amount == Decimal("33.73")
    assert refund.status == Refund.Status.PENDING
    assert refund.mode == Refund.Mode.ORIGINAL_PAYMENT
    assert refund.is_partial is False
    assert refund.includes_shipping is True
    assert refund.created_by == manager
    assert [line["amount"] for line in refund.quote["lines"]] == ["19.99", "12.74", "6.00", "-5.00"]
    assert refund.quote["total"] == "33.73"
    assert len(refund_events(ret)) == 1
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.RECEIVED


def test_double_submit_of_the_same_form_makes_one_refund(manager):
    # given
    ret = worked_example()
    first = refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    # when the same form is submitted again
    second = refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    # then
    assert second.pk == first.pk
    assert Refund.objects.count() == 1
    assert len(refund_events(ret)) == 1


def test_the_same_key_for_another_return_is_refused(manager):
    # given
    refund_create(actor=manager, ret=worked_example(), idempotency_key="form-1")
    other = worked_example()
    # when / then
    with pytest.raises(RefundError, match="expired"):
        refund_create(actor=manager, ret=other, idempotency_key="form-1")
    assert Refund.objects.filter(ret=other).count() == 0


def test_staff_without_the_refund_permission_cannot_refund():
    # given
    ret = worked_example()
    clerk = StaffFactory()
    # when / then
    with pytest.raises(RefundPermissionError) as error:
        refund_create(actor=clerk, ret=ret, idempotency_key="form-1")
    assert isinstance(error.value, ReturnPermissionError)
    assert Refund.objects.count() == 0
    assert refund_events(ret) == []


def test_a_second_full_refund_of_a_return_is_refused(manager):
    # given
    ret = worked_example()
    refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    # when / then
    with pytest.raises(RefundError, match="already refunded"):
        refund_create(actor=manager, ret=ret, idempotency_key="form-2")
    assert Refund.objects.count() == 1


def test_a_partial_refund_needs_a_reason(manager):
    # given
    ret = worked_example()
    # when / then
    with pytest.raises(RefundError, match="reason"):
        refund_create(actor=manager, ret=ret, amount=Decimal("20.00"), idempotency_key="form-1")
    assert Refund.objects.count() == 0
    refund = refund_create(
        actor=manager, ret=ret, amount="20.00", reason="Item scratched", idempotency_key="form-2"
    )
    assert (refund.amount, refund.is_partial, refund.partial_reason) == (
        Decimal("20.00"),
        True,
        "Item scratched",
    )


def test_the_rest_after_a_partial_refund_is_another_explicit_partial_refund(manager):
    # given
    ret = worked_example()
    refund_create(
        actor=manager, ret=ret, amount="20.00", reason="first part", idempotency_key="form-1"
    )
    # when
    rest = refund_create(actor=manager, ret=ret, reason="the rest", idempotency_key="form-2")
    # then
    assert rest.amount == Decimal("13.73")
    assert rest.is_partial is True
    assert selectors.committed_total_for_order(ret.order) == Decimal("33.73")


def test_an_amount_above_the_quote_is_refused(manager):
    # given
    ret = worked_example()
    # when / then
    with pytest.raises(RefundError, match=r"at most €33\.73"):
        refund_create(actor=manager, ret=ret, amount="33.74", reason="x", idempotency_key="form-1")
    assert Refund.objects.count() == 0


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.005", 2.5])
def test_a_bad_amount_is_refused(manager, amount):
    # given
    ret = worked_example()
    # when / then
    with pytest.raises(RefundError):
        refund_create(actor=manager, ret=ret, amount=amount, reason="x", idempotency_key="form-1")
    assert Refund.objects.count() == 0


def test_a_requested_return_cannot_be_refunded_yet(manager):
    # given a return the shop has not approved
    order = make_order([(1, "10.00")])
    ret = received_return(order, [1], received=False)
    Return.objects.filter(pk=ret.pk).update(status=ReturnStatus.REQUESTED)
    # when / then
    with pytest.raises(RefundError, match="cannot be refunded"):
        refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    assert Refund.objects.count() == 0


def test_refunds_of_an_order_never_exceed_what_it_paid(manager):
    # given an order of 60.00 of which 45.00 was paid (the rest by gift card), two returns
    order = make_order([(2, "30.00")], shipping="0.00")
    order.amount_paid = Decimal("45.00")
    order.save()
    first, second = received_return(order, [1]), received_return(order, [1])
    refund_create(actor=manager, ret=first, idempotency_key="form-1")
    # when trying to refund the second return's 30.00 in full
    with pytest.raises(RefundError, match=r"at most €15\.00"):
        refund_create(actor=manager, ret=second, amount="30.00", idempotency_key="form-2")
    # then what is left is what can be refunded, and no more
    assert Refund.objects.count() == 1
    rest = refund_create(actor=manager, ret=second, idempotency_key="form-3")
    assert rest.amount == Decimal("15.00")
    assert [line["kind"] for line in rest.quote["lines"]] == ["item", "cap"]
    assert selectors.committed_total_for_order(order) == Decimal("45.00")


def test_the_database_refuses_a_second_live_full_refund_and_a_zero_amount(manager):
    # given
    ret = worked_example()
    refund = refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    fields = {
        "ret": ret,
        "order": ret.order,
        "currency": "EUR",
        "quote": refund.quote,
        "mode": Refund.Mode.ORIGINAL_PAYMENT,
    }
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(amount=Decimal("1.00"), idempotency_key="orm-1", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(
            amount=Decimal("0.00"),
            is_partial=True,
            partial_reason="x",
            idempotency_key="orm-2",
            **fields,
        )
    assert Refund.objects.count() == 1


# --- settling ---------------------------------------------------------------------------------


def test_marking_refunded_completes_the_received_return(manager, notifications):
    # given
    ret = worked_example()
    refund = refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    # when
    refund = refund_mark_refunded(actor=manager, refund=refund, reference="re_3PqXy")
    # then
    assert refund.status == Refund.Status.REFUNDED
    assert (refund.reference, refund.marked_by) == ("re_3PqXy", manager)
    assert refund.marked_at is not None
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    assert notifications == [(ret.pk, "refunded")]
    assert money_for_order(ret.order).refunded == Decimal("33.73")
    assert StoreCreditMovement.objects.count() == 0


def test_marking_refunded_needs_the_reference(manager, notifications):
    # given
    ret = worked_example()
    refund = refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    # when / then
    with pytest.raises(RefundError, match="reference"):
        refund_mark_refunded(actor=manager, refund=refund, reference="  ")
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.PENDING
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.RECEIVED
    assert notifications == []


def test_a_refund_before_the_parcel_arrives_leaves_the_return_open(manager, notifications):
    # given an approved return, not received yet
    ret = worked_example(received=False)
    refund = refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    # when
    refund_mark_refunded(actor=manager, refund=refund, reference="re_1")
    # then
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.APPROVED
    assert money_for_return(ret).refunded == Decimal("33.73")
    assert notifications == []


def test_a_refunds_manager_without_the_completion_permission_still_settles_the_return():
    # given
    manager = refunds_manager(can_complete_returns=False)
    ret = worked_example()
    refund = refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    # when
    refund_mark_refunded(actor=manager, refund=refund, reference="re_1")
    # then the return is completed by the system, the note naming who settled it
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    completion = ret.events.get(kind=ReturnEvent.Kind.STATUS, to_status=ReturnStatus.COMPLETED)
    assert completion.actor is None
    assert completion.text == f"€33.73 refunded to the original payment.\nSettled by {manager}."


def test_a_failed_refund_frees_the_return_for_a_new_one(manager):
    # given
    ret = worked_example()
    failed = refund_mark_failed(
        actor=manager,
        refund=refund_create(actor=manager, ret=ret, idempotency_key="form-1"),
        note="card expired",
    )
    # when
    again = refund_create(actor=manager, ret=ret, idempotency_key="form-2")
    # then
    assert failed.status == Refund.Status.FAILED
    assert again.amount == Decimal("33.73")
    assert selectors.committed_total_for_order(ret.order) == Decimal("33.73")


def test_a_cancelled_refund_cannot_be_marked_refunded(manager):
    # given
    ret = worked_example()
    refund = refund_cancel(
        actor=manager, refund=refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    )
    # when / then
    with pytest.raises(RefundError, match="already cancelled"):
        refund_mark_refunded(actor=manager, refund=refund, reference="re_1")
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.CANCELLED
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.RECEIVED


# --- store credit -----------------------------------------------------------------------------


def test_a_store_credit_refund_credits_the_customer_once(manager, notifications):
    # given
    ret = worked_example(mode=Return.RefundMode.STORE_CREDIT)
    refund = refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    # when marked twice (a double click)
    for _ in range(2):
        refund_mark_refunded(actor=manager, refund=refund, reference="")
    # then
    customer = ret.order.customer
    assert refund.mode == Refund.Mode.STORE_CREDIT
    assert selectors.store_credit_balance(customer, "EUR") == Decimal("33.73")
    assert StoreCreditMovement.objects.get().refund == refund
    assert notifications == [(ret.pk, "credited")]


def test_store_credit_never_goes_below_zero(manager):
    # given 33.73 of credit
    ret = worked_example(mode=Return.RefundMode.STORE_CREDIT)
    refund_mark_refunded(
        actor=manager,
        refund=refund_create(actor=manager, ret=ret, idempotency_key="form-1"),
        reference="",
    )
    customer = ret.order.customer
    # when / then
    with pytest.raises(RefundError, match=r"only €33\.73"):
        store_credit_spend(actor=manager, customer=customer, amount="33.74", currency="EUR")
    store_credit_spend(actor=manager, customer=customer, amount="33.73", currency="EUR")
    assert selectors.store_credit_balance(customer, "EUR") == Decimal("0.00")
    assert StoreCreditMovement.objects.count() == 2


# --- exchanges --------------------------------------------------------------------------------


def test_an_exchange_for_a_cheaper_item_refunds_the_difference(manager, notifications):
    # given a 30.00 item exchanged for a 25.00 one
    order = make_order([(1, "30.00"), (1, "10.00")], shipping="6.00")
    ret = received_return(
        order,
        [1, 0],
        mode=Return.RefundMode.EXCHANGE,
        exchange_variant=sibling_variant(order, price=Decimal("25.00")),
    )
    # when
    refund = exchange_settle(actor=manager, ret=ret, idempotency_key="form-1")
    refund_mark_refunded(actor=manager, refund=refund, reference="re_1")
    # then
    assert (refund.amount, refund.mode) == (Decimal("5.00"), Refund.Mode.EXCHANGE)
    assert refund.quote["exchange_cost"] == "25.00"
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.COMPLETED
    assert ret.replacement_order.lines.get().unit_price_paid == Decimal("25.00")
    assert notifications == [(ret.pk, "exchanged")]


def test_an_exchange_for_a_dearer_item_records_an_amount_due_not_a_refund(manager, notifications):
    # given a 30.00 item exchanged for a 40.00 one
    order = make_order([(1, "30.00"), (1, "10.00")], shipping="6.00")
    ret = received_return(
        order,
        [1, 0],
        mode=Return.RefundMode.EXCHANGE,
        exchange_variant=sibling_variant(order, price=Decimal("40.00")),
    )
    # when
    due = exchange_settle(actor=manager, ret=ret, idempotency_key="form-1")
    # then
    assert isinstance(due, ExchangeDue)
    assert due.amount == Decimal("10.00")
    assert Refund.objects.count() == 0
    assert selectors.refundable_left_for_order(order) == Decimal("46.00")
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.RECEIVED
    with pytest.raises(RefundError, match=r"owes €10\.00"):
        refund_create(actor=manager, ret=ret, idempotency_key="form-2")
    # and once paid, the return is completed
    exchange_due_mark_paid(actor=manager, due=due, reference="POS-77")
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    assert notifications == [(ret.pk, "exchanged")]
