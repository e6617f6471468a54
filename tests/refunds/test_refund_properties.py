"""For random orders, returns and fees: refunds never exceed what was paid, quotes add up."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from refunds.quotes import quote_for_return
from refunds.selectors import committed_total_for_order
from refunds.services import RefundError, refund_create
from shop.money import MINOR_UNITS
from tests.factories import make_order, superuser
from tests.refunds.factories import received_return

pytestmark = pytest.mark.django_db


@st.composite
def scenarios(draw):
    lines = draw(
        st.lists(st.tuples(st.integers(1, 3), st.integers(0, 5000)), min_size=1, max_size=3)
    )
    whole = sum(quantity * price for quantity, price in lines)
    returns = draw(
        st.lists(
            st.tuples(
                st.sampled_from([0, 0, 150, 500, 2500]),  # fee, minor units
                st.lists(st.integers(0, 3), min_size=len(lines), max_size=len(lines)),  # asked
                st.lists(st.integers(0, 1), min_size=len(lines), max_size=len(lines)),  # missing
            ),
            min_size=1,
            max_size=3,
        )
    )
    return {
        "currency": draw(st.sampled_from(["EUR", "JPY"])),
        "lines": lines,
        "shipping": draw(st.sampled_from([0, 490, 600])),
        "discount": whole * draw(st.integers(0, 100)) // 100,
        "returns": returns,
        "refund_as_we_go": draw(st.booleans()),
    }


def money(minor_units: int, currency: str) -> Decimal:
    return Decimal(minor_units).scaleb(-MINOR_UNITS[currency])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_refunds_never_exceed_what_was_paid_and_every_quote_adds_up(scenario):
    # given a random order
    currency = scenario["currency"]
    order = make_order(
        [(quantity, money(price, currency)) for quantity, price in scenario["lines"]],
        shipping=money(scenario["shipping"], currency),
        discount=money(scenario["discount"], currency),
        currency=currency,
    )
    actor = superuser()
    left = [quantity for quantity, _price in scenario["lines"]]
    returns, everything_back_free = [], True
    quotes, refunds = [], []

    def refund(ret):
        quote = quote_for_return(ret)
        quotes.append(quote)
        if quote.total > 0:
            refunds.append(refund_create(actor=actor, ret=ret, idempotency_key=f"k-{ret.pk}"))
        else:
            with pytest.raises(RefundError, match="Nothing to refund"):
                refund_create(actor=actor, ret=ret, idempotency_key=f"k-{ret.pk}")

    # when it comes back in random returns, with random fees and missing units, refunded
    # each as it arrives or all at the end
    for fee, asked, missing in scenario["returns"]:
        requested = [min(want, still) for want, still in zip(asked, left, strict=True)]
        if not any(requested):
            continue
        received = [max(0, r - m) for r, m in zip(requested, missing, strict=True)]
        left = [still - r for still, r in zip(left, received, strict=True)]
        everything_back_free &= fee == 0 and received == requested
        ret = received_return(order, requested, fee=money(fee, currency), received=received)
        returns.append(ret)
        if scenario["refund_as_we_go"]:
            refund(ret)
    if not scenario["refund_as_we_go"]:
        for ret in returns:
            refund(ret)

    # then
    paid = order.amount_paid
    assert committed_total_for_order(order) <= paid
    for quote in quotes:
        assert sum(line.amount for line in quote.lines) == quote.total
        assert quote.total >= 0
        assert all(
            line.amount.as_tuple().exponent == -MINOR_UNITS[currency] for line in quote.lines
        )
    if returns and everything_back_free and not any(left):
        event("the whole order came back without fees")
        assert committed_total_for_order(order) == paid
