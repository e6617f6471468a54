"""Bulk data for the benchmarks: orders with one line each and a return per order, spread over
statuses, reasons and the last year, written with bulk_create (no services: speed only)."""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from returns.models import Return, ReturnEvent, ReturnLine, ReturnReason, ReturnStatus
from shop.models import Customer, Order, OrderLine, Product, User, Variant

BATCH = 5_000
STATUSES = list(ReturnStatus.values)
FINAL = [ReturnStatus.COMPLETED] * 8 + [
    ReturnStatus.REJECTED,
    ReturnStatus.CANCELLED,
    ReturnStatus.EXPIRED,
]
RANDOM = random.Random(20261123)


def make_people():
    staff = User.objects.create_superuser("bench-staff@shop.example", "bench-staff-password")
    user = User.objects.create_user("bench-customer@example.com", "bench")
    customer = Customer.objects.create(
        email=user.email, first_name="Bench", last_name="Customer", user=user
    )
    product = Product.objects.create(name="Bench T-shirt", category="tops")
    Variant.objects.create(
        product=product, sku="BENCH-M", option="M", price=Decimal("19.90"), stock_on_hand=1_000_000
    )
    return staff, customer


def _bench_return(order, rma, now):
    """Returns over the last year; as in a real shop, those older than a month are settled."""
    created = now - timedelta(minutes=RANDOM.randint(0, 525_600))
    old = now - created > timedelta(days=30)
    return Return(
        order=order,
        rma_number=rma,
        channel=Return.Channel.PORTAL,
        status=RANDOM.choice(FINAL if old else STATUSES),
        created_at=created,
    )


def grow_to(total: int, portal_customer: Customer):
    """Add returns (with their order, line, return line and event) until there are `total`,
    then refresh PostgreSQL's planner statistics, as autovacuum does in a live shop: on tables
    just bulk-loaded the planner believes them tiny and answers the export's per-return
    subquery over return lines (refunds.quotes.with_order_facts) with a sequential scan of the
    whole table per return, time growing with the square of the returns (838 s for 20,000)."""
    _grow(total, portal_customer)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


@transaction.atomic
def _grow(total: int, portal_customer: Customer):
    have = Return.objects.count()
    variant = Variant.objects.get(sku="BENCH-M")
    reasons = list(ReturnReason.objects.all())
    now = timezone.now()
    for start in range(have, total, BATCH):
        count = min(BATCH, total - start)
        customers = Customer.objects.bulk_create(
            Customer(email=f"c{start + i}@bench.example", first_name="C", last_name=str(i))
            for i in range(0, count, 10)
        )
        orders = Order.objects.bulk_create(
            Order(
                number=f"B{start + i:08d}",
                # the portal customer gets 20 orders, the rest are spread
                customer=portal_customer if start + i < 20 else customers[i // 10],
                email="bench@example.com",
                status=Order.Status.DELIVERED,
                shipping_country=RANDOM.choice(["FR", "BE", "DE", "ES"]),
                placed_at=now - timedelta(days=RANDOM.randint(5, 365)),
                delivered_at=now - timedelta(days=2),
                shipping_cost=Decimal("6.00"),
                amount_paid=Decimal("25.90"),
            )
            for i in range(count)
        )
        lines = OrderLine.objects.bulk_create(
            OrderLine(order=order, variant=variant, quantity=1, unit_price_paid=Decimal("19.90"))
            for order in orders
        )
        returns = Return.objects.bulk_create(
            _bench_return(order, f"R-B{start + i:08d}", now) for i, order in enumerate(orders)
        )
        ReturnLine.objects.bulk_create(
            ReturnLine(ret=ret, order_line=line, quantity=1, reason=RANDOM.choice(reasons))
            for ret, line in zip(returns, lines, strict=True)
        )
        ReturnEvent.objects.bulk_create(
            ReturnEvent(ret=ret, from_status="", to_status=ret.status, created_at=ret.created_at)
            for ret in returns
        )
