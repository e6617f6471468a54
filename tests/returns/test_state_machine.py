"""Random sequences of services over one order's returns; the invariants hold after each step.

The machine keeps its own model of what each service should do (allowed from which statuses,
quantities left), checks that each service succeeds exactly when the model says so, that a
refusal changes nothing, and after every step that: each return's status history told by its
events ends at its status, the stock ledger sums to each variant's stock change, restocks match
what was received, point-of-sale stock is never written, and live quantities stay within the
ordered ones.
"""

import itertools
import uuid
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from returns.errors import ReturnError, StaleReturnError
from returns.models import (
    LIVE_STATUSES,
    ExchangeReservation,
    Return,
    ReturnEvent,
    ReturnLine,
    ReturnStatus,
)
from returns.selectors import held_quantities
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
from shop.models import StockMovement, Variant
from tests.factories import CustomerFactory, OrderLineFactory, UserFactory, VariantFactory
from tests.returns.helpers import snapshot

pytestmark = pytest.mark.django_db

SOURCES = {
    "approve": {"requested"},
    "reject": {"requested", "received"},
    "cancel": {"requested", "approved"},
    "mark_in_transit": {"approved"},
    "receive": {"approved", "in_transit"},
    "complete": {"received"},
    "expire": {"approved"},
}
TARGETS = {
    "approve": "approved",
    "reject": "rejected",
    "cancel": "cancelled",
    "mark_in_transit": "in_transit",
    "receive": "received",
    "complete": "completed",
    "expire": "expired",
}
picks = st.integers(min_value=0, max_value=10_000)


class ReturnsMachine(RuleBasedStateMachine):
    staff = None  # set by the test

    def __init__(self):
        super().__init__()
        user = UserFactory()
        customer = CustomerFactory(user=user, email=user.email)
        self.customer_user = user
        shirt = OrderLineFactory(
            order__customer=customer,
            quantity=3,
            unit_price_paid=Decimal("20.00"),
            variant__stock_on_hand=10,
        )
        self.order = shirt.order
        # The second line's stock belongs to the shop's till: never written by returns.
        self.pos_line = OrderLineFactory(
            order=self.order,
            quantity=2,
            variant__stock_managed_by_pos=True,
            variant__stock_on_hand=4,
        )
        self.lines = [shirt, self.pos_line]
        self.exchange_variant = VariantFactory(
            product=shirt.variant.product, option="XL", stock_on_hand=50
        )
        # What the till's item is exchanged for: another size of it, its stock the till's too.
        self.pos_exchange_variant = VariantFactory(
            product=self.pos_line.variant.product,
            option="XL",
            stock_managed_by_pos=True,
            stock_on_hand=4,
        )
        self.wanted = [self.exchange_variant, self.pos_exchange_variant]
        self.variants = [
            shirt.variant,
            self.pos_line.variant,
            self.exchange_variant,
            self.pos_exchange_variant,
        ]
        self.initial_stock = {v.pk: v.stock_on_hand for v in self.variants}
        self.returns: list[int] = []
        self.model_status: dict[int, str] = {}

    # --- the model ---------------------------------------------------------------------------

    def remaining(self):
        held = held_quantities(self.order)
        return [line.quantity - held.get(line.pk, 0) for line in self.lines]

    def inputs(self, quantities, reason, *, exchange=False):
        """The lines asked for; for an exchange, each for another size of its own product."""
        return [
            ReturnLineInput(
                order_line_id=line.pk,
                quantity=quantity,
                reason_code=reason,
                exchange_variant=wanted if exchange else None,
            )
            for line, quantity, wanted in zip(self.lines, quantities, self.wanted, strict=True)
            if quantity
        ]

    def pick(self, index, name, prefer_allowed):
        """A return to act on: often one the transition allows, so sequences go far."""
        candidates = self.returns
        if prefer_allowed:
            candidates = [
                pk for pk in self.returns if self.model_status[pk] in SOURCES[name]
            ] or self.returns
        return Return.objects.get(pk=candidates[index % len(candidates)])

    def attempt(self, name, ret, call):
        """Run a transition service; it must succeed exactly when the model allows it."""
        allowed = self.model_status[ret.pk] in SOURCES[name]
        before = snapshot(ret)
        try:
            call()
        except ReturnError:
            assert not allowed, f"{name} refused from {self.model_status[ret.pk]}"
            assert snapshot(ret) == before
            return False
        assert allowed, f"{name} allowed from {self.model_status[ret.pk]}"
        self.model_status[ret.pk] = TARGETS[name]
        return True

    def created(self, call, quantities, *, refused=False):
        fits = (
            not refused
            and any(quantities)
            and all(q <= left for q, left in zip(quantities, self.remaining(), strict=True))
        )
        count = Return.objects.count()
        try:
            ret = call()
        except ReturnError:
            assert not fits
            assert Return.objects.count() == count
            return
        assert fits
        self.returns.append(ret.pk)
        self.model_status[ret.pk] = ret.status

    # --- rules -------------------------------------------------------------------------------

    @initialize(approved=st.booleans())
    def first_return(self, approved):
        """Every sequence starts with one return of a unit of each line, so it goes somewhere."""
        self.staff_create((1, 1), approved)

    @rule(
        quantities=st.tuples(st.integers(0, 3), st.integers(0, 2)),
        reason=st.sampled_from(["wrong-size", "defective", "changed-mind"]),
        mode=st.sampled_from(["money_back", "store_credit", "exchange"]),
    )
    def customer_requests(self, quantities, reason, mode):
        self.created(
            lambda: return_request(
                idempotency_key=uuid.uuid4().hex,
                actor=self.customer_user,
                order=self.order,
                lines=self.inputs(quantities, reason, exchange=mode == "exchange"),
                refund_mode=mode,
                delivery_option="label",
            ),
            quantities,
        )

    @rule(quantities=st.tuples(st.integers(0, 3), st.integers(0, 2)), approved=st.booleans())
    def staff_create(self, quantities, approved):
        self.created(
            lambda: return_create(
                idempotency_key=uuid.uuid4().hex,
                actor=self.staff,
                order=self.order,
                lines=self.inputs(quantities, "wrong-size", exchange=True),
                refund_mode="exchange",
                delivery_option="label",
                start_status="approved" if approved else "requested",
            ),
            quantities,
        )

    @precondition(lambda self: self.returns)
    @rule(index=picks, prefer=st.booleans())
    def approve(self, index, prefer):
        ret = self.pick(index, "approve", prefer)
        self.attempt("approve", ret, lambda: return_approve(actor=self.staff, ret=ret))

    @precondition(lambda self: self.returns)
    @rule(index=picks, prefer=st.booleans())
    def reject(self, index, prefer):
        ret = self.pick(index, "reject", prefer)
        self.attempt(
            "reject", ret, lambda: return_reject(actor=self.staff, ret=ret, reason="Not accepted")
        )

    @precondition(lambda self: self.returns)
    @rule(index=picks, prefer=st.booleans(), by_customer=st.booleans())
    def cancel(self, index, prefer, by_customer):
        ret = self.pick(index, "cancel", prefer)
        actor = self.customer_user if by_customer else self.staff
        self.attempt("cancel", ret, lambda: return_cancel(actor=actor, ret=ret))

    @precondition(lambda self: self.returns)
    @rule(index=picks, prefer=st.booleans())
    def mark_in_transit(self, index, prefer):
        ret = self.pick(index, "mark_in_transit", prefer)
        self.attempt("mark_in_transit", ret, lambda: return_mark_in_transit(actor=None, ret=ret))

    @precondition(lambda self: self.returns)
    @rule(index=picks, prefer=st.booleans(), data=st.data())
    def receive(self, index, prefer, data):
        ret = self.pick(index, "receive", prefer)
        lines = list(ret.lines.order_by("id"))
        received = {
            line.pk: (
                data.draw(st.integers(0, line.quantity)),
                data.draw(st.sampled_from([None, True, False])),
            )
            for line in lines
        }
        if self.attempt(
            "receive", ret, lambda: return_receive(actor=self.staff, ret=ret, received=received)
        ):
            for line in lines:
                line_after = ReturnLine.objects.get(pk=line.pk)
                quantity, choice = received[line.pk]
                expected = line.restock if choice is None else choice
                if line.order_line_id == self.pos_line.pk:
                    expected = False
                assert (line_after.received_quantity, line_after.restock) == (quantity, expected)

    @precondition(lambda self: self.returns)
    @rule(index=picks, prefer=st.booleans())
    def complete(self, index, prefer):
        ret = self.pick(index, "complete", prefer)
        self.attempt("complete", ret, lambda: return_complete(actor=None, ret=ret))

    @precondition(lambda self: self.returns)
    @rule(index=picks, prefer=st.booleans())
    def expire(self, index, prefer):
        ret = self.pick(index, "expire", prefer)
        self.attempt("expire", ret, lambda: return_expire(actor=None, ret=ret))

    @precondition(lambda self: self.returns)
    @rule(index=picks)
    def act_on_a_stale_page(self, index):
        """Someone acts on what they read before another change: refused, nothing changes."""
        ret = self.pick(index, "approve", True)
        stale = Return.objects.get(pk=ret.pk)
        if self.attempt("approve", ret, lambda: return_approve(actor=self.staff, ret=ret)):
            before = snapshot(ret)
            with pytest.raises(StaleReturnError):
                return_cancel(actor=self.staff, ret=stale, expected_status=stale.status)
            assert snapshot(ret) == before

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def events_tell_each_status_history(self):
        for pk in self.returns:
            ret = Return.objects.get(pk=pk)
            changes = list(
                ReturnEvent.objects.filter(ret=ret, kind=ReturnEvent.Kind.STATUS)
                .order_by("created_at", "id")
                .values_list("from_status", "to_status")
            )
            assert changes[0][0] == ""
            for (_, reached), (left, _) in itertools.pairwise(changes):
                assert left == reached
            assert changes[-1][1] == ret.status == self.model_status[pk]

    @invariant()
    def ledger_sums_to_each_stock_change(self):
        for variant in Variant.objects.filter(pk__in=[v.pk for v in self.variants]):
            moved = (
                StockMovement.objects.filter(variant=variant).aggregate(total=Sum("quantity"))[
                    "total"
                ]
                or 0
            )
            assert variant.stock_on_hand == self.initial_stock[variant.pk] + moved

    @invariant()
    def restocks_match_what_was_received(self):
        received_lines = ReturnLine.objects.filter(
            ret__order=self.order, ret__events__to_status=ReturnStatus.RECEIVED, restock=True
        )
        expected = received_lines.aggregate(total=Sum("received_quantity"))["total"] or 0
        restocked = (
            StockMovement.objects.filter(kind="return", variant=self.lines[0].variant).aggregate(
                total=Sum("quantity")
            )["total"]
            or 0
        )
        assert restocked == expected
        assert not StockMovement.objects.filter(
            variant__in=[self.pos_line.variant, self.pos_exchange_variant]
        ).exists()

    @invariant()
    def exchanges_take_what_was_received(self):
        """A completed exchange took from the stock, net, what came back: the units held from
        its approval (taken, released when it changed item or fewer came back) or, approved
        without a hold, taken when it shipped."""
        completed = Return.objects.filter(
            order=self.order, status=ReturnStatus.COMPLETED, refund_mode="exchange"
        )
        # Only the lines whose item's stock is the shop's: the till's is never written.
        lines = ReturnLine.objects.filter(
            ret__in=completed, exchange_variant__stock_managed_by_pos=False
        )
        expected = lines.aggregate(total=Sum("received_quantity"))["total"] or 0
        keys = [f"return-line:{pk}:exchange" for pk in lines.values_list("pk", flat=True)]
        for reservation in ExchangeReservation.objects.filter(ret__in=completed):
            keys += [reservation.stock_key("take"), reservation.stock_key("release")]
        shipped = (
            StockMovement.objects.filter(key__in=keys).aggregate(total=Sum("quantity"))["total"]
            or 0
        )
        assert -shipped == expected

    @invariant()
    def live_quantities_stay_within_the_ordered_ones(self):
        held = held_quantities(self.order)
        for line in self.lines:
            assert 0 <= held.get(line.pk, 0) <= line.quantity
        live = ReturnLine.objects.filter(ret__order=self.order, ret__status__in=LIVE_STATUSES)
        assert all(line.quantity >= (line.received_quantity or 0) for line in live)


def test_random_sequences_of_services_keep_the_invariants(
    staff, reasons, shop_settings, notifications
):
    ReturnsMachine.staff = staff
    run_state_machine_as_test(
        ReturnsMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
