"""A model-based test of the returns and refunds services together.

A small shop (a few orders of 1-3 lines), and Hypothesis drawing sequences of the real services
with random arguments: returns requested and created, approved, rejected, cancelled, shipped,
received in part (refunded before receipt or not), completed, expired, cancelled by a verified
guest; exchanges for another item settled and their dues paid; refunds created (whole, partial,
as store credit), marked refunded, settled, cancelled, reversed; amounts owed back paid or
written off; labels created, sent again, cancelled; carrier scans; the order imported again with
changed money or quantities. A refusal is fine but changes nothing. After every step the money,
quantity, stock and history invariants the product guarantees must hold.

HYPOTHESIS_PROFILE=long runs many more examples (e.g. before a release).
"""

import csv
import os
import tempfile
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
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

from refunds.models import ExchangeDue, Refund, RefundStatus, Repayment
from refunds.money import money_for_return, money_for_returns, with_money_columns
from refunds.quotes import quote_for_return
from refunds.services import (
    exchange_due_mark_paid,
    exchange_settle,
    refund_cancel,
    refund_create,
    refund_mark_refunded,
    refund_reverse,
    refund_settle,
    repayment_record,
)
from returns.carriers import CarrierError
from returns.carriers.base import CarrierEvent
from returns.carriers.offline import OfflineCarrier
from returns.errors import ReturnError
from returns.models import Return, ReturnLabel, ReturnLine, ReturnStatus
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
from returns.services.inspection import return_inspect, return_receive_for_inspection
from returns.services.labels import label_cancel, label_create, label_resend
from returns.services.tracking import tracking_event_record
from shop.importing import ImportFileError, import_orders
from shop.models import Order, StockMovement, User, Variant
from tests.factories import CustomerFactory, UserFactory, make_order, sibling_variant, superuser
from tests.fixtures import invariants
from tests.returns.helpers import line_inputs, status_history
from tests.returns.labels.helpers import approved_with_label

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
return_modes = st.sampled_from(["money_back", "store_credit", "exchange"])
refund_modes = st.sampled_from([None, "original_payment", "store_credit"])


class ShopMachine(RuleBasedStateMachine):
    """The services over a fresh shop per example; the test's transaction is shared by the
    examples, so every count is taken over this example's orders, never over whole tables."""

    returns = Bundle("returns")
    steps_run = 0  # over every example, for the report of the test
    carrier_is_down = False  # the offline carrier refuses labels while set (carrier_outage)

    @initialize(orders=st.lists(order_lines, min_size=1, max_size=3))
    def open_shop(self, orders):
        ShopMachine.carrier_is_down = False
        self.staff: User = superuser()
        self.customer_user: User = UserFactory()
        customer = CustomerFactory(user=self.customer_user, email=self.customer_user.email)
        self.orders = [make_order(lines, customer=customer) for lines in orders]
        self.order_ids = [order.pk for order in self.orders]
        self.variant_ids = [line.variant_id for order in self.orders for line in order.lines.all()]
        self.imported = self.order_facts()
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
            "labels": list(
                ReturnLabel.objects.filter(ret__in=rets).order_by("id").values_list("id", "status")
            ),
            "repayments": Repayment.objects.filter(order_id__in=self.order_ids).count(),
            "dues": list(
                ExchangeDue.objects.filter(order_id__in=self.order_ids).values_list("id", "status")
            ),
            "orders": self.order_facts(),
        }

    def order_facts(self) -> dict:
        """What an import must not change of an order with returns or refunds."""
        orders = Order.objects.filter(pk__in=self.order_ids).order_by("pk")
        return {
            order.pk: (
                order.amount_paid,
                order.currency,
                order.customer_id,
                list(order.lines.order_by("id").values_list("id", "quantity", "unit_price_paid")),
            )
            for order in orders
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

    def one_of(self, queryset, index: int):
        rows = list(queryset.order_by("id"))
        return rows[index % len(rows)] if rows else None

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
        swap=st.none() | st.integers(0, 10),
    )
    def staff_create(self, index, asked, mode, approved, swap):
        """Staff may exchange each line for any size of its product (swap picks one of the
        shop's variants of it; None: no item, refused for an exchange)."""
        order = self.order_of(index)
        wanted = {}
        if mode == "exchange" and swap is not None:
            variants = list(Variant.objects.filter(pk__in=self.variant_ids).order_by("pk"))
            for line in order.lines.select_related("variant"):
                sizes = [v for v in variants if v.product_id == line.variant.product_id]
                wanted[line.pk] = sizes[swap % len(sizes)]
        return self.created(
            lambda: return_create(
                actor=self.staff,
                order=order,
                idempotency_key=uuid.uuid4().hex,
                lines=line_inputs(order, *asked, exchange_variant=wanted),
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

    @rule(pk=returns, by=st.sampled_from(["customer", "staff", "guest"]))
    def cancel(self, pk, by):
        actor = {"customer": self.customer_user, "staff": self.staff, "guest": None}[by]
        self.attempt(
            lambda: return_cancel(
                actor=actor, ret=Return.objects.get(pk=pk), guest_order_verified=by == "guest"
            )
        )

    @rule(pk=returns)
    def mark_in_transit(self, pk):
        self.attempt(lambda: return_mark_in_transit(actor=None, ret=Return.objects.get(pk=pk)))

    @rule(pk=returns, data=st.data())
    def receive(self, pk, data):
        """What came back may be less than asked (after a refund before receipt too: the
        difference is then owed back), each line restocked or not."""
        ret = Return.objects.get(pk=pk)
        self.attempt(
            lambda: return_receive(
                actor=self.staff, ret=ret, received=self.draw_received(ret, data)
            )
        )

    def draw_received(self, ret, data):
        return {
            line.pk: (
                data.draw(st.integers(0, line.quantity)),
                data.draw(st.sampled_from([None, True, False])),
            )
            for line in ret.lines.order_by("id")
        }

    @rule(pk=returns)
    def delivered_for_inspection(self, pk):
        ret = Return.objects.get(pk=pk)
        self.attempt(lambda: return_receive_for_inspection(ret=ret))

    @rule(pk=returns, data=st.data())
    def inspect(self, pk, data):
        ret = Return.objects.get(pk=pk)
        received = self.draw_received(ret, data)
        self.attempt(lambda: return_inspect(actor=self.staff, ret=ret, received=received))

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

    @rule(index=st.integers(0, 10), pending=st.booleans())
    def cancel_or_reverse_a_refund(self, index, pending):
        """A pending refund cancelled, or one paid out reversed (with its reason)."""
        status = RefundStatus.PENDING if pending else RefundStatus.REFUNDED
        refund = self.one_of(
            Refund.objects.filter(order_id__in=self.order_ids, status=status), index
        )
        if refund is None:
            return
        if pending:
            self.attempt(lambda: refund_cancel(actor=self.staff, refund=refund))
        else:
            self.attempt(
                lambda: refund_reverse(actor=self.staff, refund=refund, reason="Paid back")
            )

    @rule(pk=returns, outcome=st.sampled_from(list(Repayment.Outcome.values)))
    def settle_owed_back(self, pk, outcome):
        self.attempt(
            lambda: repayment_record(
                actor=self.staff,
                ret=Return.objects.get(pk=pk),
                outcome=outcome,
                reference="tr_789",
                note="Not worth chasing",
            )
        )

    @rule(pk=returns)
    def settle_exchange(self, pk):
        ret = Return.objects.get(pk=pk)
        self.attempt(
            lambda: exchange_settle(actor=self.staff, ret=ret, idempotency_key=uuid.uuid4().hex)
        )

    @rule(index=st.integers(0, 10))
    def exchange_due_paid(self, index):
        due = self.one_of(
            ExchangeDue.objects.filter(order_id__in=self.order_ids, status="open"), index
        )
        if due is not None:
            self.attempt(
                lambda: exchange_due_mark_paid(actor=self.staff, due=due, reference="pay_1")
            )

    # --- labels and the carrier ---------------------------------------------------------------

    @rule(pk=returns, action=st.sampled_from(["create", "resend", "cancel"]))
    def label(self, pk, action):
        service = {"create": label_create, "resend": label_resend, "cancel": label_cancel}[action]
        self.attempt(lambda: service(actor=self.staff, ret=Return.objects.get(pk=pk)))

    @rule(down=st.booleans())
    def carrier_outage(self, down):
        """The carrier goes down (approvals keep going, labels fail and wait for a retry) or
        comes back."""
        ShopMachine.carrier_is_down = down

    @rule(
        index=st.integers(0, 10),
        status=st.sampled_from(["announced", "in_transit", "delivered", "exception"]),
    )
    def carrier_scan(self, index, status):
        """The carrier reports the parcel of one of the labels (a scan moves the return)."""
        label = self.one_of(ReturnLabel.objects.filter(ret__order_id__in=self.order_ids), index)
        if label is None:
            return
        event = CarrierEvent(
            event_id=uuid.uuid4().hex,
            tracking_number=label.tracking_number,
            raw_status=status,
            status=status,
            occurred_at=timezone.now(),
        )
        self.attempt(lambda: tracking_event_record(carrier=label.carrier, event=event))

    # --- the order imported again -----------------------------------------------------------

    @rule(index=st.integers(0, 2), change=st.sampled_from(["none", "amount", "quantity"]))
    def reimport(self, index, change):
        """The storefront's export of the order again, as it was or with its money or a line's
        quantity changed: refused for an order with returns or refunds, whatever changed."""
        order = Order.objects.get(pk=self.order_of(index).pk)
        had_history = order.returns.exists() or order.refunds.exists()
        path = self.export(order, change)
        try:
            self.attempt(lambda: self.import_or_refuse(path))
        finally:
            os.unlink(path)
        if not had_history:
            # an order nobody returned anything of may change: the reference moves with it
            self.imported[order.pk] = self.order_facts()[order.pk]

    def import_or_refuse(self, path):
        try:
            return import_orders(path)
        except ImportFileError as refused:
            raise ReturnError(str(refused)) from refused

    @staticmethod
    def export(order, change) -> str:
        columns = [
            "order_number",
            "placed_at",
            "currency",
            "email",
            "shipping_country",
            "shipping_cost",
            "discount",
            "amount_paid",
            "sku",
            "product_name",
            "quantity",
            "unit_price_paid",
        ]
        paid = order.amount_paid / 2 if change == "amount" else order.amount_paid
        rows = []
        for position, line in enumerate(order.lines.select_related("variant__product")):
            quantity = line.quantity + (1 if change == "quantity" and position == 0 else 0)
            rows.append(
                [
                    order.number,
                    order.placed_at.isoformat(),
                    order.currency,
                    order.customer.email,
                    order.shipping_country,
                    f"{order.shipping_cost:.2f}",
                    f"{order.discount:.2f}",
                    f"{paid:.2f}",
                    line.variant.sku,
                    line.variant.product.name,
                    str(quantity),
                    f"{line.unit_price_paid:.2f}",
                ]
            )
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            writer.writerows(rows)
        return out.name

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
    def an_order_with_returns_keeps_its_money_and_lines(self):
        now = self.order_facts()
        for order in Order.objects.filter(pk__in=self.order_ids):
            if order.returns.exists() or order.refunds.exists():
                assert now[order.pk] == self.imported[order.pk], order.number

    @invariant()
    def every_surface_reads_the_same_money(self):
        """The overview's figure (columns of its query) = the page's and the portal's
        (money_for_return) = the quote's."""
        listed = money_for_returns(
            list(
                with_money_columns(
                    Return.objects.filter(order_id__in=self.order_ids).select_related("order")
                )
            )
        )
        for ret in Return.objects.filter(order_id__in=self.order_ids):
            page = money_for_return(ret)
            assert listed[ret.pk] == page, ret.rma_number
            assert page.quote_total == quote_for_return(ret).total, ret.rma_number

    @invariant()
    def each_unit_is_refunded_at_most_once(self):
        for order in self.orders:
            invariants.each_unit_is_refunded_at_most_once(order)

    @invariant()
    def no_row_in_a_forbidden_state(self):
        for order in self.orders:
            invariants.no_row_in_a_forbidden_state(order)

    @invariant()
    def the_events_replay_to_each_status(self):
        for order in self.orders:
            invariants.the_events_replay_to_each_status(order)


def test_random_sequences_of_services_keep_the_money_and_stock_invariants(
    reasons, shop_settings, notifications, monkeypatch
):
    # given a fresh shop per example, the outbox recorded, a carrier that may go down
    make_label = OfflineCarrier.create_label

    def create_label(self, ret, *, method=None):
        if ShopMachine.carrier_is_down:
            raise CarrierError("service unavailable")
        return make_label(self, ret, method=method)

    monkeypatch.setattr(OfflineCarrier, "create_label", create_label)
    ShopMachine.notifications = notifications
    ShopMachine.steps_run = 0
    profile = settings.get_profile(PROFILE)

    # when Hypothesis runs sequences of services, then every invariant held after each step
    run_state_machine_as_test(ShopMachine, settings=profile)
    print(
        f"invariants ({PROFILE}): up to {profile.max_examples} examples of up to "
        f"{profile.stateful_step_count} steps, {ShopMachine.steps_run} service calls"
    )


# --- failing examples the machine found, kept as regular tests ----------------------------------


def test_a_return_received_then_rejected_keeps_its_label_and_breaks_no_invariant(
    reasons, shop_settings, notifications
):
    # given: approved with a label, received by hand (no carrier scan), then rejected
    staff = superuser()
    order = make_order([(2, "9.99")])
    ret = approved_with_label(staff, order, 1)
    ret = return_receive(actor=staff, ret=ret)
    # when
    return_reject(actor=staff, ret=ret, reason="Worn")
    # then: the label that brought the parcel stays (cancellable only before it moves)
    assert list(ReturnLabel.objects.filter(ret=ret).values_list("status", flat=True)) == ["created"]
    invariants.no_row_in_a_forbidden_state(order)
    invariants.each_returns_money_adds_up(order)


def test_a_completed_exchange_keeps_its_refund(reasons, shop_settings, notifications):
    # given: an exchange for a cheaper item, settled (a refund of the difference) and completed
    staff = superuser()
    order = make_order([(1, "35.50"), (1, "9.99")])
    cheaper = sibling_variant(order, price=Decimal("9.99"))
    ret = return_create(
        actor=staff,
        order=order,
        idempotency_key=uuid.uuid4().hex,
        lines=line_inputs(order, 1, exchange_variant=cheaper),
        refund_mode="exchange",
        delivery_option="label",
        start_status=ReturnStatus.APPROVED,
    )
    ret = return_receive(actor=staff, ret=ret)
    refund = exchange_settle(actor=staff, ret=ret, idempotency_key=uuid.uuid4().hex)
    refund_mark_refunded(actor=staff, refund=refund, reference="re_1")
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    # when
    with pytest.raises(ReturnError):
        refund_reverse(actor=staff, refund=refund, reason="Paid back")
    # then
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.REFUNDED
    invariants.each_returns_money_adds_up(order)
