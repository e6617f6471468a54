"""The portal's estimate before confirming is the quote the return gets once created."""

from decimal import Decimal

import pytest

from refunds.quotes import quote_for_return, quote_preview
from returns.models import Return
from tests.factories import make_order
from tests.refunds.factories import received_return

pytestmark = pytest.mark.django_db


def test_preview_of_the_whole_order_is_the_worked_example():
    # given: items 12.99 + 19.74 = 32.73, shipping 6.00
    order = make_order([(1, "12.99"), (1, "19.74")], shipping="6.00")
    lines = list(order.lines.order_by("id"))
    # when
    quote = quote_preview(
        order=order, quantities={lines[0].id: 1, lines[1].id: 1}, return_fee=Decimal("5.00")
    )
    # then
    assert quote.total == Decimal("33.73")
    assert quote.shipping == Decimal("6.00")


@pytest.mark.parametrize("quantities", [[1, 0], [1, 1], [0, 2]])
def test_preview_equals_the_quote_of_the_return_once_created(quantities):
    # given
    order = make_order([(1, "12.99"), (2, "19.74")], shipping="6.00", discount="3.00")
    lines = list(order.lines.order_by("id"))
    wanted = {line.id: q for line, q in zip(lines, quantities, strict=True)}
    preview = quote_preview(order=order, quantities=wanted, return_fee=Decimal("2.50"))
    # when
    ret = received_return(order, quantities, fee="2.50", received=False)
    # then
    assert ret.status == Return.Status.APPROVED
    assert quote_for_return(ret).to_json() == preview.to_json()


def test_preview_after_an_earlier_partial_return_gets_the_shipping():
    order = make_order([(1, "12.99"), (1, "19.74")], shipping="6.00")
    lines = list(order.lines.order_by("id"))
    received_return(order, [1, 0], received=False)
    quote = quote_preview(order=order, quantities={lines[1].id: 1}, return_fee=Decimal("0"))
    assert quote.total == Decimal("25.74")
