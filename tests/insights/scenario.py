"""A month of returns with figures worked out by hand (November 2026, Europe/Paris):

- order A, FR, placed 2 Nov: shirt 4 x 50, scarf 2 x 30. Return A1 (portal, money back),
  requested 5 Nov 10:00, completed: shirt 2 (too small), scarf 1 (damaged); refunded 130.00 in
  money on 9 Nov 12:00.
- order B, BE, placed 3 Nov: shirt 2 x 50. Return B1 (back-office, store credit), requested
  10 Nov 09:00, received: shirt 1 (too small); 50.00 store credit on 20 Nov 10:00.
- order C, FR, placed 4 Nov: scarf 1 x 30. Return C1 requested 6 Nov, cancelled: scarf 1.
- order D, FR, placed 20 Oct: shirt 1 x 50. Return D1 (exchange) requested 12 Nov: shirt 1.
- order E, FR, placed 5 Nov: scarf 3 x 30, nothing returned.

Sold in November: 12 units (shirt 6, scarf 6; D was placed in October). Returned (live): 5
(shirt 4, scarf 1). Days to refund: A1 4, B1 10 (average 7.0, 90th percentile 10).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from insights.daily import refresh_days
from refunds.models import Refund
from returns.models import Return, ReturnLine, ReturnReason
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    VariantFactory,
)

PARIS = ZoneInfo("Europe/Paris")
SINCE, UNTIL = "2026-11-01", "2026-11-30"


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=PARIS)


@dataclass
class Scenario:
    shirt: object
    scarf: object
    too_small: ReturnReason
    damaged: ReturnReason
    returns: dict


def _order(number, country, placed, lines):
    order = OrderFactory(
        number=number,
        customer=CustomerFactory(),
        shipping_country=country,
        placed_at=placed,
        delivered_at=placed,
        shipping_cost=Decimal("0.00"),
    )
    made = [
        OrderLineFactory(order=order, variant=v, quantity=q, unit_price_paid=Decimal(p))
        for v, q, p in lines
    ]
    order.amount_paid = sum((line.unit_price_paid * line.quantity for line in made), Decimal(0))
    order.save(update_fields=["amount_paid"])
    return order, made


def _return(order, created, status, channel, mode, lines):
    ret = Return.objects.create(
        order=order, created_at=created, status=status, channel=channel, refund_mode=mode
    )
    received = status in (Return.Status.RECEIVED, Return.Status.COMPLETED)
    for order_line, quantity, reason in lines:
        ReturnLine.objects.create(
            ret=ret,
            order_line=order_line,
            quantity=quantity,
            reason=reason,
            received_quantity=quantity if received else None,
        )
    return ret


def _refund(ret, amount, mode, marked):
    Refund.objects.create(
        ret=ret,
        order=ret.order,
        amount=Decimal(amount),
        currency="EUR",
        quote={},
        mode=mode,
        status=Refund.Status.REFUNDED,
        created_at=marked,
        marked_at=marked,
        idempotency_key=f"scenario-{ret.pk}",
    )


def november() -> Scenario:
    shirt = VariantFactory(product=ProductFactory(name="Linen shirt"), sku="SHIRT-L", option="L")
    scarf = VariantFactory(product=ProductFactory(name="Wool scarf"), sku="SCARF-U", option="")
    too_small, _ = ReturnReason.objects.get_or_create(
        code="report-too-small", defaults={"name_en": "Too small", "name_fr": "Trop petit"}
    )
    damaged, _ = ReturnReason.objects.get_or_create(
        code="report-damaged", defaults={"name_en": "Damaged", "name_fr": "Abîmé"}
    )
    a, (a_shirt, a_scarf) = _order("A-1", "FR", at(2), [(shirt, 4, "50.00"), (scarf, 2, "30.00")])
    b, (b_shirt,) = _order("B-1", "BE", at(3), [(shirt, 2, "50.00")])
    c, (c_scarf,) = _order("C-1", "FR", at(4), [(scarf, 1, "30.00")])
    d, (d_shirt,) = _order("D-1", "FR", at(20, month=10), [(shirt, 1, "50.00")])
    _order("E-1", "FR", at(5), [(scarf, 3, "30.00")])
    mode, status, channel = Return.RefundMode, Return.Status, Return.Channel
    a1 = _return(
        a,
        at(5, 10),
        status.COMPLETED,
        channel.PORTAL,
        mode.MONEY_BACK,
        [(a_shirt, 2, too_small), (a_scarf, 1, damaged)],
    )
    b1 = _return(
        b,
        at(10, 9),
        status.RECEIVED,
        channel.BACKOFFICE,
        mode.STORE_CREDIT,
        [(b_shirt, 1, too_small)],
    )
    c1 = _return(
        c, at(6), status.CANCELLED, channel.PORTAL, mode.MONEY_BACK, [(c_scarf, 1, damaged)]
    )
    d1 = _return(
        d, at(12), status.REQUESTED, channel.PORTAL, mode.EXCHANGE, [(d_shirt, 1, too_small)]
    )
    _refund(a1, "130.00", Refund.Mode.ORIGINAL_PAYMENT, at(9, 12))
    _refund(b1, "50.00", Refund.Mode.STORE_CREDIT, at(20, 10))
    return Scenario(shirt, scarf, too_small, damaged, {"A1": a1, "B1": b1, "C1": c1, "D1": d1})


def many(count: int, products: int = 3) -> None:
    """`count` more returns in November, over `products` products, every other one refunded."""
    variants = [
        VariantFactory(product=ProductFactory(name=f"Bulk product {i}"), sku=f"BULK-{i}")
        for i in range(products)
    ]
    reason, _ = ReturnReason.objects.get_or_create(
        code="report-changed-mind", defaults={"name_en": "Changed mind", "name_fr": "Changé d'avis"}
    )
    for i in range(count):
        variant = variants[i % products]
        order, (line,) = _order(f"M-{i}", "FR", at(1 + i % 20), [(variant, 2, "40.00")])
        ret = _return(
            order,
            at(2 + i % 20),
            Return.Status.COMPLETED,
            Return.Channel.PORTAL,
            Return.RefundMode.MONEY_BACK,
            [(line, 1, reason)],
        )
        if i % 2 == 0:
            _refund(ret, "40.00", Refund.Mode.ORIGINAL_PAYMENT, at(3 + i % 20))


def refreshed(make):
    """`make()`'s rows, then the daily figures of October and November refreshed (what beat
    would have done by the time the page is opened)."""
    made = make()
    refresh_days(date(2026, 10, 1), date(2026, 11, 30))
    return made
