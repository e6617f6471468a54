"""What every return service shares: the transition guard, events and notifications (locks are
in returns/locks.py)."""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from notifications import services as notification_services
from returns.errors import ReturnError, ReturnPermissionError, StaleReturnError
from returns.events import TEXT
from returns.models import Return, ReturnAction, ReturnEvent, ReturnStatus
from returns.notify import status_change_email
from returns.webhook_events import queue_webhooks
from shop.models import User

# Why a transition cannot run from the return's current status (named by %(status)s).
_WRONG_STATUS = {
    "approve": _("Only a requested return can be approved; this one is %(status)s."),
    "reject": _("Only a requested or received return can be rejected; this one is %(status)s."),
    "cancel": _("This return can no longer be cancelled: it is %(status)s."),
    "mark_in_transit": _(
        "Only an approved return can be marked in transit; this one is %(status)s."
    ),
    "receive": _("Only an approved or in-transit return can be received; this one is %(status)s."),
    "complete": _("Only a received return can be completed; this one is %(status)s."),
    "expire": _("Only an approved return can expire; this one is %(status)s."),
    "reopen": _("Only a completed return can be reopened; this one is %(status)s."),
}

_NOT_ALLOWED = {
    "approve": _("You are not allowed to approve this return."),
    "reject": _("You are not allowed to reject this return."),
    "cancel": _("You are not allowed to cancel this return."),
    "mark_in_transit": _("You are not allowed to mark this return in transit."),
    "receive": _("You are not allowed to receive this return."),
    "complete": _("You are not allowed to complete this return."),
    "expire": _("You are not allowed to expire this return."),
    "reopen": _(
        "Only the system reopens a return: when a refund that completed it fails at the payment "
        "provider."
    ),
}


def status_label(status: str) -> str:
    return str(ReturnStatus(status).label)


def require_transition(
    ret: Return,
    name: str,
    actor: User | None,
    *,
    system_may: bool = False,
    allowed: Callable[[Return, User | None], bool] | None = None,
) -> None:
    """Refuse unless the transition `name` can run now and `actor` holds its permission.

    actor=None is the system (a scheduled sweep, a carrier webhook); it may run only the
    transitions where `system_may` is set. `allowed(ret, actor)`, when given, is the whole
    answer of who may (a policy's rule, for the customer's own right to cancel).
    """
    method = getattr(ret, name)
    if not can_proceed(method):
        raise ReturnError(
            str(_WRONG_STATUS[name]) % {"status": status_label(ret.status)}, code="wrong_status"
        )
    if allowed is not None:
        if not allowed(ret, actor):
            raise ReturnPermissionError(str(_NOT_ALLOWED[name]))
        return
    if actor is None:
        if system_may:
            return
        raise ReturnPermissionError(str(_NOT_ALLOWED[name]))
    if not has_transition_perm(method, actor):
        raise ReturnPermissionError(str(_NOT_ALLOWED[name]))


def save_transition(ret: Return, *fields: str) -> None:
    """Save a return's new status (and `fields` the change set); a concurrent change of its
    status refuses the save."""
    try:
        ret.save(update_fields=["status", "status_changed_at", *fields])
    except ConcurrentTransition as exc:
        raise StaleReturnError(
            gettext(
                "Return %(rma)s was changed by someone else meanwhile. Reload the page and "
                "check it again."
            )
            % {"rma": ret.rma_number}
        ) from exc


def record_status_event(
    ret: Return,
    *,
    actor: User | None,
    from_status: str,
    note: str = "",
    code: str = TEXT,
    params: dict[str, Any] | None = None,
) -> ReturnEvent:
    """The status change just made; `code` and `params` name its message (returns/events.py),
    `note` is what the person typed. The outbound webhooks hear of it
    (returns/webhook_events.py)."""
    event = ReturnEvent.objects.create(
        ret=ret,
        kind=ReturnEvent.Kind.STATUS,
        actor=actor,
        from_status=from_status,
        to_status=ret.status,
        code=code,
        params=params or {},
        note=note,
        visible_to_customer=True,
    )
    queue_webhooks(event)
    return event


def record_event(
    ret: Return,
    *,
    kind: str,
    actor: User | None,
    code: str = TEXT,
    params: dict[str, Any] | None = None,
    note: str = "",
    visible_to_customer: bool = False,
) -> ReturnEvent:
    """An event of the timeline: the message `code` with its `params` (rendered when read, in the
    reader's language, returns/events.py) and `note`, what a person typed, as typed. The
    outbound webhooks hear of those they tell (a label made or cancelled, a refund)."""
    event = ReturnEvent.objects.create(
        ret=ret,
        kind=kind,
        actor=actor,
        code=code,
        params=params or {},
        note=note,
        visible_to_customer=visible_to_customer,
    )
    queue_webhooks(event)
    return event


def tell_customer(
    ret: Return,
    *,
    event: ReturnEvent,
    actor: User | None,
    notify: bool | None,
    code: str | None = None,
) -> None:
    """Queue the customer's email in this transaction, when this change is to be told. `code`
    names the email; None: the one of the status change `event` made
    (returns.notify.status_change_email), nothing when that change has none."""
    if code is None:
        code = status_change_email(ret, event.to_status)
        if code is None:
            return
    if notify is None:
        notify = ret.notify_customer
    if notify:
        notification_services.notification_enqueue(
            ret=ret, event=code, return_event=event, actor=actor
        )


def check_action(action: ReturnAction | None) -> None:
    if action is not None and not action.active:
        raise ReturnError(
            gettext("The action “%(action)s” is no longer in use.") % {"action": action.name}
        )
