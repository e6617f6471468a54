"""Sending a refund to Stripe and applying its webhook lock in the order of returns/locks.py
(on PostgreSQL): the order, the return, the refund."""

import pytest

from refunds.providers import ProviderRefund, ProviderStatus
from refunds.services import refund_provider_update, refund_through_provider
from tests.refunds.stripe.test_stripe_refunds import worked_example_paid_by_stripe
from tests.refunds.test_lock_order import assert_in_lock_order, locked_tables

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_sending_and_recording_the_answer_lock_in_order(stripe_server, manager):
    # given
    ret = worked_example_paid_by_stripe()
    # when
    tables = locked_tables(
        lambda: refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    )
    # then: creating, claiming the send, recording the answer (which completes the return)
    creation = ["shop_order", "returns_return"]
    claim = answer = ["shop_order", "returns_return", "refunds_refund"]
    completion = ["shop_order", "returns_return"]
    assert tables == creation + claim + answer + completion
    assert_in_lock_order(tables)


def test_a_webhook_locks_in_order(stripe_server, manager):
    # given
    stripe_server.refund_status = "pending"
    ret = worked_example_paid_by_stripe()
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    refund.refresh_from_db()
    answer = ProviderRefund(ProviderStatus.SUCCEEDED, reference=refund.reference)
    # when
    tables = locked_tables(lambda: refund_provider_update("stripe", answer))
    # then
    assert tables[:3] == ["shop_order", "returns_return", "refunds_refund"]
    assert_in_lock_order(tables)


def test_a_failure_after_success_locks_in_order(stripe_server, manager):
    # given: refunded and completed; Stripe then reports the refund failed
    ret = worked_example_paid_by_stripe()
    refund = refund_through_provider(actor=manager, ret=ret, idempotency_key="form-1")
    refund.refresh_from_db()
    answer = ProviderRefund(ProviderStatus.FAILED, reference=refund.reference, message="failed")
    # when
    tables = locked_tables(lambda: refund_provider_update("stripe", answer))
    # then: the webhook's locks, then the reopening's (the order and the return again)
    assert tables == [
        "shop_order",
        "returns_return",
        "refunds_refund",
        "shop_order",
        "returns_return",
    ]
    assert_in_lock_order(tables)
