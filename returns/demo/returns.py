"""Demo returns in every status, created through the services, with believable timelines.

`seed_returns()` runs after the shop's demo data (customers, delivered orders, a staff user). It is
idempotent: demo returns carry a marker in their staff note, and when any exists it does nothing.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from refunds.models import ExchangeDue
from refunds.money import money_for_return
from refunds.services import exchange_due_mark_paid, exchange_settle, refund_settle
from returns.errors import ReturnError
from returns.models import Return, ReturnAction, ReturnEvent
from returns.selectors import returnable_quantities
from returns.selectors.exchanges import exchange_offers
from returns.services import (
    ReturnLineInput,
    return_approve,
    return_cancel,
    return_complete,
    return_create,
    return_expire,
    return_mark_in_transit,
    return_receive,
    return_reject,
    return_request,
)
from shop.languages import in_language
from shop.models import Order, OrderLine, User, Variant

DEMO_MARKER = "[demo]"


# What a person types, (in French, in English): the demo's customer writes in their language,
# and staff answer them in it.
Typed = tuple[str, str]
NOTHING: Typed = ("", "")


@dataclass(frozen=True)
class Scenario:
    steps: tuple[str, ...]
    reason: str
    refund_mode: str = Return.RefundMode.MONEY_BACK
    detail: Typed = NOTHING
    comment: Typed = NOTHING
    rejection: Typed = NOTHING
    action: str = "refund"


def _typed(text: Typed, order: Order) -> str:
    return in_language(*text, order.customer.language)


SCENARIOS = [
    Scenario(
        ("create",),
        "wrong-size",
        comment=("Trop petit, je voudrais rendre.", "Too small, I would like to return it."),
    ),
    Scenario(
        ("create", "approve"),
        "changed-mind",
        refund_mode=Return.RefundMode.STORE_CREDIT,
        action="store-credit",
    ),
    Scenario(
        ("create", "reject"),
        "changed-mind",
        rejection=(
            "L'article a été acheté en soldes, qui ne sont ni repris ni échangés.",
            "The item was bought in the sales, which are final.",
        ),
    ),
    Scenario(
        ("create", "cancel"),
        "not-as-described",
        comment=("Finalement je le garde.", "I will keep it after all."),
    ),
    Scenario(("create", "approve", "in_transit"), "wrong-size"),
    Scenario(
        ("create", "approve", "in_transit", "receive"),
        "defective",
        detail=(
            "La couture de la manche gauche est ouverte.",
            "The seam on the left sleeve is open.",
        ),
    ),
    Scenario(("create", "approve", "in_transit", "receive", "complete"), "not-as-described"),
    Scenario(
        ("create", "approve", "in_transit", "receive", "complete"),
        "wrong-size",
        refund_mode=Return.RefundMode.EXCHANGE,
        action="exchange-size",
    ),
    Scenario(("create", "approve", "expire"), "arrived-late"),
    Scenario(
        ("create", "approve", "in_transit", "receive", "reject"),
        "other",
        detail=("Couleur passée dès le premier lavage.", "Colour faded after the first wash."),
        rejection=(
            "Après contrôle, l'article est très usé : nous vous le renvoyons.",
            "After inspection the item shows heavy wear; we are sending it back.",
        ),
    ),
]


def seed_returns(stdout=None) -> list[Return]:
    say = stdout.write if stdout is not None else (lambda message: None)
    if Return.objects.filter(staff_note__startswith=DEMO_MARKER).exists():
        say("Demo returns already exist: nothing to do.")
        return []
    staff = User.objects.filter(is_staff=True).order_by("-is_superuser", "pk").first()
    orders = list(
        Order.objects.filter(status=Order.Status.DELIVERED)
        .select_related("customer__user")
        .order_by("delivered_at", "pk")
    )
    if staff is None or not orders:
        say("No staff user or no delivered order: no demo returns created.")
        return []
    rng = random.Random(20240601)
    created = []
    for index, scenario in enumerate(SCENARIOS):
        order = _order_with_something_left(orders, index)
        if order is None:
            say("Every delivered order is already returned in full: stopping.")
            break
        try:
            with transaction.atomic():
                ret = _play(scenario, order, staff)
                _backdate(ret, order, rng)
        except ReturnError as exc:
            say(f"Skipped a demo return on order {order.number}: {exc}")
            continue
        created.append(ret)
    say(f"Created {len(created)} demo returns.")
    return created


def _order_with_something_left(orders: list[Order], start: int) -> Order | None:
    for offset in range(len(orders)):
        order = orders[(start + offset) % len(orders)]
        if any(returnable_quantities(order).values()):
            return order
    return None


def _play(scenario: Scenario, order: Order, staff) -> Return:
    ret = _create(scenario, order, staff)
    owner = order.customer.user
    for step in scenario.steps[1:]:
        if step == "approve":
            action = ReturnAction.objects.filter(code=scenario.action, active=True).first()
            ret = return_approve(actor=staff, ret=ret, action=action)
        elif step == "reject":
            ret = return_reject(actor=staff, ret=ret, reason=_typed(scenario.rejection, order))
        elif step == "cancel":
            by_customer = ret.channel == Return.Channel.PORTAL and owner is not None
            ret = return_cancel(actor=owner if by_customer else staff, ret=ret)
        elif step == "in_transit":
            # as a carrier's scan writes it, so that it reads in each reader's language
            ret = return_mark_in_transit(
                actor=None,
                ret=ret,
                event_code="tracking.scan",
                event_params={"status": "in_transit"},
            )
        elif step == "receive":
            ret = return_receive(actor=staff, ret=ret, note="Parcel opened and inspected.")
        elif step == "complete":
            ret = _settle(ret, staff)
        elif step == "expire":
            ret = return_expire(actor=None, ret=ret, note="Not sent back in time.")
    Return.objects.filter(pk=ret.pk).update(staff_note=f"{DEMO_MARKER} {ret.staff_note}".strip())
    return ret


def _settle(ret: Return, staff) -> Return:
    """Settle the return's money as staff would, which completes it (return_complete refuses
    while money is left to settle)."""
    key = f"demo-{ret.pk}"
    if money_for_return(ret).settled:
        return return_complete(actor=staff, ret=ret)
    if ret.is_exchange_for_item:
        settled = exchange_settle(actor=staff, ret=ret, idempotency_key=key)
        if isinstance(settled, ExchangeDue):
            exchange_due_mark_paid(actor=staff, due=settled, reference=f"PAY-{ret.rma_number}")
            return Return.objects.get(pk=ret.pk)
        if settled is None:
            return Return.objects.get(pk=ret.pk)
    refund_settle(actor=staff, ret=ret, reference=f"DEMO-{ret.rma_number}", idempotency_key=key)
    return Return.objects.get(pk=ret.pk)


def _create(scenario: Scenario, order: Order, staff) -> Return:
    remaining = returnable_quantities(order)
    order_line = next(
        line for line in order.lines.select_related("variant") if remaining.get(line.pk)
    )
    exchange_variant = None
    if scenario.refund_mode == Return.RefundMode.EXCHANGE:
        exchange_variant = _exchange_variant(order_line)
    refund_mode = scenario.refund_mode
    if refund_mode == Return.RefundMode.EXCHANGE and exchange_variant is None:
        refund_mode = Return.RefundMode.MONEY_BACK  # nothing in stock to exchange for
    lines = [
        ReturnLineInput(
            order_line_id=order_line.pk,
            quantity=1,
            reason_code=scenario.reason,
            reason_detail=_typed(scenario.detail, order),
            exchange_variant=exchange_variant,
        )
    ]
    common: dict[str, Any] = {
        "order": order,
        "lines": lines,
        "refund_mode": refund_mode,
        "delivery_option": Return.DeliveryOption.LABEL,
        "customer_comment": _typed(scenario.comment, order),
        "notify_customer": False,
        # One demo return, one key: the staff fallback reuses it, the portal's try wrote nothing.
        "idempotency_key": f"demo-{uuid.uuid4().hex}",
    }
    owner = order.customer.user
    if owner is not None:
        try:
            return return_request(actor=owner, **common)
        except ReturnError:
            pass  # out of the window or returns closed: staff create it instead
    return return_create(
        actor=staff,
        staff_note="Created by phone.",
        override_reason="Demo data: goodwill gesture.",
        **common,
    )


def _exchange_variant(order_line: OrderLine) -> Variant | None:
    """Another size of the same product the customer may get (the policy's offer), else the
    same one."""
    offer = exchange_offers([order_line])[order_line.pk]
    others = [variant for variant in offer if variant.pk != order_line.variant_id]
    return next(iter(others or offer), None)


def _backdate(ret: Return, order: Order, rng: random.Random) -> None:
    """Spread the return's events over the days after delivery, ending a little before now."""
    events = list(ret.events.order_by("created_at", "id"))
    changes = sum(1 for event in events if event.kind == ReturnEvent.Kind.STATUS)
    end = timezone.now() - timedelta(hours=rng.randint(2, 48))
    start = end - timedelta(days=2 * changes + rng.randint(1, 5))
    if order.delivered_at and start < order.delivered_at:
        start = min(order.delivered_at + timedelta(hours=6), end - timedelta(hours=changes))
    step = (end - start) / changes
    moment, change_moments = start, list[datetime]()
    for event in events:
        if event.kind == ReturnEvent.Kind.STATUS:
            moment = start + step * len(change_moments) + timedelta(minutes=rng.randint(0, 90))
            change_moments.append(moment)
        else:
            moment += timedelta(minutes=1)  # a note or an override goes with the change before
        ReturnEvent.objects.filter(pk=event.pk).update(created_at=moment)
    Return.objects.filter(pk=ret.pk).update(
        created_at=change_moments[0], status_changed_at=change_moments[-1]
    )
