"""Eight processes calling the services at random on three shared orders (PostgreSQL).

Each process (tests/concurrency/worker.py, a real OS process with its own connection, seeded)
picks an operation of operations.py (the money services, creating, approving, shipping, the
carrier's scans, labels, the import) and an order for a bounded time; then the invariants are
checked exactly on the database they leave. The operations tried, done, refused (by kind of
refusal) and failed are printed outside pytest's capture, so they show in the CI log; failed
(an exception other than the services' own refusals, a deadlock say) must be 0.

CONCURRENCY_SECONDS (20) and CONCURRENCY_PROCESSES (8) make it run longer or wider.
"""

import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from refunds.credit import issue_code
from refunds.selectors import store_credit_balance
from shop.models import Order, Variant
from tests.concurrency.operations import OPERATIONS
from tests.factories import (
    CustomerFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    superuser,
)
from tests.fixtures import invariants

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("committed_db")]

SECONDS = float(os.environ.get("CONCURRENCY_SECONDS", "20"))
PROCESSES = int(os.environ.get("CONCURRENCY_PROCESSES", "8"))


def shared_orders():
    """Three delivered orders of two customers, sharing four items (stock 50 each), their lines
    listed in different orders; each customer holds 30.00 of store credit, and each order's
    first item has a cheaper and a dearer option to exchange it for."""
    staff = superuser()
    users = [UserFactory(), UserFactory()]
    customers = [CustomerFactory(user=user, email=user.email) for user in users]
    products = [ProductFactory() for _ in range(4)]
    items = [
        VariantFactory(product=product, price=Decimal("20.00"), stock_on_hand=50)
        for product in products
    ]
    plans = [
        (0, [(0, 6, "30.00"), (1, 4, "20.00"), (2, 4, "15.00")]),
        (0, [(1, 4, "20.00"), (0, 6, "30.00")]),
        (1, [(2, 4, "15.00"), (3, 6, "12.50"), (0, 2, "30.00")]),
    ]
    targets, orders = [], []
    for owner, lines in plans:
        (first, quantity, price), *others = lines
        order = OrderLineFactory(
            order__customer=customers[owner],
            variant=items[first],
            quantity=quantity,
            unit_price_paid=Decimal(price),
        ).order
        for item, count, paid in others:
            OrderLineFactory(
                order=order, variant=items[item], quantity=count, unit_price_paid=Decimal(paid)
            )
        order.amount_paid = order.shipping_cost + sum(
            line.quantity * line.unit_price_paid for line in order.lines.all()
        )
        order.save(update_fields=["amount_paid"])
        exchanges = [
            VariantFactory(product=products[first], option=option, price=Decimal(price))
            for option, price in (("L", "25.00"), ("XL", "45.00"))
        ]
        orders.append(order)
        targets.append(
            {
                "order_id": order.pk,
                "staff_id": staff.pk,
                "customer_user_id": users[owner].pk,
                "exchange_variant_ids": [variant.pk for variant in exchanges],
            }
        )
    for customer in customers:
        issue_code(
            customer=customer, amount=Decimal("30.00"), currency="EUR", actor=None, note="goodwill"
        )
    return orders, customers, targets


def database_url() -> str:
    """The test database (pytest-django's), for the processes to work on."""
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def run_processes(targets) -> list[dict]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.concurrency.worker",
                json.dumps({"seed": seed, "seconds": SECONDS, "targets": targets}),
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(PROCESSES)
    ]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=SECONDS + 120)
        assert worker.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


def table(totals: dict[str, Counter]) -> str:
    names = sorted(OPERATIONS)
    rows = [f"{'operation':<28}{'tried':>7}{'done':>7}{'nothing':>9}{'refused':>9}{'failed':>8}"]
    for name in names:
        rows.append(
            f"{name:<28}{totals['tried'][name]:>7}{totals['done'][name]:>7}"
            f"{totals['nothing'][name]:>9}{totals['refused'][name]:>9}{totals['failed'][name]:>8}"
        )
    rows.append(
        f"{'all':<28}{sum(totals['tried'][n] for n in names):>7}"
        f"{sum(totals['done'][n] for n in names):>7}{sum(totals['nothing'][n] for n in names):>9}"
        f"{sum(totals['refused'][n] for n in names):>9}{sum(totals['failed'][n] for n in names):>8}"
    )
    codes = sorted(
        (
            (count, code[5:])
            for code, count in totals["refused"].items()
            if code.startswith("code ")
        ),
        reverse=True,
    )
    rows.append("refused, by kind:")
    rows += [f"{count:>7}  {code}" for count, code in codes]
    return "\n".join(rows)


def test_eight_processes_of_random_service_calls_keep_every_invariant(capsys):
    # given three shared orders, their stock outside the ledger taken before
    orders, customers, targets = shared_orders()
    everything = list(Variant.objects.filter(product__variants__order_lines__order__in=orders))
    opening = {
        pk: stock
        for order in orders
        for pk, stock in invariants.stock_outside_ledger(order, extra=everything).items()
    }

    # when the processes call services at random for a while
    reports = run_processes(targets)

    # then (printed in the CI log) what they tried, did and were refused
    totals = {
        kind: sum((Counter(report[kind]) for report in reports), Counter())
        for kind in ("tried", "done", "nothing", "refused", "failed")
    }
    with capsys.disabled():
        print(f"\n{PROCESSES} processes, {SECONDS:g} s, 3 shared orders\n{table(totals)}")
    tracebacks = [text for report in reports for text in report["tracebacks"]]
    assert sum(totals["failed"].values()) == 0, "\n".join(tracebacks)
    assert sum(totals["done"].values()) >= 20  # they did act
    # and every invariant holds, exactly, on what they left
    for order in Order.objects.filter(pk__in=[order.pk for order in orders]):
        invariants.no_order_refunds_more_than_it_paid(order)
        invariants.live_returns_hold_at_most_what_was_ordered(order)
        invariants.each_unit_is_refunded_at_most_once(order)
        invariants.each_returns_money_adds_up(order)
        invariants.ledger_explains_stock(order, opening)
        invariants.each_return_line_is_restocked_at_most_once(order)
        invariants.the_events_replay_to_each_status(order)
        invariants.no_row_in_a_forbidden_state(order)
    for customer in customers:
        assert store_credit_balance(customer, "EUR") >= 0
