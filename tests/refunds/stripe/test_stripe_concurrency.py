"""Two people at once on PostgreSQL: a refund form sent twice at once, a refund sent again
twice at once, a webhook during the send: one refund at Stripe, one refund of ours."""

import pytest

from refunds.models import Refund
from refunds.services import RefundError, refund_send, refund_through_provider
from tests.fixtures.concurrency import race
from tests.refunds.factories import refunds_manager
from tests.refunds.stripe.test_stripe_refunds import worked_example_paid_by_stripe

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_refund_form_sent_five_times_at_once_makes_one_refund_at_stripe(stripe_server):
    # given
    ret = worked_example_paid_by_stripe()
    staff = refunds_manager()
    stripe_server.delay_seconds = 0.3  # the first send is still at Stripe when the others come
    # when
    outcomes = race(
        *[
            lambda: refund_through_provider(actor=staff, ret=ret, idempotency_key="form-1")
            for _ in range(5)
        ]
    )
    # then: one row, one refund at Stripe, every submission answered with it
    refund = Refund.objects.get(ret=ret)
    assert len(stripe_server.refunds) == 1
    assert [o.pk if isinstance(o, Refund) else o for o in outcomes] == [refund.pk] * 5
    assert refund.status == Refund.Status.REFUNDED


def test_send_again_clicked_twice_at_once_asks_stripe_once(stripe_server):
    # given: a first send with no answer
    stripe_server.delay_seconds = 1.5
    ret = worked_example_paid_by_stripe()
    staff = refunds_manager()
    refund = refund_through_provider(actor=staff, ret=ret, idempotency_key="form-1")
    assert stripe_server.idle.wait(5)
    stripe_server.delay_seconds = 0.3
    # when
    outcomes = race(
        lambda: refund_send(actor=staff, refund=refund),
        lambda: refund_send(actor=staff, refund=refund),
    )
    # then
    assert len(stripe_server.requests) == 2  # the first send, and one of the two clicks
    assert len([o for o in outcomes if isinstance(o, RefundError)]) == 1
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REFUNDED
    assert len(stripe_server.refunds) == 1
