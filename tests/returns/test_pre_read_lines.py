"""The domain's readers of an order's lines take the lines a page already read: the same
answers as when they read the lines themselves, one query fewer each."""

from decimal import Decimal

import pytest

from returns.models import Return, ReturnStatus
from returns.rules import blocked_lines_for_portal, evaluate_rules
from returns.selectors import returnable_lines, returnable_quantities
from tests.factories import ReturnFactory, ReturnLineFactory, make_order
from tests.returns.rules.helpers import block, fee

pytestmark = pytest.mark.django_db


def _page_lines(order):
    """What the order page reads: every line with its variant and product, by id."""
    return list(order.lines.select_related("variant__product").order_by("id"))


def test_returnable_quantities_from_pre_read_lines(django_assert_num_queries):
    # given: 3 and 2 ordered, 2 of the first held by a live return, 1 of the second by a
    # cancelled one (it holds nothing)
    order = make_order([(3, "20.00"), (2, "35.00")])
    first, second = _page_lines(order)
    live = ReturnFactory(order=order, status=ReturnStatus.REQUESTED)
    ReturnLineFactory(ret=live, order_line=first, quantity=2)
    cancelled = ReturnFactory(order=order, status=ReturnStatus.CANCELLED)
    ReturnLineFactory(ret=cancelled, order_line=second, quantity=1)
    lines = _page_lines(order)
    # when: the quantities held only (1 query), against held and the lines (2)
    with django_assert_num_queries(1):
        given = returnable_quantities(order, order_lines=lines)
    with django_assert_num_queries(2):
        read = returnable_quantities(order)
    # then
    assert given == read == {first.pk: 1, second.pk: 2}


def test_the_rules_blocks_from_pre_read_lines(shop_settings, django_assert_num_queries):
    # given: a block on the second line's product, a fee on everything
    order = make_order([(1, "20.00"), (2, "35.00")])
    _first, second = _page_lines(order)
    block("Candles: no.", product=second.variant.product)
    fee("4.00")
    lines = _page_lines(order)
    # when: the rules only (1 query), against the rules and the lines (2)
    with django_assert_num_queries(1):
        given = blocked_lines_for_portal(order, shop_settings=shop_settings, order_lines=lines)
    with django_assert_num_queries(2):
        read = blocked_lines_for_portal(order, shop_settings=shop_settings)
    # then: the same block, on the second line only
    assert list(given) == list(read) == [second.pk]
    assert given[second.pk].message == read[second.pk].message == "Candles: no."
    # and the fee is computed on the same items either way
    channel = Return.Channel.PORTAL
    with_lines = evaluate_rules(order, channel=channel, order_lines=lines)
    without = evaluate_rules(order, channel=channel)
    assert (with_lines.fee, with_lines.blocked.keys()) == (without.fee, without.blocked.keys())
    assert with_lines.fee == Decimal("4.00")


def test_returnable_lines_compiled_once_answer_as_the_quantities_and_the_keys_return(
    django_assert_num_queries,
):
    # given: 3 and 2 ordered; 2 of the first asked by a live return (key "portal:a"), the
    # second received with 1 back of 2 asked, 1 of the first held by a cancelled return
    order = make_order([(3, "20.00"), (2, "35.00")])
    first, second = _page_lines(order)
    live = ReturnFactory(order=order, status=ReturnStatus.REQUESTED, idempotency_key="portal:a")
    ReturnLineFactory(ret=live, order_line=first, quantity=2)
    received = ReturnFactory(order=order, status=ReturnStatus.RECEIVED)
    ReturnLineFactory(ret=received, order_line=second, quantity=2, received_quantity=1)
    cancelled = ReturnFactory(order=order, status=ReturnStatus.CANCELLED)
    ReturnLineFactory(ret=cancelled, order_line=first, quantity=1)
    # when: each shape twice (compiled the first time, bound the second), one query each
    answers = []
    for key in ("portal:a", "", "portal:b", "portal:a"):
        with django_assert_num_queries(1):
            answers.append(returnable_lines(order, key=key))
    # then: the quantities returnable_quantities reads, the key's return only for its key
    expected = {first.pk: 1, second.pk: 1}
    assert returnable_quantities(order) == expected
    assert [answer.remaining for answer in answers] == [expected] * 4
    assert [answer.keyed_return_id for answer in answers] == [live.pk, None, None, live.pk]
    # and the lines as the page reads them: by id, with their products and their order
    lines = answers[1].lines
    assert [line.pk for line in lines] == [first.pk, second.pk]
    with django_assert_num_queries(0):
        assert [line.variant.product.pk for line in lines] == [
            first.variant.product.pk,
            second.variant.product.pk,
        ]
        assert {line.order.pk for line in lines} == {order.pk}
