"""Every pair of the services that write money or quantities, run at the same moment on one
return (PostgreSQL): two threads, two connections, released together by a barrier.

Each pair gets a return in the state where both have something to do (a status they act from,
a pending refund, an exchange with its difference, a parcel awaiting inspection...), made
through the services. Whatever order the two then take their locks in, neither may deadlock or
fail: each either does its work or refuses with its own message (a ReturnError, or the import's
ImportFileError), and every invariant holds on what they leave.
"""

import itertools
import random
import uuid
from decimal import Decimal

import pytest

from refunds.credit import issue_code
from refunds.money import money_for_return
from refunds.services import (
    exchange_due_mark_paid,
    exchange_settle,
    refund_create,
    refund_mark_refunded,
    refund_settle,
)
from returns.models import Return
from returns.services import return_mark_in_transit, return_receive
from returns.services.inspection import return_receive_for_inspection
from shop.models import Order
from tests.concurrency.operations import (
    APPROVED,
    IN_TRANSIT,
    MONEY_OPERATIONS,
    OPERATIONS,
    PARTIAL_REASON,
    RECEIVED,
    REFUSALS,
    REQUESTED,
    Operation,
    Target,
    refusal_code,
)
from tests.factories import CustomerFactory, UserFactory, VariantFactory, make_order, superuser
from tests.fixtures import invariants
from tests.fixtures.concurrency import race
from tests.returns.helpers import create, lines_of

# Rows committed for the threads to see (tests/concurrency/conftest.py), one flush at the end.
pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("committed_db")]

# What an operation needs, besides one of its statuses, to have something to act on.
NEEDS: dict[str, set[str]] = {
    "refund_mark_refunded": {"pending"},
    "refund_cancel": {"pending"},
    "refund_mark_failed": {"pending"},
    "exchange_settle": {"cheaper"},
    "exchange_due_mark_paid": {"dearer", "due"},
    "return_complete": {"settled"},
    "return_inspect": {"inspection"},
    # A label to scan, or to cancel with the return (the label's lock after the return's).
    "carrier_delivered": {"label"},
    "return_cancel": {"label"},
    "return_expire": {"label"},
}
PAIRS = list(itertools.combinations_with_replacement([op.name for op in MONEY_OPERATIONS], 2))


def shared_status(first: Operation, second: Operation) -> str:
    """The first status both act from; else the one of whichever needs one."""
    for status in first.statuses:
        if not second.statuses or status in second.statuses:
            return status
    if first.statuses:
        return first.statuses[0]
    return second.statuses[0] if second.statuses else APPROVED


def resolve(needs: set[str]) -> set[str]:
    """Needs one return can meet at once: a dearer exchange has a due and never a refund, so
    a pending refund wins over it (an exchange to a cheaper item then); a dearer exchange
    serves both exchange operations."""
    needs = set(needs)
    if "pending" in needs and "dearer" in needs:
        needs -= {"dearer", "due"}
        needs.add("cheaper")
    if "dearer" in needs:
        needs.discard("cheaper")
    return needs


@pytest.fixture(scope="module")
def people(committed_db):
    """The staff member (a superuser) and the customer of every pair's order."""
    user = UserFactory()
    return superuser(), user, CustomerFactory(user=user, email=user.email)


def shop_order(customer):
    """2 × 30.00 and 2 × 20.00, shipping 6.00: 106.00 paid; the customer credited 20.00 of
    store credit; two other options of the first item to exchange it for (25.00 and 45.00)."""
    order = make_order([(2, "30.00"), (2, "20.00")], shipping="6.00", customer=customer)
    issue_code(
        customer=customer, amount=Decimal("20.00"), currency="EUR", actor=None, note="goodwill"
    )
    product = lines_of(order)[0].variant.product
    cheaper = VariantFactory(product=product, option="L", price=Decimal("25.00"), stock_on_hand=5)
    dearer = VariantFactory(product=product, option="XL", price=Decimal("45.00"), stock_on_hand=5)
    return order, cheaper, dearer


def key(name: str) -> str:
    return f"setup-{name}-{uuid.uuid4().hex}"


def refund_as_needed(staff, ret, needs: set[str], exchange: str | None) -> None:
    """The refunds (or the exchange's difference) `needs` asks of the approved `ret`."""
    settled, pending = "settled" in needs, "pending" in needs
    if exchange == "cheaper" and (settled or pending):
        refund = exchange_settle(actor=staff, ret=ret, idempotency_key=key("exchange"))
        if settled:
            refund_mark_refunded(actor=staff, refund=refund, reference="re_setup")
    elif exchange == "dearer" and (settled or "due" in needs):
        due = exchange_settle(actor=staff, ret=ret, idempotency_key=key("exchange"))
        if settled:
            exchange_due_mark_paid(actor=staff, due=due, reference="pay_setup")
    elif settled and pending:  # half refunded, the other half pending
        half = (money_for_return(ret).left_to_refund / 2).quantize(Decimal("0.01"))
        refund_settle(
            actor=staff,
            ret=ret,
            reference="re_setup",
            idempotency_key=key("settle"),
            amount=half,
            reason=PARTIAL_REASON,
        )
        refund_create(actor=staff, ret=ret, idempotency_key=key("pending"), reason=PARTIAL_REASON)
    elif settled:
        refund_settle(actor=staff, ret=ret, reference="re_setup", idempotency_key=key("settle"))
    elif pending:
        refund_create(actor=staff, ret=ret, idempotency_key=key("pending"))


def move_to(staff, ret, status: str, needs: set[str]) -> None:
    if status == IN_TRANSIT:
        return_mark_in_transit(actor=staff, ret=ret)
    elif status == RECEIVED and "inspection" in needs:
        return_receive_for_inspection(ret=ret)
    elif status == RECEIVED:
        return_receive(actor=staff, ret=ret)


def return_for(people, status: str, needs: set[str]):
    """A return of a new order in `status` with what `needs` asks, made through the services
    (refunded, if asked, before it moves on: a received return settled is completed at once).
    Returns (target, the stock of the order's variants outside their ledger)."""
    staff, user, customer = people
    order, cheaper, dearer = shop_order(customer)
    exchange = next((kind for kind in ("dearer", "cheaper") if kind in needs), None)
    if {"pending", "settled", "due"} & needs and status == REQUESTED:
        status = APPROVED  # a refund needs an approved return
    ret = create(
        staff,
        order,
        *([1, 0] if exchange else [1, 1]),
        refund_mode="exchange" if exchange else "money_back",
        exchange_variant={"dearer": dearer, "cheaper": cheaper, None: None}[exchange],
        start_status=REQUESTED if status == REQUESTED else APPROVED,
        # A label is made on approval: only where the pair needs one (its PDF takes time).
        delivery_option="label" if "label" in needs else "in_store",
    )
    refund_as_needed(staff, ret, needs, exchange)
    move_to(staff, ret, status, needs)
    assert Return.objects.get(pk=ret.pk).status == status
    target = Target(
        order_id=order.pk,
        ret_id=ret.pk,
        staff_id=staff.pk,
        customer_user_id=user.pk,
        exchange_variant_ids=(cheaper.pk, dearer.pk),
    )
    return target, invariants.stock_outside_ledger(order, extra=[cheaper, dearer])


def may_find_nothing(operation: Operation, status: str, needs: set[str]) -> bool:
    """Whether the pair's return cannot give `operation` what it acts on: not in one of its
    statuses, or a need the other operation's outweighed (resolve)."""
    if operation.statuses and status not in operation.statuses:
        return True
    return not NEEDS.get(operation.name, set()) <= needs


@pytest.mark.parametrize(("first", "second"), PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
def test_two_money_services_at_once_on_one_return(first, second, people):
    # given a return where both have something to do, each prepared as its page shows it
    operations = [OPERATIONS[first], OPERATIONS[second]]
    needs = resolve(NEEDS.get(first, set()) | NEEDS.get(second, set()))
    status = shared_status(*operations)
    target, opening = return_for(people, status, needs)
    rng = random.Random(f"{first}+{second}")
    calls = [operation.prepare(target, rng) for operation in operations]
    for operation, call in zip(operations, calls, strict=True):
        assert call is not None or may_find_nothing(operation, status, needs), operation.name

    # when both run at the same moment
    outcomes = race(*[call or (lambda: "nothing to act on") for call in calls])

    # then neither deadlocked nor failed: each did its work or refused with its reason
    failures = [
        (name, f"{type(outcome).__name__}: {outcome}")
        for name, outcome in zip([first, second], outcomes, strict=True)
        if isinstance(outcome, BaseException) and not isinstance(outcome, REFUSALS)
    ]
    assert failures == []
    print(
        f"{first} + {second} on a {status} return {sorted(needs)}: "
        + ", ".join(
            refusal_code(outcome) if isinstance(outcome, BaseException) else "done"
            for outcome in outcomes
        )
    )
    # and every invariant holds on what they left
    check_invariants(Order.objects.get(pk=target.order_id), opening)


def check_invariants(order, opening):
    invariants.no_order_refunds_more_than_it_paid(order)
    invariants.live_returns_hold_at_most_what_was_ordered(order)
    invariants.each_returns_money_adds_up(order)
    invariants.ledger_explains_stock(order, opening)
    invariants.each_return_line_is_restocked_at_most_once(order)
    invariants.the_events_replay_to_each_status(order)


def test_every_money_service_is_in_a_pair():
    # given / when
    raced = {name for pair in PAIRS for name in pair}
    # then: 21 services, each with itself and every other
    assert raced == {op.name for op in MONEY_OPERATIONS}
    assert len(PAIRS) == 21 * 22 // 2
