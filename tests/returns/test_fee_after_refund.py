"""A refund freezes the quote it was made from, fee included: once a return has a refund
(pending or refunded) its fee no longer changes, or the quote would fall below what was refunded
(found racing refund_create against return_update, tests/concurrency/test_service_pairs.py:
50.00 pending against a quote of 47.50 after a fee of 2.50)."""

from decimal import Decimal

import pytest

from refunds.money import money_for_return
from refunds.services import refund_create
from returns.errors import ReturnError
from returns.models import ReturnEvent, ReturnStatus
from returns.services import return_update
from tests.factories import make_order, superuser
from tests.returns.helpers import create

pytestmark = pytest.mark.django_db


def test_the_fee_of_a_return_with_a_pending_refund_no_longer_changes(reasons, shop_settings):
    # given an approved return of 50.00 refunded (pending) in full
    staff = superuser()
    order = make_order([(1, "30.00"), (1, "20.00")], shipping="0.00")
    ret = create(staff, order, 1, 1, start_status=ReturnStatus.APPROVED, delivery_option="in_store")
    refund = refund_create(actor=staff, ret=ret, idempotency_key="form-1")
    events = ReturnEvent.objects.filter(ret=ret).count()
    # when staff set a fee of 2.50
    with pytest.raises(ReturnError) as refused:
        return_update(actor=staff, ret=ret, return_fee="2.50")
    # then it is refused with the reason; the fee, the quote and the timeline are as they were
    assert refused.value.message == (
        f"The return fee of return {ret.rma_number} can no longer change: it has a refund of "
        "€50.00, made from its quote."
    )
    ret.refresh_from_db()
    assert ret.return_fee == Decimal("0.00")
    money = money_for_return(ret)
    assert (money.quote_total, money.pending) == (refund.amount, Decimal("50.00"))
    assert ReturnEvent.objects.filter(ret=ret).count() == events


def test_the_fee_of_a_return_without_a_refund_still_changes(reasons, shop_settings):
    # given
    staff = superuser()
    order = make_order([(1, "30.00"), (1, "20.00")], shipping="0.00")
    ret = create(staff, order, 1, 1, start_status=ReturnStatus.APPROVED, delivery_option="in_store")
    # when
    return_update(actor=staff, ret=ret, return_fee="2.50")
    # then
    assert money_for_return(ret).quote_total == Decimal("47.50")
