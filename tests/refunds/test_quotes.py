"""The refund quote: exact amounts, line by line, for the cases merchants check by hand."""

from decimal import Decimal

import pytest
from django.utils import translation

from notifications.models import Notification
from refunds.errors import RefundError
from refunds.models import Refund, RefundStatus
from refunds.money import money_for_order, money_for_return
from refunds.quotes import CAP, DISCOUNT, ITEM, SHIPPING, Quote, quote_for_return
from refunds.services import refund_cancel, refund_create, refund_mark_refunded
from returns.services import return_cancel
from tests.factories import make_order, superuser
from tests.refunds.factories import received_return

pytestmark = pytest.mark.django_db


def amounts(quote):
    return [(line.kind, line.amount) for line in quote.lines]


def assert_lines_add_up(quote):
    assert sum(line.amount for line in quote.lines) == quote.total


def test_worked_example_items_plus_shipping_minus_fee_is_33_73():
    # given an order of 32.73 of items and 6.00 of shipping, all of it returned, fee 5.00
    order = make_order([(1, "19.99"), (1, "12.74")], shipping="6.00")
    ret = received_return(order, [1, 1], fee="5.00")
    # when
    quote = quote_for_return(ret)
    # then
    assert amounts(quote) == [
        ("item", Decimal("19.99")),
        ("item", Decimal("12.74")),
        ("shipping", Decimal("6.00")),
        ("fee", Decimal("-5.00")),
    ]
    assert quote.items_total == Decimal("32.73")
    assert quote.shipping == Decimal("6.00")
    assert quote.fee == Decimal("5.00")
    assert quote.total == Decimal("33.73")
    assert quote.currency == "EUR"
    assert quote.requested_total is None
    with translation.override("en"):
        assert quote.summary() == (
            "items €32.73 + original shipping €6.00 - return fee €5.00 = €33.73"
        )
        assert [line.label for line in quote.lines][2:] == ["Original shipping", "Return fee"]


def test_partial_return_does_not_include_the_shipping():
    # given the same order, only the 19.99 item returned
    order = make_order([(1, "19.99"), (1, "12.74")], shipping="6.00")
    ret = received_return(order, [1, 0], fee="5.00")
    # when
    quote = quote_for_return(ret)
    # then
    assert amounts(quote) == [("item", Decimal("19.99")), ("fee", Decimal("-5.00"))]
    assert quote.shipping == Decimal("0.00")
    assert quote.total == Decimal("14.99")


def test_free_shipping_is_items_minus_fee():
    # given an order shipped for free, returned whole
    order = make_order([(1, "19.99"), (1, "12.74")], shipping="0.00")
    ret = received_return(order, [1, 1], fee="5.00")
    # when
    quote = quote_for_return(ret)
    # then no shipping line at all
    assert [line.kind for line in quote.lines] == ["item", "item", "fee"]
    assert quote.total == Decimal("27.73")


def test_several_returns_add_up_to_the_whole_and_the_last_gets_the_shipping():
    # given an order paid 38.73 returned in three parts, no fee
    order = make_order([(2, "10.00"), (1, "12.73")], shipping="6.00")
    actor = superuser()
    first = received_return(order, [1, 0])
    second = received_return(order, [0, 1])
    # when the two first are refunded before the last part is even sent
    refunds = [
        refund_create(actor=actor, ret=ret, idempotency_key=f"k{ret.pk}") for ret in (first, second)
    ]
    third = received_return(order, [1, 0])
    quote = quote_for_return(third)
    refunds.append(refund_create(actor=actor, ret=third, idempotency_key="k-third"))
    # then
    assert [refund.amount for refund in refunds] == [
        Decimal("10.00"),
        Decimal("12.73"),
        Decimal("16.00"),
    ]
    assert amounts(quote) == [("item", Decimal("10.00")), ("shipping", Decimal("6.00"))]
    assert sum(refund.amount for refund in refunds) == order.amount_paid == Decimal("38.73")
    assert [refund.includes_shipping for refund in refunds] == [False, False, True]


def test_open_returns_covering_the_order_give_the_shipping_to_the_latest_only():
    # given two open returns that together take the whole order back
    order = make_order([(1, "10.00"), (1, "20.00")], shipping="6.00")
    first = received_return(order, [1, 0], received=False)
    second = received_return(order, [0, 1], received=False)
    # when
    quotes = [quote_for_return(first), quote_for_return(second)]
    # then the shipping is counted once, on the latest return
    assert [quote.total for quote in quotes] == [Decimal("10.00"), Decimal("26.00")]


def test_fee_larger_than_the_items_is_limited_to_them():
    # given a 3.00 item returned with a 5.00 fee
    order = make_order([(1, "3.00"), (1, "10.00")], shipping="6.00")
    ret = received_return(order, [1, 0], fee="5.00")
    # when
    quote = quote_for_return(ret)
    # then the fee charged is what the item is worth: zero, never negative, lines add up
    assert amounts(quote) == [
        ("item", Decimal("3.00")),
        ("fee", Decimal("-3.00")),
    ]
    assert (quote.fee, quote.total) == (Decimal("3.00"), Decimal("0.00"))
    assert quote.cap_lines() == []
    assert_lines_add_up(quote)


def test_fee_larger_than_the_items_cannot_be_refunded():
    # given
    order = make_order([(1, "3.00"), (1, "10.00")], shipping="6.00")
    ret = received_return(order, [1, 0], fee="5.00")
    # when / then
    with pytest.raises(Exception, match="Nothing to refund"):
        refund_create(actor=superuser(), ret=ret, idempotency_key="k")
    assert Refund.objects.count() == 0


def test_three_lines_share_a_10_00_discount_to_the_cent():
    # given three lines of 15.00 sharing a 10.00 order discount: 3.333... each
    order = make_order(
        [(1, "15.00"), (1, "15.00"), (1, "15.00")], shipping="6.00", discount="10.00"
    )
    actor = superuser()
    # when each line comes back in its own return
    returns = [
        received_return(order, quantities) for quantities in ([1, 0, 0], [0, 1, 0], [0, 0, 1])
    ]
    quotes = [quote_for_return(ret) for ret in returns]
    refunds = [refund_create(actor=actor, ret=ret, idempotency_key=f"k{ret.pk}") for ret in returns]
    # then the odd cent goes to the first line (largest remainder, ties to the lowest id)
    assert [[line.amount for line in quote.lines if line.kind == DISCOUNT] for quote in quotes] == [
        [Decimal("-3.34")],
        [Decimal("-3.33")],
        [Decimal("-3.33")],
    ]
    assert [quote.total for quote in quotes] == [
        Decimal("11.66"),
        Decimal("11.67"),
        Decimal("17.67"),
    ]
    assert sum(refund.amount for refund in refunds) == order.amount_paid == Decimal("41.00")
    for quote in quotes:
        assert_lines_add_up(quote)


def test_a_discount_share_spread_over_units_adds_up_over_returns():
    # given one line of 3 × 10.00 with a 10.00 discount, returned one unit at a time
    order = make_order([(3, "10.00")], shipping="0.00", discount="10.00")
    # when
    returns = [received_return(order, [1]) for _ in range(3)]
    totals = [quote_for_return(ret).total for ret in returns]
    # then
    assert totals == [Decimal("6.67"), Decimal("6.66"), Decimal("6.67")]
    assert sum(totals) == order.amount_paid == Decimal("20.00")


def test_jpy_has_no_decimals():
    # given a yen order: 2 × 1500 + 1 × 999, discount 500, shipping 800, fee 300
    order = make_order([(2, "1500"), (1, "999")], shipping="800", discount="500", currency="JPY")
    whole = received_return(
        make_order([(2, "1500"), (1, "999")], shipping="800", discount="500", currency="JPY"),
        [2, 1],
        fee="300",
    )
    partial = received_return(order, [1, 0], fee="300")
    # when
    whole_quote = quote_for_return(whole)
    partial_quote = quote_for_return(partial)
    # then 375 and 125 of the discount on the lines; half of 375 rounds up to 188
    assert str(whole_quote.total) == "3999"
    assert whole_quote.items_total == Decimal("3499")
    assert str(partial_quote.total) == "1012"
    assert amounts(partial_quote) == [
        ("item", Decimal("1500")),
        ("discount", Decimal("-188")),
        ("fee", Decimal("-300")),
    ]
    assert all(line.amount.as_tuple().exponent == 0 for line in partial_quote.lines)


def test_received_quantities_differ_from_requested_the_quote_shows_both():
    # given 2 requested, 1 received
    order = make_order([(2, "10.00"), (1, "5.00")], shipping="6.00")
    ret = received_return(order, [2, 1], fee="2.00", received=[1, 1])
    # when
    quote = quote_for_return(ret)
    # then the total counts what came back; the requested total is shown too
    items = [line for line in quote.lines if line.kind == ITEM]
    assert [(line.quantity, line.requested_quantity) for line in items] == [(1, 2), (1, None)]
    assert quote.basis == "received"
    assert quote.total == Decimal("13.00")
    assert quote.requested_total == Decimal("29.00")
    assert SHIPPING not in [line.kind for line in quote.lines]


def test_quote_is_frozen_and_rebuilt_from_json():
    # given
    order = make_order([(1, "19.99"), (1, "12.74")], shipping="6.00")
    ret = received_return(order, [1, 1], fee="5.00")
    quote = quote_for_return(ret)
    # when
    rebuilt = Quote.from_json(quote.to_json())
    # then
    assert rebuilt == quote
    assert CAP not in [line.kind for line in rebuilt.lines]


def two_returns_the_latest_refunded():
    """Two open returns of 10.00 and 20.00 taking a whole order back (shipping 6.00), the
    latest's pending refund of 26.00 including the shipping."""
    order = make_order([(1, "10.00"), (1, "20.00")], shipping="6.00")
    actor = superuser()
    first = received_return(order, [1, 0], received=False)
    second = received_return(order, [0, 1], received=False)
    refund = refund_create(actor=actor, ret=second, idempotency_key="k-second")
    return order, actor, first, second, refund


def test_a_pending_refund_with_the_shipping_is_not_paid_when_another_return_stops_coming_back():
    # given two open returns taking the whole order back, the latest's refund with the shipping
    _order, actor, first, second, refund = two_returns_the_latest_refunded()
    assert (refund.amount, refund.includes_shipping) == (Decimal("26.00"), True)
    # when the first is cancelled (its unit no longer comes back), then the refund is paid
    return_cancel(actor=actor, ret=first)
    events, notices = second.events.count(), Notification.objects.count()
    with pytest.raises(RefundError, match="more than the return is owed now"):
        refund_mark_refunded(actor=actor, refund=refund, reference="re_1")
    # then the shipping is no longer owed, and the 26.00 was not paid out
    state = money_for_return(second)
    assert amounts(state.quote) == [("item", Decimal("20.00"))]
    assert (state.pending, state.refunded, state.left_to_refund) == (
        Decimal("26.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    refund.refresh_from_db()
    assert (refund.status, refund.reference) == (RefundStatus.PENDING, "")
    assert second.events.count() == events
    assert Notification.objects.count() == notices


def test_a_refund_paid_with_the_shipping_is_owed_back_when_another_return_stops_coming_back():
    # given the latest return refunded 26.00 with the shipping, before its parcel came
    _order, actor, first, second, refund = two_returns_the_latest_refunded()
    refund_mark_refunded(actor=actor, refund=refund, reference="re_1")
    # when the first is cancelled
    return_cancel(actor=actor, ret=first)
    # then the 6.00 of shipping is owed back, and the return is not settled
    state = money_for_return(second)
    assert (state.quote_total, state.refunded, state.owed_back) == (
        Decimal("20.00"),
        Decimal("26.00"),
        Decimal("6.00"),
    )
    assert not state.settled


def test_a_return_made_again_after_a_cancel_leaves_the_shipping_with_the_refund_that_paid_it():
    # given the same two returns, the latest's refund with the shipping, the first cancelled
    order, actor, first, second, refund = two_returns_the_latest_refunded()
    return_cancel(actor=actor, ret=first)
    # when the first unit is asked back again, in a return later than the second
    third = received_return(order, [1, 0], received=False)
    # then the whole order comes back again: the shipping is the second's, once; the refund pays
    assert quote_for_return(second).total == Decimal("26.00")
    assert amounts(quote_for_return(third)) == [("item", Decimal("10.00"))]
    assert money_for_order(order).quote_total == order.amount_paid == Decimal("36.00")
    refund_mark_refunded(actor=actor, refund=refund, reference="re_1")
    assert money_for_return(second).owed_back == Decimal("0.00")


def test_without_its_live_refund_a_return_loses_the_shipping_it_no_longer_completes():
    # given the latest return's refund with the shipping cancelled, then the first return
    _order, actor, first, second, refund = two_returns_the_latest_refunded()
    refund_cancel(actor=actor, refund=refund, note="wrong amount")
    # when
    return_cancel(actor=actor, ret=first)
    # then not every unit comes back: the shipping is not owed
    assert amounts(quote_for_return(second)) == [("item", Decimal("20.00"))]
