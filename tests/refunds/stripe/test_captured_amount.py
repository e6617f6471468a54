"""The captured amount is enforced (refunds.services._check_captured): the refunds of an order
through its payment provider never add up to more than the payment captured there. Refused
with a clear error before anything is recorded or sent; under the order's lock, so two staff
refunding two returns of one order at once cannot pass it together (PostgreSQL)."""

from decimal import Decimal

import pytest

from refunds.models import Refund
from refunds.money import money_for_return
from refunds.services import (
    RefundError,
    refund_automatically,
    refund_create,
    refund_through_provider,
)
from returns.models import ReturnEvent
from shop.models import ShopSettings
from tests.fixtures.concurrency import race
from tests.refunds.factories import received_return, refunds_manager
from tests.refunds.stripe.helpers import stripe_order

pytestmark = pytest.mark.django_db


def two_returns_of_one_order(captured: str):
    """19.99 + 12.74 + shipping 6.00 = 38.73 paid, `captured` at Stripe; each line returned
    on its own, no fee (the shipping is refunded only with the whole order): 19.99, 12.74."""
    order = stripe_order([(1, "19.99"), (1, "12.74")], shipping="6.00")
    order.amount_captured = Decimal(captured)
    order.save(update_fields=["amount_captured"])
    return received_return(order, [1, 0]), received_return(order, [0, 1])


def refund_events(ret):
    return ReturnEvent.objects.filter(ret=ret, kind=ReturnEvent.Kind.REFUND).count()


def test_a_refund_beyond_what_stripe_captured_is_refused_and_nothing_happens(
    stripe_server, manager
):
    # given: 38.73 paid, but 30.00 captured at Stripe (the rest paid by a gift card, say)
    order = stripe_order([(1, "19.99"), (1, "12.74")], shipping="6.00")
    order.amount_captured = Decimal("30.00")
    order.save(update_fields=["amount_captured"])
    ret = received_return(order, [1, 1])
    assert money_for_return(ret).left_to_refund == Decimal("38.73")
    # when
    with pytest.raises(RefundError) as refused:
        refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    # then: a clear error, nothing recorded, nothing sent
    assert refused.value.code == "refund_exceeds_captured"
    assert "Stripe captured €30.00" in refused.value.message
    assert "€38.73 more would exceed what was captured" in refused.value.message
    assert Refund.objects.count() == 0
    assert stripe_server.requests == []
    assert refund_events(ret) == 0
    assert money_for_return(ret).left_to_refund == Decimal("38.73")


def test_a_partial_refund_up_to_the_captured_amount_is_sent(stripe_server, manager):
    # given
    order = stripe_order([(1, "19.99"), (1, "12.74")], shipping="6.00")
    order.amount_captured = Decimal("30.00")
    order.save(update_fields=["amount_captured"])
    ret = received_return(order, [1, 1])
    # when: exactly what was captured
    refund = refund_through_provider(
        actor=manager, ret=ret, idempotency_key="form-1", amount="30.00", reason="gift card part"
    )
    # then
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REFUNDED
    assert stripe_server.requests[0].params["amount"] == "3000"
    # and one cent more, for the rest, is refused through Stripe
    with pytest.raises(RefundError, match=r"€0\.01 more would exceed"):
        refund_through_provider(
            actor=manager, ret=ret, idempotency_key="form-2", amount="0.01", reason="rest"
        )
    assert Refund.objects.count() == 1
    assert len(stripe_server.requests) == 1


def test_the_order_s_other_refunds_through_stripe_count(stripe_server, manager):
    # given: 25.00 captured; the first return is refunded 19.99
    first, second = two_returns_of_one_order("25.00")
    refund_through_provider(actor=manager, ret=first, idempotency_key="form-1")
    assert money_for_return(first).refunded == Decimal("19.99")
    # when: the second's 12.74 would take it to 32.73
    with pytest.raises(RefundError) as refused:
        refund_through_provider(actor=manager, ret=second, idempotency_key="form-2")
    # then
    assert "€19.99 is already refunded or being refunded through it" in refused.value.message
    assert Refund.objects.filter(ret=second).count() == 0
    assert len(stripe_server.requests) == 1
    # and 5.01 of it, what is left captured, goes through
    refund = refund_through_provider(
        actor=manager, ret=second, idempotency_key="form-3", amount="5.01", reason="captured"
    )
    assert stripe_server.requests[1].params["amount"] == "501"
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REFUNDED


def test_a_failed_refund_holds_nothing_of_the_captured_amount(stripe_server, manager):
    # given: a refund of all that was captured, failed at Stripe
    from tests.refunds.stripe.stripe_server import refused

    order = stripe_order([(1, "19.99")], shipping="0.00")
    ret = received_return(order, [1])
    stripe_server.refusal = refused("insufficient_funds", "Insufficient funds.")
    failed = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    failed.refresh_from_db()
    assert failed.status == Refund.Status.FAILED
    stripe_server.refusal = None
    # when: retried, it may take the captured amount again
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-2")
    # then
    refund.refresh_from_db()
    assert (refund.status, refund.amount) == (Refund.Status.REFUNDED, Decimal("19.99"))


def test_store_credit_and_refunds_by_hand_are_not_the_provider_s(stripe_server, manager):
    # given: nothing captured at Stripe (amount_captured 0.00)
    order = stripe_order([(1, "19.99")], shipping="0.00")
    order.amount_captured = Decimal("0.00")
    order.save(update_fields=["amount_captured"])
    ret = received_return(order, [1], mode="store_credit")
    # when
    refund = refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    # then: store credit is ours to give
    assert (refund.provider, refund.amount) == ("manual", Decimal("19.99"))
    assert stripe_server.requests == []


def test_an_automatic_refund_beyond_the_captured_amount_is_left_to_staff(
    stripe_server, django_capture_on_commit_callbacks
):
    # given
    settings = ShopSettings.load()
    settings.auto_refund_money_back = True
    settings.save()
    order = stripe_order([(1, "19.99")], shipping="0.00")
    order.amount_captured = Decimal("10.00")
    order.save(update_fields=["amount_captured"])
    with django_capture_on_commit_callbacks(execute=False):
        ret = received_return(order, [1])
    # when
    assert refund_automatically(ret.pk) is None
    # then
    assert Refund.objects.count() == 0
    assert stripe_server.requests == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_returns_of_one_order_refunded_at_once_never_exceed_the_captured_amount(
    stripe_server,
):
    # given: 20.00 captured; either refund fits (19.99 or 12.74), not both (32.73)
    first, second = two_returns_of_one_order("20.00")
    staff = refunds_manager()
    stripe_server.delay_seconds = 0.2
    # when
    outcomes = race(
        lambda: refund_through_provider(actor=staff, ret=first, idempotency_key="form-1"),
        lambda: refund_through_provider(actor=staff, ret=second, idempotency_key="form-2"),
    )
    # then: one refund made and sent, the other refused with nothing recorded
    refunds = [o for o in outcomes if isinstance(o, Refund)]
    errors = [o for o in outcomes if isinstance(o, RefundError)]
    assert (len(refunds), len(errors)) == (1, 1), outcomes
    assert errors[0].code == "refund_exceeds_captured"
    assert Refund.objects.count() == 1
    assert len(stripe_server.requests) == 1
    assert len(stripe_server.refunds) == 1
    total = sum(Refund.objects.values_list("amount", flat=True), Decimal("0"))
    assert total <= Decimal("20.00")
