"""What the return rules and labels change in the return services: the rules' verdict on a new
return, approval at once by a rule, the label asked after the approval commits and cancelled
on closing.

Called by creation.py and transitions.py inside their transactions, the return locked.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from returns.models import Return, ReturnEvent, ReturnRule
from returns.rules import RuleOutcome, evaluate_rules
from returns.services import labels
from returns.services._common import (
    record_event,
    record_status_event,
    save_transition,
    tell_customer,
)
from returns.services.exchanges import on_approval
from returns.services.keeping import keep_items
from shop.models import Order, ShopSettings, User

if TYPE_CHECKING:
    from returns.services.creation import _CheckedLine


def apply_rules(
    order: Order,
    checked: "list[_CheckedLine]",
    *,
    channel: str,
    shop_settings: ShopSettings,
    delivery_option: str,
    rules: list[ReturnRule] | None = None,
) -> RuleOutcome:
    """The rules' verdict on returning the checked lines (with their reasons) of `order`, sent
    back as `delivery_option` says. `rules`: the active ones in order, as the caller read them
    (None: read here)."""
    return evaluate_rules(
        order,
        channel=channel,
        shop_settings=shop_settings,
        rules=rules,
        lines=[(line.order_line, line.quantity) for line in checked],
        reason_codes={line.order_line.pk: line.reason.code for line in checked},
        our_fault_codes={line.reason.code for line in checked if line.reason.our_fault},
        delivery_option=delivery_option,
        # Read by the checks with their variants and products: not read again.
        order_lines=[line.order_line for line in checked],
    )


def approve_by_rule(ret: Return, rule: ReturnRule | None) -> None:
    """A rule approves the new return at once: the system approves it (with its label)."""
    assert rule is not None  # RuleOutcome.auto_approve: an approval rule matched
    from_status = ret.status
    ret.approve()
    save_transition(ret)
    event = record_status_event(ret, actor=None, from_status=from_status)
    on_approval(ret, actor=None)
    record_event(
        ret,
        kind=ReturnEvent.Kind.NOTE,
        actor=None,
        visible_to_customer=False,
        code="rule.approved",
        params={"rule": rule.name},
    )
    tell_approval(ret, event=event, actor=None, notify=None)


def tell_approval(
    ret: Return, *, event: ReturnEvent, actor: User | None, notify: bool | None
) -> None:
    """Told now, unless the return is sent back with a label: its label is asked of the
    carrier after the approval commits, and the approval email waits for it (with the label
    attached, or without when the carrier failed: no label promised). A return whose items the
    customer keeps asks no label and is received at once (returns.services.keeping); the
    customer hears they keep the items and how it is settled, not to send a parcel."""
    if ret.keep_item:
        keep_items(ret, actor=actor, notify=notify)
    elif ret.delivery_option == Return.DeliveryOption.LABEL:
        labels.label_after_commit(ret, actor=actor, approval_event=event, notify=notify)
    else:
        tell_customer(ret, code="approved", event=event, actor=actor, notify=notify)


def label_on_closing(ret: Return, *, actor: User | None) -> None:
    """A cancelled or expired return's label is cancelled (unless the carrier already has it)."""
    labels.cancel_label_of_closed_return(ret, actor=actor)


def approval_label(
    actor: User | None, notify: bool | None
) -> Callable[[Return, ReturnEvent], None]:
    """The `after` step of return_approve: the customer told, the label asked after commit."""
    return lambda locked, event: tell_approval(locked, event=event, actor=actor, notify=notify)


def closing_label(actor: User | None) -> Callable[[Return], None]:
    """The `after` step of return_cancel and return_expire."""
    return lambda locked: label_on_closing(locked, actor=actor)
