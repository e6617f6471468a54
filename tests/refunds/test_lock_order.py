"""The lock order of returns/locks.py held on PostgreSQL: the order before the return, before
its refund, label or customer. Refunding an exchange while someone completes it must queue the
two, never deadlock them."""

import re
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from refunds import services as refund_services
from refunds.models import Refund, RefundStatus
from refunds.services import exchange_settle, refund_mark_refunded, refund_settle
from returns.carriers import CarrierEvent
from returns.errors import StaleReturnError
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.models.labels import ParcelStatus
from returns.services import return_complete
from returns.services.tracking import tracking_event_record
from shop.models import Order, StockMovement, User
from tests.factories import make_order, sibling_variant
from tests.fixtures.concurrency import race
from tests.refunds.factories import received_return, refunds_manager

pytestmark = pytest.mark.postgres

# returns/locks.py: a row is never locked after a row of a later rank, unless it is held already.
RANK = {
    "shop_order": 1,
    "returns_return": 2,
    "refunds_refund": 3,
    "refunds_exchangedue": 3,
    "returns_returnlabel": 4,
    "shop_customer": 5,
    "notifications_notification": 6,
}


def locked_tables(call) -> list[str]:
    """The table of each row-locking query that `call` runs, in order."""
    with CaptureQueriesContext(connection) as queries:
        call()
    return [
        re.search(r'FROM "(\w+)"', query["sql"]).group(1)
        for query in queries.captured_queries
        if "FOR UPDATE" in query["sql"]
    ]


def assert_in_lock_order(tables: list[str]) -> None:
    for index, table in enumerate(tables):
        before = tables[:index]
        if table in before:
            continue  # locked again: the transaction holds it already
        later = [other for other in before if RANK[other] > RANK[table]]
        assert not later, f"{table} locked after {later}: {tables}"


def first_locks(tables: list[str]) -> list[str]:
    return list(dict.fromkeys(tables))


def exchange_return(*, price: str) -> Return:
    """A received exchange of a 30.00 item for one at `price`."""
    order = make_order([(1, "30.00"), (1, "10.00")], shipping="6.00")
    return received_return(
        order,
        [1, 0],
        mode=Return.RefundMode.EXCHANGE,
        exchange_variant=sibling_variant(order, price=Decimal(price), stock_on_hand=5),
    )


# --- the order each service locks in -----------------------------------------------------------


@pytest.mark.django_db
def test_completing_an_exchange_locks_the_order_before_the_return():
    # given
    ret = exchange_return(price="30.00")
    # when
    tables = locked_tables(lambda: return_complete(actor=refunds_manager(), ret=ret))
    # then
    assert first_locks(tables) == ["shop_order", "returns_return"]
    assert_in_lock_order(tables)
    assert Return.objects.get(pk=ret.pk).replacement_order is not None


@pytest.mark.django_db
def test_refunding_an_exchange_and_completing_it_lock_in_order():
    # given a 30.00 item exchanged for a 25.00 one: 5.00 to refund
    ret = exchange_return(price="25.00")
    manager = refunds_manager()
    # when
    tables = locked_tables(
        lambda: refund_settle(actor=manager, ret=ret, reference="re_1", idempotency_key="form-1")
    )
    # then
    assert first_locks(tables) == ["shop_order", "returns_return", "refunds_refund"]
    assert_in_lock_order(tables)
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED


@pytest.mark.django_db
def test_settling_an_exchange_locks_the_order_first():
    # given
    ret = exchange_return(price="25.00")
    manager = refunds_manager()
    # when
    tables = locked_tables(
        lambda: exchange_settle(actor=manager, ret=ret, idempotency_key="form-1")
    )
    # then
    assert first_locks(tables) == ["shop_order", "returns_return"]
    assert_in_lock_order(tables)
    assert Refund.objects.get(ret=ret).amount == Decimal("5.00")


@pytest.mark.django_db
def test_a_store_credit_refund_locks_the_customer_last():
    # given
    order = make_order([(1, "30.00")], shipping="0.00")
    ret = received_return(order, [1], mode=Return.RefundMode.STORE_CREDIT)
    manager = refunds_manager()
    refund = refund_services.refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    # when
    tables = locked_tables(lambda: refund_mark_refunded(actor=manager, refund=refund, reference=""))
    # then
    assert first_locks(tables) == [
        "shop_order",
        "returns_return",
        "refunds_refund",
        "shop_customer",
    ]
    assert_in_lock_order(tables)


@pytest.mark.django_db
def test_a_carrier_scan_locks_the_return_then_its_label():
    # given an approved return with its label
    order = make_order([(1, "30.00")], shipping="0.00")
    ret = received_return(order, [1], received=False)
    label = ret.labels.get()
    scan = CarrierEvent(
        tracking_number=label.tracking_number,
        event_id="scan-1",
        raw_status="in transit",
        status=ParcelStatus.IN_TRANSIT,
        occurred_at=ret.status_changed_at,
        location="",
        description="",
    )
    # when
    tables = locked_tables(lambda: tracking_event_record(carrier=label.carrier, event=scan))
    # then
    assert first_locks(tables) == ["returns_return", "returns_returnlabel"]
    assert_in_lock_order(tables)
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.IN_TRANSIT


# --- two people at once ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_refunding_an_exchange_while_someone_completes_it_does_not_deadlock(monkeypatch):
    # given a received exchange with 5.00 to refund (its replacement order made at receipt);
    # one person refunds it (which completes it) while another, on a page showing it received,
    # completes it
    ret = exchange_return(price="25.00")
    manager, completer = refunds_manager(), refunds_manager()
    replacements_before = Order.objects.count()
    refunder_holds_the_order = threading.Event()
    money_for_return = refund_services.money_for_return

    def slow_money_state(locked_return):
        # Runs once the refund holds the order's lock: the other person arrives meanwhile.
        if not refunder_holds_the_order.is_set():
            refunder_holds_the_order.set()
            time.sleep(0.5)
        return money_for_return(locked_return)

    monkeypatch.setattr(refund_services, "money_for_return", slow_money_state)

    def refund():
        return refund_settle(
            actor=User.objects.get(pk=manager.pk),
            ret=ret,
            reference="re_1",
            idempotency_key="form-1",
        )

    def complete():
        assert refunder_holds_the_order.wait(timeout=10)
        return return_complete(
            actor=User.objects.get(pk=completer.pk), ret=ret, expected_status="received"
        )

    # when
    refunded, completed = race(refund, complete)
    # then: the refund went first; the completion waited for it, then found the page stale
    assert isinstance(refunded, Refund), refunded
    assert (refunded.status, refunded.amount) == (RefundStatus.REFUNDED, Decimal("5.00"))
    assert isinstance(completed, StaleReturnError), completed
    assert completed.message == (
        f"Return {ret.rma_number} was changed by someone else meanwhile: it is now completed. "
        "Reload the page and check it again."
    )
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    assert ReturnEvent.objects.filter(ret=ret, to_status=ReturnStatus.COMPLETED).count() == 1
    # one replacement order, made at receipt; the completions made no other
    assert Order.objects.count() == replacements_before
    assert Return.objects.get(pk=ret.pk).replacement_order is not None
    assert list(
        StockMovement.objects.filter(kind__startswith="exchange").values_list("kind", "quantity")
    ) == [("exchange_reserved", -1)]
