"""The returns policy answered directly (returns/policy.py): pure functions over unsaved objects,
so these tests read no database; each answer is pinned with its exact codes and messages."""

from datetime import UTC, datetime, timedelta

import pytest

from returns import policy
from returns.models import Return, ReturnLabel, ReturnRule, ReturnStatus
from returns.models.labels import LabelStatus, ParcelStatus
from returns.policy import LabelAction, LabelActions, Refusal, RefusalCode
from returns.rules import BlockedLine, RuleOutcome
from shop.models import Customer, Order, ShopSettings

PORTAL, BACKOFFICE = Return.Channel.PORTAL, Return.Channel.BACKOFFICE
DELIVERED = datetime(2026, 1, 10, 14, 0, tzinfo=UTC)  # Europe/Paris is UTC+1 all along
CLOSES = datetime(2026, 2, 9, 14, 0, tzinfo=UTC)  # 30 days later, to the microsecond
WINDOW_CLOSED = "The return window of 30 days after delivery closed on Feb. 9, 2026."
NOT_DELIVERED = "This order has not been delivered yet. You can return items once they arrive."
RETURNS_OFF = (
    "Returns cannot be requested online at the moment. Please contact us and we will help you."
)
CANCELLED = "This order was cancelled: there is nothing to return."
NOTHING_LEFT = "Every item of this order has already been returned or is being returned."
ALL_LABEL_PERMS = ("returns.approve_return", "returns.resend_label", "returns.cancel_label")


class User:
    """A user holding exactly `perms` (and the customer account `customer`, if any)."""

    def __init__(self, *perms, customer=None):
        self.perms, self.customer = set(perms), customer

    def has_perm(self, perm):
        return perm in self.perms


def shop(**changes) -> ShopSettings:
    values = {"return_window_days": 30, "returns_allowed": True, **changes}
    return ShopSettings(**values)


def order(*, delivered_at=DELIVERED, status=Order.Status.DELIVERED, customer_id=1) -> Order:
    return Order(number="1001", delivered_at=delivered_at, status=status, customer_id=customer_id)


def never_asked():
    raise AssertionError("the rules must not be read when something else refuses")


# --- the window --------------------------------------------------------------------------------


def test_the_window_closes_the_number_of_days_after_the_delivery_instant():
    assert policy.window_closes_at(order(), shop()) == CLOSES


def test_there_is_no_window_before_delivery():
    # given
    undelivered = order(delivered_at=None)
    # then
    assert policy.window_closes_at(undelivered, shop()) is None
    assert policy.window_is_open(undelivered, shop(), now=DELIVERED) is False


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (DELIVERED, True),
        (CLOSES - timedelta(days=1), True),
        (CLOSES, True),  # the closing instant itself is still inside
        (CLOSES + timedelta(microseconds=1), False),
        (CLOSES + timedelta(hours=10), False),  # same calendar day, later: closed
    ],
)
def test_the_window_is_open_up_to_and_including_its_closing_instant(now, is_open):
    assert policy.window_is_open(order(), shop(), now=now) is is_open


def test_the_window_follows_the_shops_number_of_days():
    assert policy.window_closes_at(order(), shop(return_window_days=14)) == DELIVERED + timedelta(
        days=14
    )


# --- returnability of an order -----------------------------------------------------------------


def test_an_order_in_its_window_with_items_left_is_returnable():
    # when
    answer = policy.returnability(
        order(), shop(), channel=PORTAL, remaining={11: 2, 12: 0}, blocked=dict, now=CLOSES
    )
    # then
    assert answer.returnable is True
    assert answer.refusals == ()
    assert (answer.codes, answer.messages, answer.reason) == ([], [], "")
    assert answer.remaining == {11: 2, 12: 0}
    assert answer.closes_at == CLOSES
    assert str(answer.closes_on) == "2026-02-09"


def test_past_the_window_the_order_is_not_returnable():
    # when
    answer = policy.returnability(
        order(),
        shop(),
        channel=PORTAL,
        remaining={11: 2},
        blocked=never_asked,
        now=CLOSES + timedelta(seconds=1),
    )
    # then
    assert answer.returnable is False
    assert answer.refusals == (Refusal(RefusalCode.WINDOW_CLOSED, WINDOW_CLOSED),)
    assert answer.reason == WINDOW_CLOSED
    assert answer.staff_may_override is True


def test_returns_switched_off_refuse_customers_but_not_staff():
    # when
    customers = policy.returnability(
        order(), shop(returns_allowed=False), channel=PORTAL, remaining={11: 1}, now=DELIVERED
    )
    staff = policy.returnability(
        order(), shop(returns_allowed=False), channel=BACKOFFICE, remaining={11: 1}, now=DELIVERED
    )
    # then
    assert customers.refusals == (Refusal(RefusalCode.RETURNS_OFF, RETURNS_OFF),)
    assert staff.returnable is True


def test_an_order_not_delivered_has_no_window_to_close():
    # when
    answer = policy.returnability(
        order(delivered_at=None), shop(), channel=PORTAL, remaining={11: 1}, blocked=never_asked
    )
    # then
    assert answer.codes == [RefusalCode.NOT_DELIVERED]
    assert answer.messages == [NOT_DELIVERED]
    assert answer.closes_at is None
    assert answer.closes_on is None


def test_every_reason_is_given_in_reading_order_the_first_one_told():
    # given: cancelled before delivery, returns switched off, nothing left
    cancelled = order(delivered_at=None, status=Order.Status.CANCELLED)
    # when
    answer = policy.returnability(
        cancelled, shop(returns_allowed=False), channel=PORTAL, remaining={11: 0}
    )
    # then
    assert answer.codes == ["order_cancelled", "not_delivered", "returns_off", "nothing_left"]
    assert answer.messages == [CANCELLED, NOT_DELIVERED, RETURNS_OFF, NOTHING_LEFT]
    assert answer.reason == CANCELLED


def test_nothing_left_to_return_cannot_be_overridden():
    # when
    answer = policy.returnability(
        order(), shop(), channel=BACKOFFICE, remaining={11: 0, 12: 0}, now=DELIVERED
    )
    # then
    assert answer.refusals == (Refusal(RefusalCode.NOTHING_LEFT, NOTHING_LEFT),)
    assert answer.staff_may_override is False


def _blocked(line_id, message):
    return BlockedLine(order_line_id=line_id, item=f"item {line_id}", rule=None, message=message)


def test_rules_refusing_every_item_left_refuse_the_order_each_message_once():
    # given: line 13 is returned in full already; the rules refuse 11 and 12 for one reason
    blocked = {11: _blocked(11, "Final sale."), 12: _blocked(12, "Final sale.")}
    # when
    answer = policy.returnability(
        order(),
        shop(),
        channel=PORTAL,
        remaining={11: 1, 12: 2, 13: 0},
        blocked=lambda: blocked,
        now=DELIVERED,
    )
    # then
    assert answer.refusals == (Refusal(RefusalCode.BLOCKED_BY_RULE, "Final sale."),)
    assert answer.staff_may_override is True


def test_rules_refusing_some_items_leave_the_order_returnable():
    # given
    blocked = {11: _blocked(11, "Final sale.")}
    # when
    answer = policy.returnability(
        order(),
        shop(),
        channel=PORTAL,
        remaining={11: 1, 12: 1},
        blocked=lambda: blocked,
        now=DELIVERED,
    )
    # then
    assert answer.returnable is True


def test_without_rules_asked_only_the_order_and_quantities_count():
    answer = policy.returnability(
        order(), shop(), channel=BACKOFFICE, remaining={11: 1}, now=DELIVERED
    )
    assert answer.returnable is True


# --- refund modes and delivery options ---------------------------------------------------------


def test_every_refund_mode_is_offered_by_default():
    assert policy.offered_refund_modes(shop()) == ["money_back", "store_credit", "exchange"]


def test_a_refund_mode_switched_off_is_not_offered_except_to_staff_overriding():
    # given
    settings = shop(offer_store_credit=False)
    # then
    assert policy.offered_refund_modes(settings) == ["money_back", "exchange"]
    assert policy.offered_refund_modes(settings, staff_may_override=True) == [
        "money_back",
        "store_credit",
        "exchange",
    ]


def test_delivery_options_follow_the_in_store_setting_and_the_rules():
    # given
    no_shops = shop(in_store_returns_allowed=False)
    # then
    assert policy.offered_delivery_options(shop()) == ["label", "in_store"]
    assert policy.offered_delivery_options(no_shops) == ["label"]
    assert policy.offered_delivery_options(no_shops, staff_may_override=True) == [
        "label",
        "in_store",
    ]
    # a return rule's in-store only wins over the setting
    assert policy.offered_delivery_options(no_shops, in_store_only=True) == ["in_store"]


def _rules(in_store_rule=None) -> RuleOutcome:
    return RuleOutcome(
        currency="EUR",
        checks=(),
        in_store_only=in_store_rule is not None,
        in_store_rule=in_store_rule,
    )


def test_a_rule_without_item_conditions_sends_everything_in_store_before_choosing():
    assert policy.in_store_only_whatever_chosen(_rules(ReturnRule(name="Abroad"))) is True
    assert policy.in_store_only_whatever_chosen(_rules()) is False


def test_a_rule_on_some_items_decides_only_once_they_are_chosen():
    # given
    on_shoes = ReturnRule(name="Shoes", category="shoes")
    # then
    assert policy.in_store_only_whatever_chosen(_rules(on_shoes)) is False
    assert policy.delivery_option_for("label", _rules(on_shoes)) == "in_store"


def test_the_chosen_delivery_option_stands_without_an_in_store_rule():
    assert policy.delivery_option_for("label", _rules()) == "label"


def test_choices_offered_are_not_refused():
    assert policy.choice_refusals(shop(), refund_mode="exchange", delivery_option="in_store") == []


def test_choices_not_offered_are_refused_with_their_reasons():
    # given
    settings = shop(offer_store_credit=False, in_store_returns_allowed=False)
    # when
    refusals = policy.choice_refusals(
        settings, refund_mode="store_credit", delivery_option="in_store"
    )
    # then
    assert refusals == [
        Refusal(RefusalCode.REFUND_MODE_NOT_OFFERED, "Store credit is not offered for returns."),
        Refusal(RefusalCode.IN_STORE_NOT_OFFERED, "Returns cannot be dropped in store."),
    ]


# --- cancelling --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "may"),
    [
        (ReturnStatus.REQUESTED, True),
        (ReturnStatus.APPROVED, True),
        (ReturnStatus.IN_TRANSIT, False),
        (ReturnStatus.RECEIVED, False),
        (ReturnStatus.COMPLETED, False),
        (ReturnStatus.REJECTED, False),
        (ReturnStatus.CANCELLED, False),
        (ReturnStatus.EXPIRED, False),
    ],
)
def test_the_customer_may_cancel_only_before_the_parcel_ships(status, may):
    # given
    owner = User(customer=Customer(pk=1))
    ret = Return(order=order(customer_id=1), status=status)
    # then
    assert policy.customer_may_cancel(ret) is may
    assert policy.may_cancel(ret, owner) is may


def test_staff_with_the_permission_may_cancel_whatever_the_customer_may():
    # given: the state machine decides from which statuses (requested, approved)
    ret = Return(order=order(), status=ReturnStatus.IN_TRANSIT)
    # then
    assert policy.may_cancel(ret, User("returns.cancel_return")) is True
    assert policy.may_cancel(ret, User("returns.view_return")) is False


def test_nobody_else_may_cancel_a_customers_return():
    # given
    ret = Return(order=order(customer_id=1), status=ReturnStatus.REQUESTED)
    # then
    assert policy.may_cancel(ret, User(customer=Customer(pk=2))) is False
    assert policy.may_cancel(ret, User()) is False
    assert policy.may_cancel(ret, None) is False


# --- label actions -----------------------------------------------------------------------------


def a_return(status=ReturnStatus.APPROVED, delivery=Return.DeliveryOption.LABEL) -> Return:
    return Return(rma_number="R-TEST0001", status=status, delivery_option=delivery)


def a_label(*, status=LabelStatus.CREATED, scanned=False) -> ReturnLabel:
    return ReturnLabel(
        status=status,
        tracking_number="TRK123",
        parcel_status=ParcelStatus.ANNOUNCED if scanned else "",
        parcel_status_at=DELIVERED if scanned else None,
    )


USED = (
    "The carrier has already reported this parcel (announced): label TRK123 can no longer be "
    "cancelled."
)


@pytest.mark.parametrize(
    ("ret", "label", "refusal"),
    [
        (a_return(), None, None),
        (a_return(), a_label(status=LabelStatus.CANCELLED), None),  # a cancelled one is no label
        (
            a_return(delivery=Return.DeliveryOption.IN_STORE),
            None,
            Refusal(
                RefusalCode.DROPPED_IN_STORE,
                "Return R-TEST0001 is dropped in store: it has no label.",
            ),
        ),
        (
            a_return(status=ReturnStatus.REQUESTED),
            None,
            Refusal(
                RefusalCode.NOT_APPROVED,
                "Only an approved return gets a label; this one is requested.",
            ),
        ),
        (
            a_return(),
            a_label(),
            Refusal(
                RefusalCode.HAS_LABEL,
                "Return R-TEST0001 already has a label: cancel it first to make a new one.",
            ),
        ),
    ],
)
def test_a_new_label_is_for_an_approved_return_sent_by_post_without_one(ret, label, refusal):
    assert policy.label_refusal(LabelAction.CREATE, ret, label) == refusal


@pytest.mark.parametrize(
    ("action", "label", "refusal"),
    [
        (LabelAction.RESEND, a_label(), None),
        (LabelAction.RESEND, a_label(scanned=True), None),
        (
            LabelAction.RESEND,
            None,
            Refusal(RefusalCode.NO_LABEL, "Return R-TEST0001 has no label to send."),
        ),
        (LabelAction.CANCEL, a_label(), None),
        (LabelAction.CANCEL, a_label(scanned=True), Refusal(RefusalCode.LABEL_USED, USED)),
        (
            LabelAction.CANCEL,
            a_label(status=LabelStatus.CANCELLED),
            Refusal(RefusalCode.NO_LABEL, "Return R-TEST0001 has no label to cancel."),
        ),
    ],
)
def test_resending_and_cancelling_need_a_live_label_cancelling_an_unused_one(
    action, label, refusal
):
    assert policy.label_refusal(action, a_return(), label) == refusal


@pytest.mark.parametrize("action", [LabelAction.RESEND, LabelAction.CANCEL])
@pytest.mark.parametrize(
    "status", [ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED, ReturnStatus.COMPLETED]
)
def test_a_label_is_sent_again_or_cancelled_only_while_the_parcel_is_awaited(action, status):
    # given: a live, unused label of a return that is no longer waiting for its parcel
    ret = a_return(status=status)
    # when
    refusal = policy.label_refusal(action, ret, a_label())
    # then
    assert refusal == Refusal(
        RefusalCode.PARCEL_NOT_AWAITED,
        f"Return R-TEST0001 is {ret.get_status_display()}: its label is no longer of use.",
    )


def test_staff_with_every_permission_get_the_buttons_of_a_live_label():
    # when
    actions = policy.label_actions(
        a_return(), a_label(), User(*ALL_LABEL_PERMS, "returns.view_returnlabel")
    )
    # then
    assert actions == LabelActions(create=False, resend=True, cancel=True, download=True)


def test_a_label_the_carrier_reported_cannot_be_cancelled_and_the_page_says_why():
    # when
    actions = policy.label_actions(a_return(), a_label(scanned=True), User(*ALL_LABEL_PERMS))
    # then
    assert actions == LabelActions(
        create=False, resend=True, cancel=False, download=False, cancel_refusal=USED
    )


def test_without_a_live_label_an_approved_return_gets_a_new_one():
    # when
    actions = policy.label_actions(
        a_return(), a_label(status=LabelStatus.CANCELLED), User(*ALL_LABEL_PERMS)
    )
    # then
    assert actions == LabelActions(create=True, resend=False, cancel=False, download=False)


def test_each_button_needs_its_permission():
    # when
    actions = policy.label_actions(a_return(), a_label(), User("returns.resend_label"))
    nothing = policy.label_actions(a_return(), None, User("returns.resend_label"))
    # then
    assert actions == LabelActions(create=False, resend=True, cancel=False, download=False)
    assert nothing == LabelActions(create=False, resend=False, cancel=False, download=False)
