"""Staff changing an exchange's item while another settles it (PostgreSQL): one after the other
under the order's lock, never a difference settled on one item and another item sent."""

from decimal import Decimal

import pytest

from refunds.models import ExchangeDue, Refund
from refunds.services import exchange_settle
from returns.errors import ReturnError
from returns.models import Return
from returns.services import return_change_exchange_item
from tests.factories import VariantFactory, make_order
from tests.fixtures.concurrency import race
from tests.refunds.factories import received_return, refunds_manager
from tests.returns.helpers import grant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_change_and_a_settlement_at_once_settle_the_item_that_is_sent(slow_outbox):
    # given: 1 × 20.00 returned for an L at 25.00; the other agent picks an XL at 30.00
    order = make_order([(1, "20.00")])
    product = order.lines.get().variant.product
    large = VariantFactory(product=product, option="L", price=Decimal("25.00"), stock_on_hand=3)
    extra = VariantFactory(product=product, option="XL", price=Decimal("30.00"), stock_on_hand=3)
    # approved: once received, its replacement order is made and the item fixed
    ret = received_return(
        order, [1], mode=Return.RefundMode.EXCHANGE, exchange_variant=large, received=False
    )
    manager = refunds_manager()
    agent = grant(refunds_manager(), "change_return")
    # when
    changed, settled = race(
        lambda: return_change_exchange_item(actor=agent, ret=ret, variant=extra),
        lambda: exchange_settle(actor=manager, ret=ret, idempotency_key="settle"),
    )
    # then: no deadlock, no error but the policy's; the due is the item kept's difference
    assert isinstance(settled, ExchangeDue)
    kept = ret.lines.get().exchange_variant
    if isinstance(changed, ReturnError):
        assert "is settled" in changed.message
        assert (kept, settled.amount) == (large, Decimal("5.00"))
    else:
        assert isinstance(changed, Return)
        assert (kept, settled.amount) == (extra, Decimal("10.00"))
    assert ExchangeDue.objects.get().amount == settled.amount
    assert Refund.objects.count() == 0
