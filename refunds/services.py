"""Every write of the refunds app: creating and settling refunds, store credit, exchange dues.

The back-office, the admin actions, the portal and the commands call these, so the money rules
hold everywhere. Each function is atomic and raises a RefundError with a clear, translated
message when it refuses, having changed nothing.

Locks are taken in the order of returns/locks.py: the order, then the return, then the refund
(or exchange due), then the customer. Every write here locks the order first: the order's
refunds are counted against what it paid under that lock, and settling a refund may complete
the return, which may ship an exchange's replacement order.
"""

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from refunds import credit
from refunds.amounts import parse_amount
from refunds.errors import RefundError, RefundPermissionError
from refunds.models import (
    MANUAL_PROVIDER,
    ExchangeDue,
    ProviderState,
    Refund,
    RefundMode,
    RefundStatus,
    Repayment,
    StoreCreditMovement,
)
from refunds.money import ReturnMoney, money_for_return
from refunds.providers import (
    Payment,
    ProviderError,
    ProviderRefund,
    ProviderStatus,
    ProviderUnavailable,
    UnknownProviderError,
    get_provider,
)
from refunds.quotes import Quote, quote_for_return
from refunds.selectors import committed_through_provider, committed_total_for_order
from returns.events import money_param, part
from returns.locks import (
    lock_customer,
    lock_exchange_due,
    lock_order,
    lock_refund,
    lock_return,
)
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.selectors import is_pending_inspection
from returns.services import return_complete, return_reopen, tell_customer
from returns.services._common import record_event
from shop.models import Customer, Order, ShopSettings, User
from shop.money import ZERO, format_money

logger = logging.getLogger(__name__)

REFUND_PERMISSION = "refunds.manage_refund"

# A return is refunded once approved: before the parcel arrives when the shop trusts the
# customer, usually once it is received, and after completion for a late goodwill refund.
REFUNDABLE_STATUSES = [
    ReturnStatus.APPROVED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.RECEIVED,
    ReturnStatus.COMPLETED,
]

# The refund's default mode, by what the customer asked. An exchange with no item chosen is
# refunded like money back; one with an item settles its price difference (mode exchange).
_MODE_OF_RETURN: dict[str, str] = {
    Return.RefundMode.MONEY_BACK: RefundMode.ORIGINAL_PAYMENT,
    Return.RefundMode.STORE_CREDIT: RefundMode.STORE_CREDIT,
    Return.RefundMode.EXCHANGE: RefundMode.ORIGINAL_PAYMENT,
}
# What the customer is told when a refund settles a received return.
_COMPLETION_NOTICE: dict[str, str] = {
    RefundMode.ORIGINAL_PAYMENT: "refunded",
    RefundMode.STORE_CREDIT: "credited",
    RefundMode.EXCHANGE: "exchanged",
}


# --- refunds ---------------------------------------------------------------------------------


def refund_create(
    *,
    actor: User | None,
    ret: Return,
    idempotency_key: str,
    amount: Decimal | str | None = None,
    mode: str | None = None,
    reason: str = "",
) -> Refund:
    """A pending refund of `ret`, its quote frozen.

    amount=None refunds what is left of the quote; an amount below the quote is an explicit
    partial refund and needs `reason`; above it is refused. Submitting the same form twice
    (same idempotency key) returns the first refund.
    """
    actor = _require_permission(actor)
    key = _check_key(idempotency_key)
    try:
        with transaction.atomic():
            return _create(
                actor=actor,
                ret=ret,
                key=key,
                amount=amount,
                mode=mode,
                reason=(reason or "").strip(),
            )
    except IntegrityError as exc:
        # The order lock serializes refunds of one order; what still collides is the same key
        # submitted for another order at the same time, or a constraint the checks missed.
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _same_request(existing, ret)
        raise RefundError(
            gettext(
                "This return was refunded by someone else meanwhile. "
                "Reload the page and check it again."
            )
        ) from exc


def _create(
    *,
    actor: User | None,
    ret: Return,
    key: str,
    amount: Decimal | str | None,
    mode: str | None,
    reason: str,
) -> Refund:
    # Every refund of the order is counted under this lock: two staff refunding two returns
    # of one order at once are serialized here.
    order = lock_order(ret.order_id)
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _same_request(existing, ret)
    ret = lock_return(ret.pk)
    if ret.status not in REFUNDABLE_STATUSES:
        raise RefundError(
            gettext("Return %(rma)s cannot be refunded while it is %(status)s.")
            % {"rma": ret.rma_number, "status": ReturnStatus(ret.status).label}
        )
    mode = _check_mode(ret, mode)
    state = money_for_return(ret)
    quote = state.quote
    amount, is_partial = _check_amount(ret, order, state, amount, reason)
    provider = _provider_of(order, mode)
    _check_captured(order, provider, amount)
    refund = Refund.objects.create(
        ret=ret,
        order=order,
        amount=amount,
        currency=order.currency,
        quote=quote.to_json(),
        includes_shipping=quote.includes_shipping,
        mode=mode,
        is_partial=is_partial,
        partial_reason=reason if is_partial else "",
        created_by=actor,
        idempotency_key=key,
        provider=provider,
    )
    _record(
        ret,
        actor,
        "refund.created",
        {
            "amount": money_param(amount, refund.currency),
            "mode": refund.mode,
            "quote": quote.to_json(),
        },
        note=reason if is_partial else "",
    )
    return refund


def _check_amount(
    ret: Return, order: Order, state: ReturnMoney, amount: Decimal | str | None, reason: str
) -> tuple[Decimal, bool]:
    """The amount to refund and whether it is partial, or a RefundError saying why not."""
    currency = order.currency
    quote = state.quote
    if quote.total <= 0:
        if quote.amount_due > 0:
            raise RefundError(
                gettext(
                    "Nothing to refund: the customer owes %(amount)s for this exchange. Record the "
                    "amount due instead."
                )
                % {"amount": format_money(quote.amount_due, currency)}
            )
        raise RefundError(
            gettext("Nothing to refund: the quote of return %(rma)s is %(total)s.")
            % {"rma": ret.rma_number, "total": format_money(ZERO, currency)}
        )
    already, left = state.refunded + state.pending, state.left_to_refund
    if left <= 0:
        raise RefundError(
            gettext("Return %(rma)s is already refunded: %(amount)s of its quote of %(total)s.")
            % {
                "rma": ret.rma_number,
                "amount": format_money(already, currency),
                "total": format_money(quote.total, currency),
            }
        )
    amount = left if amount is None else parse_amount(amount, currency)
    if amount > left:
        raise RefundError(
            gettext(
                "The refund cannot be more than the quote: at most %(left)s for return %(rma)s."
            )
            % {"left": format_money(left, currency), "rma": ret.rma_number}
        )
    is_partial = amount < quote.total
    if is_partial and not reason:
        raise RefundError(
            gettext(
                "%(amount)s is less than the quote of %(total)s: give the reason for this partial "
                "refund."
            )
            % {
                "amount": format_money(amount, currency),
                "total": format_money(quote.total, currency),
            }
        )
    # The invariant itself, whatever the quote says: an order never refunds more than it paid.
    committed = committed_total_for_order(order)
    if committed + amount > order.amount_paid:
        raise RefundError(
            gettext(
                "Order %(number)s paid %(paid)s and %(committed)s is already refunded or being "
                "refunded: %(amount)s more would exceed what was paid."
            )
            % {
                "number": order.number,
                "paid": format_money(order.amount_paid, currency),
                "committed": format_money(committed, currency),
                "amount": format_money(amount, currency),
            }
        )
    return amount, is_partial


def _check_captured(order: Order, provider: str, amount: Decimal) -> None:
    """A refund through the order's payment provider never takes the provider's refunds of the
    order beyond what it captured (Payment.captured: `amount_captured`, else the amount paid):
    the provider would refuse it, or worse. Asked under the order's lock, before anything is
    recorded or sent; refunds paid out by hand and store credit are not the provider's."""
    if provider == MANUAL_PROVIDER:
        return
    captured = Payment.of(order).captured
    through = committed_through_provider(order, provider)
    if through + amount > captured:
        raise RefundError(
            gettext(
                "%(provider)s captured %(captured)s for order %(number)s and %(through)s is "
                "already refunded or being refunded through it: %(amount)s more would exceed "
                "what was captured."
            )
            % {
                "provider": _provider_name(provider),
                "captured": format_money(captured, order.currency),
                "number": order.number,
                "through": format_money(through, order.currency),
                "amount": format_money(amount, order.currency),
            },
            code="refund_exceeds_captured",
        )


def refund_mark_refunded(*, actor: User | None, refund: Refund, reference: str) -> Refund:
    """The money left (or the credit was given): record who, when and the reference.

    A store-credit refund credits the customer's balance. When the return is received and this
    settles its money (nothing left to refund, nothing pending), it is completed and the
    customer told. Marking it again with the same reference changes nothing.
    """
    actor = _require_permission(actor)
    reference = (reference or "").strip()
    with transaction.atomic():
        lock_order(refund.order_id)
        ret = lock_return(refund.ret_id)
        locked = lock_refund(refund.pk)
        if locked.status == RefundStatus.REFUNDED and locked.reference == reference:
            return locked  # the same click twice
        _require_pending(locked)
        _refuse_by_hand_through_provider(locked)
        state = money_for_return(ret)
        _refuse_beyond_what_is_owed(state, locked)
        if not reference and locked.mode != RefundMode.STORE_CREDIT:
            raise RefundError(
                gettext(
                    "Type the reference of the refund: the payment provider's refund id or the "
                    "bank transfer's reference."
                )
            )
        _pay_out(locked, ret, state, actor, reference)
    return locked


def _pay_out(
    locked: Refund, ret: Return, state: ReturnMoney, actor: User | None, reference: str
) -> None:
    """The money left (staff say so, or the provider confirmed it): the refund is refunded, a
    store credit given, the customer told, and a received return settled completed."""
    locked.mark_refunded(actor=actor, reference=reference)
    locked.save(update_fields=["status", "reference", "marked_by", "marked_at", "provider_message"])
    if locked.mode == RefundMode.STORE_CREDIT:
        _credit_store(locked, ret, actor)
    code, params = _settled_message(locked)
    event = _record(ret, actor, code, params, visible_to_customer=True)
    if state.parcel_awaited:
        # Refunded before receipt: the customer is told, and asked to still send the parcel.
        tell_customer(ret, code="refunded_early", event=event, actor=actor, notify=None)
    _complete_if_settled(ret, actor, code, params, notice=_COMPLETION_NOTICE[locked.mode])


def refund_settle(
    *,
    actor: User | None,
    ret: Return,
    reference: str,
    idempotency_key: str,
    expected_status: str | None = None,
    amount: Decimal | str | None = None,
    mode: str | None = None,
    reason: str = "",
) -> Refund:
    """Refund and mark refunded: the money left for the return, with its reference.

    The return's pending refund is marked refunded as it is; otherwise a refund of what is
    left of the quote (or of `amount`, a partial refund with `reason`) is created and marked
    refunded at once. The same key twice makes one refund; nothing left to refund is refused.
    expected_status is the status the person saw: a return changed meanwhile is refused.
    Locks the order, then the return, then the refund.
    """
    actor = _require_permission(actor)
    key = _check_key(idempotency_key)
    reference = (reference or "").strip()
    with transaction.atomic():
        lock_order(ret.order_id)
        # Staleness is judged after the key: a retried first submission finds its own refund
        # even though that submission completed the return meanwhile.
        locked = lock_return(ret.pk)
        refund = _settled_by_this_request(locked, key, reference)
        if refund is None:
            if expected_status is not None and locked.status != expected_status:
                raise RefundError(
                    gettext(
                        "Return %(rma)s was changed by someone else meanwhile: it is now "
                        "%(status)s. Check it again before marking it refunded."
                    )
                    % {"rma": locked.rma_number, "status": ReturnStatus(locked.status).label}
                )
            refund = locked.refunds.filter(status=RefundStatus.PENDING).order_by("id").first()
        if refund is None:
            refund = refund_create(
                actor=actor,
                ret=locked,
                idempotency_key=key,
                amount=amount,
                mode=mode,
                reason=reason,
            )
        return refund_mark_refunded(actor=actor, refund=refund, reference=reference)


def _refuse_beyond_what_is_owed(state: ReturnMoney, refund: Refund) -> None:
    """A pending refund may be worth more than the return is owed now: made before the parcel
    arrived, then fewer units came; or another return of the order stopped coming back and took
    the original shipping out of this one's quote. Paying it out would leave the customer owing
    money back. Refused; cancel it and refund what is left."""
    if not state.live:
        return
    left = state.quote_total - state.refunded
    if refund.amount <= left:
        return
    amounts = {
        "amount": format_money(refund.amount, refund.currency),
        "left": format_money(max(left, ZERO), refund.currency),
    }
    if state.parcel_awaited:
        message = gettext(
            "This refund of %(amount)s is more than the return is owed now (%(left)s): cancel it "
            "and refund what is left."
        )
    else:
        message = gettext(
            "This refund of %(amount)s is more than is left to refund now that the parcel "
            "arrived (%(left)s): cancel it and refund what is left."
        )
    raise RefundError(message % amounts)


def _settled_by_this_request(ret: Return, key: str, reference: str) -> Refund | None:
    """The refund a first submission of this settle request made or marked: the one its key
    created, or (a pending refund keeps its own key) the one marked with this reference once
    nothing is left to refund or pending."""
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _same_request(existing, ret)
    state = money_for_return(ret)
    if not reference or state.left_to_refund or state.pending:
        return None
    return ret.refunds.filter(status=RefundStatus.REFUNDED, reference=reference).first()


def refund_mark_failed(*, actor: User | None, refund: Refund, note: str = "") -> Refund:
    """The payment provider refused the refund: it no longer holds money, a new one can be made."""
    return _close(actor, refund, note, RefundStatus.FAILED)


def refund_cancel(*, actor: User | None, refund: Refund, note: str = "") -> Refund:
    """Staff withdraw a pending refund (wrong amount, wrong mode)."""
    return _close(actor, refund, note, RefundStatus.CANCELLED)


def _close(actor: User | None, refund: Refund, note: str, status: str) -> Refund:
    actor = _require_permission(actor)
    note = (note or "").strip()
    with transaction.atomic():
        lock_order(refund.order_id)
        ret = lock_return(refund.ret_id)
        locked = lock_refund(refund.pk)
        _require_pending(locked)
        if status == RefundStatus.FAILED:
            locked.mark_failed(actor=actor, note=note)
            code = "refund.failed"
        else:
            locked.cancel(actor=actor, note=note)
            code = "refund.cancelled"
        locked.save(update_fields=["status", "note", "marked_by", "marked_at"])
        amount = money_param(locked.amount, locked.currency)
        _record(ret, actor, code, {"amount": amount}, note=note)
    return locked


def refund_reverse(*, actor: User | None, refund: Refund, reason: str) -> Refund:
    """Take back a refund paid out: the customer sent the money back, a chargeback, a refund
    made by mistake. The one audited way to undo a refund (who, when, why, on the timeline);
    the return may then be cancelled, rejected or expired again (returns.policy.closing_refusal).
    Refused once the return is completed. A store credit is taken back from the customer's
    balance, refused once it is spent. A pending refund is cancelled instead (refund_cancel).
    Locks as refund_mark_refunded."""
    actor = _require_permission(actor)
    reason = (reason or "").strip()
    with transaction.atomic():
        lock_order(refund.order_id)
        ret = lock_return(refund.ret_id)
        locked = lock_refund(refund.pk)
        locked.ret = ret  # the return as locked: the rule reads its status
        if not locked.is_reversible:
            raise RefundError(_not_reversible(locked))
        if not reason:
            raise RefundError(gettext("Say why the refund is reversed."))
        if locked.mode == RefundMode.STORE_CREDIT:
            _take_credit_back(locked, ret, actor)
        locked.reverse(actor=actor, reason=reason)
        locked.save(update_fields=["status", "reversed_by", "reversed_at", "reversal_reason"])
        params = {"amount": money_param(locked.amount, locked.currency)}
        _record(ret, actor, "refund.reversed", params, note=reason)
    return locked


def reversal_refusal(refund: Refund) -> str:
    """Why `refund` cannot be reversed, in words for staff ("" when it can)."""
    return "" if refund.is_reversible else _not_reversible(refund)


def _not_reversible(refund: Refund) -> str:
    if refund.status == RefundStatus.REFUNDED:
        # Completing settled the money for good (and may have shipped an exchange): a
        # reversal would leave a completed return owing a refund.
        return gettext("Return %(rma)s is completed: its refund can no longer be reversed.") % {
            "rma": refund.ret.rma_number
        }
    if refund.status == RefundStatus.PENDING:
        return gettext(
            "Only a refund marked refunded can be reversed; this one is pending: cancel it instead."
        )
    return gettext("Only a refund marked refunded can be reversed; this one is %(status)s.") % {
        "status": refund.get_status_display()
    }


def _take_credit_back(refund: Refund, ret: Return, actor: User) -> StoreCreditMovement:
    lock_customer(ret.order.customer_id)
    note = gettext("Return %(rma)s: refund reversed") % {"rma": ret.rma_number}
    return credit.take_back_code(refund, actor, note)


# --- through the payment provider ------------------------------------------------------------
# A refund of an order paid through a provider (Order.payment_provider) is sent to it as
# labels are to carriers (returns/services/labels.py): claimed under the locks (state
# sending), sent with no transaction open, its answer recorded under the locks again. It is
# marked refunded only when the provider confirms it (at once, or later by its webhook); a
# failure keeps the provider's words for staff, who retry with a new refund.


def refund_through_provider(
    *,
    actor: User | None,
    ret: Return,
    idempotency_key: str,
    amount: Decimal | str | None = None,
    mode: str | None = None,
    reason: str = "",
) -> Refund:
    """refund_create, then, for an order paid through a provider, the refund sent to it
    (refund_send). The same key twice makes one refund, sent once."""
    refund = refund_create(
        actor=actor,
        ret=ret,
        idempotency_key=idempotency_key,
        amount=amount,
        mode=mode,
        reason=reason,
    )
    if refund.goes_through_provider and refund.provider_state == ProviderState.NOT_SENT:
        try:
            refund = refund_send(actor=actor, refund=refund)
        except RefundError:
            fresh = Refund.objects.get(pk=refund.pk)
            if (
                fresh.status == RefundStatus.PENDING
                and fresh.provider_state == ProviderState.NOT_SENT
            ):
                raise  # refused for itself (more than arrived, say), not sent by anyone
            return fresh  # the same form sent twice at once: its first submission sends it
    return refund


def refund_send(*, actor: User | None, refund: Refund) -> Refund:
    """Send a pending refund to its provider: first time, or again after no answer (same
    idempotency key: the provider makes one refund). Refused while a send is in flight."""
    _require_permission(actor)
    return _send(refund.pk, actor)


def refund_retry(*, actor: User | None, refund: Refund, idempotency_key: str) -> Refund:
    """A failed refund tried again: a new refund (a new key at the provider) of what is still
    owed, as refunds.money counts it (the failed one holds no money), sent to the provider."""
    refusal = retry_refusal(refund)
    if refusal:
        raise RefundError(refusal)
    return refund_through_provider(
        actor=actor,
        ret=refund.ret,
        idempotency_key=idempotency_key,
        amount=refund.amount if refund.is_partial else None,
        mode=refund.mode,
        reason=refund.partial_reason,
    )


def refund_check(*, actor: User | None, refund: Refund) -> Refund:
    """Ask the provider where a refund it has stands (its webhook lost or late), with no
    transaction open, and apply the answer as a webhook's."""
    _require_permission(actor)
    refusal = check_refusal(refund)
    if refusal:
        raise RefundError(refusal)
    try:
        answer = get_provider(refund.provider).refund_status(refund.reference)
    except ProviderError as exc:
        raise RefundError(
            gettext("The provider could not tell: %(error)s") % {"error": exc}
        ) from exc
    return refund_provider_update(refund.provider, answer) or refund


def check_refusal(refund: Refund) -> str:
    """Why the provider cannot be asked about `refund`, in words for staff ("" when it can)."""
    if refund.status != RefundStatus.PENDING or not refund.goes_through_provider:
        return gettext("Only a pending refund sent to a provider can be checked there.")
    if not refund.reference:
        return gettext("The provider has not given this refund an id yet: send it again.")
    return ""


def provider_idempotency_key(refund: Refund) -> str:
    """The Idempotency-Key the provider sees: one per Refund row, the same on every send."""
    return f"refund-{refund.pk}-{refund.idempotency_key}"


def _send(refund_id: int, actor: User | None) -> Refund:
    claimed = _claim_send(refund_id)
    provider = get_provider(claimed.provider)
    try:
        answer: ProviderRefund | str = provider.refund(
            Payment.of(claimed.order),
            claimed.amount,
            claimed.currency,
            provider_idempotency_key(claimed),
            claimed.pk,
        )
    except ProviderUnavailable as exc:
        answer = str(exc)
    except ProviderError as exc:  # refused: nothing was made there
        answer = ProviderRefund(ProviderStatus.FAILED, message=str(exc))
    except Exception as exc:  # a bug must not leave it sending; whether it went is unknown
        logger.exception("provider %s failed on refund %s", claimed.provider, claimed.pk)
        answer = f"{exc.__class__.__name__}: {exc}"
    with transaction.atomic():
        lock_order(claimed.order_id)
        ret = lock_return(claimed.ret_id)
        locked = lock_refund(claimed.pk)
        if isinstance(answer, str):
            if (
                locked.status == RefundStatus.PENDING
                and locked.provider_state == ProviderState.SENDING
            ):
                locked.provider_state, locked.provider_message = ProviderState.NO_ANSWER, answer
                locked.save(update_fields=["provider_state", "provider_message"])
            return locked
        _apply_answer(locked, ret, answer, actor)
    return locked


def _claim_send(refund_id: int) -> Refund:
    with transaction.atomic():
        refund = Refund.objects.only("order_id", "ret_id").get(pk=refund_id)
        lock_order(refund.order_id)
        ret = lock_return(refund.ret_id)
        locked = lock_refund(refund_id)
        refusal = send_refusal(locked)
        if refusal:
            raise RefundError(refusal)
        _refuse_beyond_what_is_owed(money_for_return(ret), locked)
        locked.provider_state, locked.provider_sent_at = ProviderState.SENDING, timezone.now()
        locked.save(update_fields=["provider_state", "provider_sent_at"])
    return Refund.objects.select_related("order").get(pk=refund_id)


def send_refusal(refund: Refund) -> str:
    """Why `refund` cannot be sent to its provider now, in words for staff ("" when it can)."""
    if refund.status != RefundStatus.PENDING:
        return gettext("This refund is already %(status)s.") % {
            "status": refund.get_status_display()
        }
    if not refund.goes_through_provider:
        return gettext("This refund is paid out by hand: mark it refunded with its reference.")
    if _send_in_flight(refund):
        return gettext("This refund is being sent to the provider right now.")
    if refund.provider_state == ProviderState.SENT:
        return gettext("The provider has this refund: its confirmation is awaited.")
    return ""


def retry_refusal(refund: Refund) -> str:
    """Why `refund` cannot be retried, in words for staff ("" when it can)."""
    if refund.status != RefundStatus.FAILED:
        return gettext("Only a failed refund can be retried; this one is %(status)s.") % {
            "status": refund.get_status_display()
        }
    return ""


def _send_in_flight(refund: Refund) -> bool:
    """Sending, and recently: a send older than the limit died with its process."""
    if refund.provider_state != ProviderState.SENDING or refund.provider_sent_at is None:
        return False
    stale_after = timedelta(seconds=settings.REFUND_SEND_STALE_AFTER_SECONDS)
    return timezone.now() - refund.provider_sent_at < stale_after


def _apply_answer(locked: Refund, ret: Return, answer: ProviderRefund, actor: User | None) -> None:
    """What the provider says of a refund, under the locks: confirmed, refunded; failed,
    failed with its words; pending, sent. A refund no longer pending is left as it is (a
    webhook delivered twice, or after the send's own answer)."""
    if locked.status != RefundStatus.PENDING:
        if locked.status == RefundStatus.REFUNDED and answer.status == ProviderStatus.FAILED:
            _fail_after_payout(locked, ret, answer)
        return
    reference = answer.reference or locked.reference
    if answer.status == ProviderStatus.SUCCEEDED:
        # The money left: recorded whatever arrived since (refunds.money then counts what
        # the customer owes back), never refused as staff's marking would be.
        locked.provider_state = ProviderState.SENT
        locked.save(update_fields=["provider_state"])
        _pay_out(locked, ret, money_for_return(ret), actor, reference)
    elif answer.status == ProviderStatus.FAILED:
        message = answer.message or gettext("The provider refused the refund.")
        locked.reference, locked.provider_message = reference, message
        locked.provider_state = ProviderState.SENT if answer.reference else ProviderState.NOT_SENT
        locked.mark_failed(actor=actor, note=message)
        locked.save(
            update_fields=[
                "status",
                "note",
                "marked_by",
                "marked_at",
                "reference",
                "provider_state",
                "provider_message",
            ]
        )
        _record(
            ret,
            actor,
            "refund.failed",
            {"amount": money_param(locked.amount, locked.currency)},
            note=message,
        )
    else:
        locked.reference, locked.provider_message = reference, ""
        locked.provider_state = ProviderState.SENT
        locked.save(update_fields=["reference", "provider_state", "provider_message"])


def _fail_after_payout(locked: Refund, ret: Return, answer: ProviderRefund) -> None:
    """The provider reports a refund it had confirmed as failed after all (Stripe: the card
    refused the money on its way back). The money did not leave: the refund is failed with the
    provider's words, so it no longer counts (refunds.money: left to refund again), staff are
    told on the timeline and retry it (refund_retry). A return its success completed is
    reopened (received): its money is no longer settled. The system acts, under the locks."""
    logger.warning(
        "provider %s reports refund %s (ours %s) failed after it succeeded: %s",
        locked.provider,
        answer.reference,
        locked.pk,
        answer.message,
    )
    message = answer.message or gettext("The provider reports the refund failed.")
    locked.provider_message = message
    locked.mark_failed(actor=None, note=message)
    locked.save(update_fields=["status", "note", "marked_by", "marked_at", "provider_message"])
    params = {
        "amount": money_param(locked.amount, locked.currency),
        "provider": _provider_name(locked.provider),
    }
    _record(ret, None, "refund.failed_after_payout", params, note=message)
    if ret.status == ReturnStatus.COMPLETED:
        # Its status event is the customer's too: the provider's words stay on staff's.
        return_reopen(ret=ret, event_code="return.reopened", event_params=params)


def refund_provider_update(provider_code: str, answer: ProviderRefund) -> Refund | None:
    """A provider's webhook says where one of its refunds stands: applied once (a duplicate
    delivery changes nothing). None for a refund that is not ours (made in the provider's
    dashboard, say): ignored. The system acts: no person is behind a webhook."""
    refund = _refund_at_provider(provider_code, answer)
    if refund is None:
        logger.info("provider %s: refund %s is not ours, ignored", provider_code, answer.reference)
        return None
    with transaction.atomic():
        lock_order(refund.order_id)
        ret = lock_return(refund.ret_id)
        locked = lock_refund(refund.pk)
        _apply_answer(locked, ret, answer, None)
    return locked


def _refund_at_provider(provider_code: str, answer: ProviderRefund) -> Refund | None:
    """Our refund of the provider's id, or of the id it echoes (its webhook may come before
    the send recorded the provider's id)."""
    ours = Refund.objects.filter(provider=provider_code)
    found = ours.filter(reference=answer.reference).first() if answer.reference else None
    if found is None and answer.refund_id is not None:
        found = ours.filter(pk=answer.refund_id, reference__in=["", answer.reference]).first()
    return found


# The ShopSettings switch of each refund mode's automatic refund.
_AUTOMATIC_SWITCH: dict[str, str] = {
    RefundMode.ORIGINAL_PAYMENT: "auto_refund_money_back",
    RefundMode.STORE_CREDIT: "auto_refund_store_credit",
}


def automatic_refund_mode(ret: Return) -> str | None:
    """The mode the return is refunded in without a click, or None: its mode's switch is on
    (ShopSettings), it is received and inspected (its quantities known), and it has no refund
    yet (a failed automatic refund is retried by staff)."""
    if ret.status != ReturnStatus.RECEIVED or is_pending_inspection(ret):
        return None
    mode = _check_mode(ret, None)
    switch = _AUTOMATIC_SWITCH.get(mode)
    if switch is None or not getattr(ShopSettings.load(), switch):
        return None
    return None if ret.refunds.exists() else mode


def refund_automatically(ret_id: int) -> Refund | None:
    """After the receipt (or inspection) commits: the refund of what the quote says, made by
    the system through the same rules as staff's, then sent to the provider (no transaction
    open), or given at once as store credit. None when none is due or the rules refuse it
    (logged: staff refund it by hand)."""
    ret = Return.objects.select_related("order").get(pk=ret_id)
    mode = automatic_refund_mode(ret)
    if mode is None:
        return None
    try:
        with transaction.atomic():
            refund = _create(
                actor=None, ret=ret, key=f"auto-{ret.pk}", amount=None, mode=mode, reason=""
            )
            if mode == RefundMode.STORE_CREDIT:
                locked_ret, locked = lock_return(ret.pk), lock_refund(refund.pk)
                _pay_out(locked, locked_ret, money_for_return(locked_ret), None, "")
    except (RefundError, IntegrityError) as exc:
        logger.warning("no automatic refund of return %s: %s", ret.rma_number, exc)
        return None
    if refund.goes_through_provider:
        return _send(refund.pk, None)
    return refund


def refund_provider_name(ret: Return) -> str:
    """The provider the return's money goes back through, as staff read it ("" when it is
    paid out by hand, or given as store credit)."""
    code = _provider_of(ret.order, _check_mode(ret, None))
    return "" if code == MANUAL_PROVIDER else _provider_name(code)


def _provider_name(code: str) -> str:
    try:
        return get_provider(code).name
    except UnknownProviderError:  # the order names a provider this site does not have
        return code


def _provider_of(order: Order, mode: str) -> str:
    """Money back goes the way the order was paid; store credit is ours to give."""
    if mode == RefundMode.STORE_CREDIT:
        return MANUAL_PROVIDER
    return order.payment_provider or MANUAL_PROVIDER


def _refuse_by_hand_through_provider(refund: Refund) -> None:
    if refund.goes_through_provider:
        raise RefundError(
            gettext(
                "This refund goes through %(provider)s: it is marked refunded when "
                "%(provider)s confirms it, never by hand."
            )
            % {"provider": get_provider(refund.provider).name}
        )


# --- amounts owed back -----------------------------------------------------------------------


def repayment_record(
    *, actor: User | None, ret: Return, outcome: str, reference: str = "", note: str = ""
) -> Repayment:
    """Settle what the customer owes back (refunds.money: owed_back): they paid it back (with
    the payment's reference), or the merchant writes it off (with why). Records the whole amount
    owed, once: a second click finds nothing owed. Completes the received return once its money
    is settled. Locks the order, then the return."""
    actor = _require_permission(actor)
    reference, note = (reference or "").strip(), (note or "").strip()
    _check_repayment(outcome, reference, note)
    with transaction.atomic():
        order = lock_order(ret.order_id)
        locked = lock_return(ret.pk)
        owed = money_for_return(locked).owed_back
        if not owed:
            raise RefundError(
                gettext("The customer owes nothing back for return %(rma)s.")
                % {"rma": locked.rma_number}
            )
        repayment = Repayment.objects.create(
            ret=locked,
            order=order,
            amount=owed,
            currency=order.currency,
            outcome=outcome,
            reference=reference,
            note=note,
            created_by=actor,
        )
        code = "refund.repaid" if outcome == Repayment.Outcome.REPAID else "refund.written_off"
        params: dict[str, Any] = {"amount": money_param(owed, order.currency)}
        if outcome == Repayment.Outcome.REPAID:
            params["reference"] = reference
        _record(locked, actor, code, params, note=note)
        notice = _COMPLETION_NOTICE[_check_mode(locked, None)]
        _complete_if_settled(locked, actor, code, params, notice=notice)
    return repayment


def _check_repayment(outcome: str, reference: str, note: str) -> None:
    if outcome not in Repayment.Outcome.values:
        raise RefundError(gettext("Choose whether the customer paid it back or it is written off."))
    if outcome == Repayment.Outcome.REPAID and not reference:
        raise RefundError(gettext("Type the reference of the customer's payment."))
    if outcome == Repayment.Outcome.WRITTEN_OFF and not note:
        raise RefundError(gettext("Say why the amount is written off."))


# --- exchanges -------------------------------------------------------------------------------


def exchange_settle(
    *, actor: User | None, ret: Return, idempotency_key: str
) -> Refund | ExchangeDue | None:
    """Settle an exchange's price difference.

    The customer paid more than the variant they get: a pending refund (mode exchange) of the
    difference. The variant costs more: an ExchangeDue, what the customer owes (not a refund).
    Even: nothing to settle, and a received return is completed.
    """
    actor = _require_permission(actor)
    with transaction.atomic():
        order = lock_order(ret.order_id)
        ret = lock_return(ret.pk)
        if not ret.is_exchange_for_item:
            raise RefundError(
                gettext("Return %(rma)s is not an exchange for another item.")
                % {"rma": ret.rma_number}
            )
        if ret.status not in REFUNDABLE_STATUSES:
            raise RefundError(
                gettext("Return %(rma)s cannot be settled while it is %(status)s.")
                % {"rma": ret.rma_number, "status": ReturnStatus(ret.status).label}
            )
        quote = quote_for_return(ret)
        if quote.total > 0:
            return refund_create(
                actor=actor, ret=ret, idempotency_key=idempotency_key, mode=RefundMode.EXCHANGE
            )
        if quote.amount_due > 0:
            return _record_due(actor, ret, order, quote)
        _complete_if_settled(ret, actor, "exchange.even", {}, notice="exchanged")
        return None


def _record_due(actor: User, ret: Return, order: Order, quote: Quote) -> ExchangeDue:
    existing = ExchangeDue.objects.filter(ret=ret).first()
    if existing is not None:
        return existing  # settled already: the same click twice
    due = ExchangeDue.objects.create(
        ret=ret,
        order=order,
        amount=quote.amount_due,
        currency=quote.currency,
        quote=quote.to_json(),
        created_by=actor,
    )
    _record(
        ret,
        actor,
        "exchange.due",
        {"amount": money_param(due.amount, due.currency)},
        visible_to_customer=True,
    )
    return due


def exchange_due_mark_paid(*, actor: User | None, due: ExchangeDue, reference: str) -> ExchangeDue:
    """The customer paid the difference; a received return is completed (and its replacement
    order shipped)."""
    actor = _require_permission(actor)
    reference = (reference or "").strip()
    if not reference:
        raise RefundError(gettext("Type the reference of the customer's payment."))
    with transaction.atomic():
        lock_order(due.order_id)
        ret = lock_return(due.ret_id)
        locked = lock_exchange_due(due.pk)
        if locked.status == ExchangeDue.Status.PAID:
            return locked
        locked.mark_paid(actor=actor, reference=reference)
        locked.save(update_fields=["status", "reference", "paid_by", "paid_at"])
        params = {"amount": money_param(locked.amount, locked.currency)}
        _record(ret, actor, "exchange.paid", params, visible_to_customer=True)
        _complete_if_settled(ret, actor, "exchange.paid", params, notice="exchanged")
    return locked


# --- store credit ----------------------------------------------------------------------------


def store_credit_spend(
    *, actor: User | None, customer: Customer, amount: Decimal | str, currency: str, note: str = ""
) -> list[StoreCreditMovement]:
    """Spend store credit (an order paid with it, a manual correction) across the customer's
    codes, soonest to expire first: the balance never goes below zero. Staff with the refund
    permission, or the customer themselves."""
    credit.require_spender(actor, customer)
    value = parse_amount(amount, currency)
    with transaction.atomic():
        customer = lock_customer(customer.pk)
        return credit.spend_from_codes(customer, value, currency, actor, note.strip())


def _credit_store(refund: Refund, ret: Return, actor: User | None) -> StoreCreditMovement:
    """The refund as a new store credit code, with the shop's bonus for choosing credit."""
    customer = lock_customer(ret.order.customer_id)
    bonus = credit.bonus_for(refund.amount, refund.currency)
    note = gettext("Return %(rma)s") % {"rma": ret.rma_number}
    if bonus:
        note = gettext("Return %(rma)s, with a %(bonus)s bonus") % {
            "rma": ret.rma_number,
            "bonus": format_money(bonus, refund.currency),
        }
    return credit.issue_code(
        customer=customer,
        amount=refund.amount + bonus,
        currency=refund.currency,
        actor=actor,
        note=note,
        refund=refund,
    )


# --- shared ----------------------------------------------------------------------------------


def _require_permission(actor: User | None) -> User:
    """The actor, once they may make and change refunds."""
    if actor is None or not actor.has_perm(REFUND_PERMISSION):
        raise RefundPermissionError(gettext("You are not allowed to make or change refunds."))
    return actor


def _check_key(key: object) -> str:
    key = str(key or "").strip()
    if not key or len(key) > 100:
        raise RefundError(gettext("The refund form has expired. Reload the page and try again."))
    return key


def _same_request(existing: Refund, ret: Return) -> Refund:
    if existing.ret_id != ret.pk:
        raise RefundError(gettext("The refund form has expired. Reload the page and try again."))
    return existing


def _check_mode(ret: Return, mode: str | None) -> str:
    exchange = ret.is_exchange_for_item
    if mode is None:
        return RefundMode.EXCHANGE if exchange else _MODE_OF_RETURN[ret.refund_mode]
    if mode not in RefundMode.values:
        raise RefundError(gettext("Choose how the refund is paid."))
    if (mode == RefundMode.EXCHANGE) != exchange:
        raise RefundError(
            gettext(
                "An exchange's price difference is refunded in the exchange mode, and only an "
                "exchange's."
            )
        )
    return mode


def _require_pending(refund: Refund) -> None:
    if refund.status != RefundStatus.PENDING:
        raise RefundError(
            gettext("This refund is already %(status)s.") % {"status": refund.get_status_display()}
        )


# The timeline's message of a settled refund, by its mode (returns/events.py).
_SETTLED_MESSAGE: dict[str, str] = {
    RefundMode.ORIGINAL_PAYMENT: "refund.refunded",
    RefundMode.STORE_CREDIT: "refund.credited",
    RefundMode.EXCHANGE: "refund.exchange_refunded",
}


def _settled_message(refund: Refund) -> tuple[str, dict[str, Any]]:
    return _SETTLED_MESSAGE[refund.mode], {"amount": money_param(refund.amount, refund.currency)}


def _complete_if_settled(
    ret: Return, actor: User | None, code: str, params: dict[str, Any], *, notice: str
) -> None:
    """Complete a received return once its money is settled (a partial refund leaves the rest
    to refund: the return waits for it); its status event shows the settlement's message."""
    if ret.status != ReturnStatus.RECEIVED or not money_for_return(ret).settled:
        return
    # Settling the money settles the return: a refunds manager without the permission to
    # complete returns completes it as the system, the event telling who settled it.
    # The system (a provider's confirmation, an automatic refund) completes it as itself.
    completer = actor if actor is None or actor.has_perm("returns.complete_return") else None
    if completer is None and actor is not None:
        params = {**params, "then": [part("refund.settled_by", user=str(actor))]}
    return_complete(
        actor=completer,
        ret=ret,
        notification_event=notice,
        event_code=code,
        event_params=params,
    )


def _record(
    ret: Return,
    actor: User | None,
    code: str,
    params: dict[str, Any],
    *,
    note: str = "",
    visible_to_customer: bool = False,
) -> ReturnEvent:
    """A refund event: the message `code` (returns/events.py) and what the person typed;
    written by the returns' one event writer, which tells the outbound webhooks."""
    return record_event(
        ret,
        kind=ReturnEvent.Kind.REFUND,
        actor=actor,
        code=code,
        params=params,
        note=note,
        visible_to_customer=visible_to_customer,
    )
