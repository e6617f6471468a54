"""Creating a return: by the customer from the portal, or by staff from an order.

Both ask the returns policy (returns/policy.py: the order's state, the window, the refund modes
and delivery options offered) and check reasons and quantities, under a lock on the order row,
so two requests at once cannot both take the last unit.

Both are idempotent by the key their form carries: the same form submitted twice, or twice at
once, makes one return (one event, one email). The unique index on the key decides a race the
order lock does not serialize.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from returns import policy
from returns.errors import ReturnError, ReturnPermissionError
from returns.locks import lock_order
from returns.models import (
    FeeLine,
    Return,
    ReturnAction,
    ReturnEvent,
    ReturnLine,
    ReturnReason,
    ReturnRule,
    ReturnStatus,
    ShippingMethod,
)
from returns.rules import RuleOutcome
from returns.selectors import ReturnableLines, returnable_lines
from returns.services._common import (
    check_action,
    record_event,
    record_status_event,
    require_transition,
    save_transition,
    tell_customer,
)
from returns.services.exchanges import on_approval
from returns.services.photos import PreparedPhoto, photo_files_removed_on_failure, photos_add
from returns.services.rules import apply_rules, approve_by_rule, tell_approval
from shop.models import Order, OrderLine, ShopSettings, User, Variant
from shop.money import quantize
from shop.roles import roles_with_permission


@dataclass(frozen=True)
class ReturnLineInput:
    order_line_id: int
    quantity: int
    reason_code: str
    reason_detail: str = ""
    restock: bool | None = None  # None = the reason's default (always False for POS-managed stock)
    photos: tuple[PreparedPhoto, ...] = ()  # checked and re-encoded (services.photos)
    # For an exchange: the size or colour of this line's product wanted instead.
    exchange_variant: Variant | None = None


@dataclass(frozen=True)
class _CheckedLine:
    order_line: OrderLine
    quantity: int
    reason: ReturnReason
    reason_detail: str
    restock: bool
    photos: tuple[PreparedPhoto, ...] = ()
    exchange_variant: Variant | None = None


def return_request(
    *,
    actor: User | None,
    order: Order,
    idempotency_key: str,
    lines: list[ReturnLineInput],
    refund_mode: str,
    delivery_option: str,
    customer_comment: str = "",
    notify_customer: bool | None = None,
    guest_order_verified: bool = False,
    shop_settings: ShopSettings | None = None,
    rules: list[ReturnRule] | None = None,
    reasons: Mapping[str, ReturnReason] | None = None,
) -> Return:
    """A customer asks, from the portal, to return items of one of their orders.

    guest_order_verified: the portal checked that this session's guest knows this very order
    (its number with its email or postcode); actor=None then acts as the order's customer.
    idempotency_key: the confirm page's; a replay returns the first return of that key.
    shop_settings, rules (the active ones, in order), reasons (the active ones, by code): as
    the caller read them for its own checks (None: read here). Nothing that changes them takes
    the order's lock, so reading them again under it would promise nothing more. What the lock
    does hold (the order, the key's return, its lines with what its returns hold) is read
    here, under it, whatever the caller read.
    """
    customer_user_id = order.customer.user_id
    is_guest = actor is None and guest_order_verified
    if not is_guest and (actor is None or customer_user_id is None or customer_user_id != actor.pk):
        raise ReturnPermissionError(gettext("This order does not belong to your account."))
    key = _check_key(idempotency_key)
    try:
        with photo_files_removed_on_failure(), transaction.atomic():
            return _request(
                actor=actor,
                order=order,
                key=key,
                lines=lines,
                refund_mode=refund_mode,
                delivery_option=delivery_option,
                customer_comment=customer_comment,
                notify_customer=notify_customer,
                shop_settings=shop_settings,
                rules=rules,
                reasons=reasons,
            )
    except IntegrityError:
        return _winner(key, order)


def _request(
    *,
    actor: User | None,
    order: Order,
    key: str,
    lines: list[ReturnLineInput],
    refund_mode: str,
    delivery_option: str,
    customer_comment: str,
    notify_customer: bool | None,
    shop_settings: ShopSettings | None,
    rules: list[ReturnRule] | None,
    reasons: Mapping[str, ReturnReason] | None,
) -> Return:
    order = lock_order(order.pk)
    # What the lock holds, read under it in one statement: the lines, what the returns hold of
    # them and the key's return (a form sent again gets it back before any check).
    held = returnable_lines(order, key=key)
    if held.keyed_return_id is not None or not held.lines:
        replayed = _replayed(key, order)
        if replayed is not None:
            return replayed
    settings = shop_settings or ShopSettings.load()
    _check_choices(refund_mode, delivery_option)
    broken = _broken_rules(order, settings, Return.Channel.PORTAL, refund_mode, delivery_option)
    if broken:
        raise ReturnError(broken[0].message, code=broken[0].code)
    checked = _check_lines(order, lines, reasons, held=held)
    _check_photos(checked)
    _check_exchange_variants(refund_mode, checked, from_portal=True)
    outcome = apply_rules(
        order,
        checked,
        channel=Return.Channel.PORTAL,
        shop_settings=settings,
        delivery_option=delivery_option,
        rules=rules,
    )
    if outcome.blocked:
        raise ReturnError(
            " ".join(outcome.blocked_messages()), code=policy.RefusalCode.BLOCKED_BY_RULE
        )
    ret = _create_return(
        order=order,
        actor=actor,
        channel=Return.Channel.PORTAL,
        lines=checked,
        refund_mode=refund_mode,
        delivery_option=policy.delivery_option_for(delivery_option, outcome),
        customer_comment=customer_comment,
        notify=_default(notify_customer, settings.notify_customers_by_default),
        return_fee=outcome.fee,
        fees=outcome.fees,
        keep_item=outcome.keep_item,
        shipping_method=outcome.shipping_method,
        key=key,
    )
    event = record_status_event(ret, actor=actor, from_status="")
    if outcome.auto_approve:
        approve_by_rule(ret, outcome.approval_rule)
    else:
        tell_customer(ret, code="requested", event=event, actor=actor, notify=None)
    return ret


def return_create(
    *,
    actor: User | None,
    order: Order,
    idempotency_key: str,
    lines: list[ReturnLineInput],
    refund_mode: str,
    delivery_option: str,
    action: ReturnAction | None = None,
    start_status: str = ReturnStatus.REQUESTED,
    customer_comment: str = "",
    staff_note: str = "",
    notify_customer: bool | None = None,
    return_fee: Decimal | None = None,
    override_reason: str = "",
) -> Return:
    """Staff create a return from an order, possibly approved at once.

    Staff may create returns while customers cannot request them. A broken rule (the policy's
    refusals: an order cancelled or not delivered, the window, refund mode, delivery option; a
    return rule's block) needs an override reason and the override permission, and is recorded
    as an OVERRIDE event. Reasons and quantities are never overridden. The return rules also
    set the fee (unless `return_fee` is given), the shipping method, in-store only and approval
    at once (returns/rules.py).
    """
    if actor is None or not actor.has_perm("returns.add_return"):
        raise ReturnPermissionError(gettext("You are not allowed to create returns."))
    if start_status not in (ReturnStatus.REQUESTED, ReturnStatus.APPROVED):
        raise ReturnError(gettext("A new return starts as requested or approved."))
    key = _check_key(idempotency_key)
    try:
        with photo_files_removed_on_failure(), transaction.atomic():
            return _create_by_staff(
                actor=actor,
                order=order,
                key=key,
                lines=lines,
                refund_mode=refund_mode,
                delivery_option=delivery_option,
                action=action,
                start_status=start_status,
                customer_comment=customer_comment,
                staff_note=staff_note,
                notify_customer=notify_customer,
                return_fee=return_fee,
                override_reason=override_reason.strip(),
            )
    except IntegrityError:
        return _winner(key, order)


def _create_by_staff(
    *,
    actor: User,
    order: Order,
    key: str,
    lines: list[ReturnLineInput],
    refund_mode: str,
    delivery_option: str,
    action: ReturnAction | None,
    start_status: str,
    customer_comment: str,
    staff_note: str,
    notify_customer: bool | None,
    return_fee: Decimal | None,
    override_reason: str,
) -> Return:
    order = lock_order(order.pk)
    replayed = _replayed(key, order)
    if replayed is not None:
        return replayed
    settings = ShopSettings.load()
    _check_choices(refund_mode, delivery_option)
    broken = _broken_rules(order, settings, Return.Channel.BACKOFFICE, refund_mode, delivery_option)
    if broken:
        _refuse_unless_overridden(actor, override_reason, [broken[0].message])
    checked = _check_lines(order, lines)
    _check_exchange_variants(refund_mode, checked, from_portal=False)
    outcome = apply_rules(
        order,
        checked,
        channel=Return.Channel.BACKOFFICE,
        shop_settings=settings,
        delivery_option=delivery_option,
    )
    if outcome.blocked:
        # A block is a rule like the window: overridden with a reason and the permission.
        _refuse_unless_overridden(actor, override_reason, outcome.blocked_messages())
        broken = [*broken, *_blocked_refusals(outcome)]
    check_action(action)
    fee = _check_fee(outcome.fee if return_fee is None else return_fee, order.currency)
    ret = _create_return(
        order=order,
        actor=actor,
        channel=Return.Channel.BACKOFFICE,
        lines=checked,
        refund_mode=refund_mode,
        delivery_option=policy.delivery_option_for(delivery_option, outcome),
        action=action,
        customer_comment=customer_comment,
        staff_note=staff_note,
        notify=_default(notify_customer, settings.notify_customers_by_default),
        return_fee=fee,
        # Staff who type the fee set one fee of theirs; otherwise the rules' lines.
        fees=outcome.fees if return_fee is None else (),
        keep_item=outcome.keep_item,
        shipping_method=outcome.shipping_method,
        key=key,
    )
    event = record_status_event(ret, actor=actor, from_status="")
    if broken:
        # The rules broken, by code: each reader reads them in their own language.
        record_event(
            ret,
            kind=ReturnEvent.Kind.OVERRIDE,
            actor=actor,
            code="rule.overridden",
            params={
                "reason": override_reason,
                "then": [refusal.event_part() for refusal in broken],
            },
        )
    if start_status == ReturnStatus.APPROVED:
        require_transition(ret, "approve", actor)
        ret.approve()
        save_transition(ret)
        event = record_status_event(ret, actor=actor, from_status=ReturnStatus.REQUESTED)
        on_approval(ret, actor=actor)
        tell_approval(ret, event=event, actor=actor, notify=None)
    elif outcome.auto_approve:
        approve_by_rule(ret, outcome.approval_rule)
    else:
        tell_customer(ret, code="requested", event=event, actor=actor, notify=None)
    return ret


def _check_key(key: str) -> str:
    key = str(key or "").strip()
    if not key or len(key) > 100:
        raise ReturnError(gettext("This form has expired. Reload the page and try again."))
    return key


def _replayed(key: str, order: Order) -> Return | None:
    """The return this key already made, read under the order's lock: a form submitted again
    gets it back. The same key on another order is another form's: refused."""
    existing = Return.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.order_id != order.pk:
        raise ReturnError(
            gettext("This form was sent for another order. Reload the page and try again.")
        )
    return existing


def _winner(key: str, order: Order) -> Return:
    """After a collision on the key's unique index: the return that won the race, or a refusal
    when the collision was something else (then nothing was written: the savepoint is gone)."""
    winner = _replayed(key, order)
    if winner is None:
        raise ReturnError(gettext("This return could not be saved. Reload the page and try again."))
    return winner


def _refuse_unless_overridden(actor: User, override_reason: str, refusals: list[str]) -> None:
    """A broken rule is overridden only with the override permission and a reason; a person
    without the permission is told who has it, never asked for a reason they cannot give."""
    if not actor.has_perm(policy.OVERRIDE_PERMISSION):
        raise ReturnPermissionError(" ".join([*refusals, override_refusal()]))
    if not override_reason:
        raise ReturnError(
            " ".join(
                [
                    *refusals,
                    gettext(
                        "To create the return anyway, give the reason for overriding this rule."
                    ),
                ]
            )
        )


def override_refusal() -> str:
    """What a person without the override permission is told: who may override the rules."""
    roles = roles_with_permission(policy.OVERRIDE_PERMISSION)
    if not roles:
        return gettext("Only a superuser can override the return rules.")
    return gettext(
        "Only staff allowed to override the return rules can create this return: ask someone "
        "in the group %(roles)s."
    ) % {"roles": ", ".join(f"“{role}”" for role in roles)}


def _default(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def _check_choices(refund_mode: str, delivery_option: str) -> None:
    if refund_mode not in Return.RefundMode.values:
        raise ReturnError(gettext("Choose how you would like to be refunded."))
    if delivery_option not in Return.DeliveryOption.values:
        raise ReturnError(gettext("Choose how the items will come back to us."))


def _broken_rules(
    order: Order, settings: ShopSettings, channel: str, refund_mode: str, delivery_option: str
) -> list[policy.Refusal]:
    """The policy's refusals of this return: a customer is refused, staff may override them."""
    return [
        *policy.order_refusals(order, settings, channel=channel),
        *policy.choice_refusals(settings, refund_mode=refund_mode, delivery_option=delivery_option),
    ]


def _blocked_refusals(outcome: RuleOutcome) -> list[policy.Refusal]:
    """The items the return rules block, one refusal each, with the rule's message in both
    languages (typed by staff)."""
    return [
        policy.Refusal(
            policy.RefusalCode.BLOCKED_BY_RULE,
            message,
            {
                "item": blocked.item,
                "message": {"fr": blocked.rule.message_fr, "en": blocked.rule.message_en},
            },
        )
        for blocked, message in zip(
            outcome.blocked.values(), outcome.blocked_messages(), strict=True
        )
    ]


def _check_lines(
    order: Order,
    lines: list[ReturnLineInput],
    reasons: Mapping[str, ReturnReason] | None = None,
    held: ReturnableLines | None = None,
) -> list[_CheckedLine]:
    """The lines asked, checked against the order's lines and what its returns hold now (read
    under the order's lock, with the lines: an import changes them under that lock; `held`:
    as the caller read them under it, None: read here) and the reasons (`reasons`: the active
    ones by code, as the caller read them; None: read here)."""
    if not lines:
        raise ReturnError(gettext("Choose at least one item to return."))
    read_lines, remaining, _keyed = held or returnable_lines(order)
    order_lines = {line.pk: line for line in read_lines}
    if reasons is None:
        reasons = {
            reason.code: reason
            for reason in ReturnReason.objects.filter(code__in=[line.reason_code for line in lines])
        }
    checked, seen = [], set()
    for item in lines:
        order_line = order_lines.get(item.order_line_id)
        if order_line is None:
            raise ReturnError(
                gettext("This item is not part of order %(number)s.") % {"number": order.number}
            )
        if order_line.pk in seen:
            raise ReturnError(gettext("Each item can appear only once in a return."))
        seen.add(order_line.pk)
        reason = _check_reason(reasons.get(item.reason_code), item)
        _check_quantity(item.quantity, remaining[order_line.pk], order_line)
        checked.append(
            _CheckedLine(
                order_line=order_line,
                quantity=item.quantity,
                reason=reason,
                reason_detail=item.reason_detail.strip(),
                restock=_restock_choice(item.restock, reason, order_line.variant),
                photos=tuple(item.photos),
                exchange_variant=item.exchange_variant,
            )
        )
    return checked


def _check_photos(checked: list[_CheckedLine]) -> None:
    """The customer's photos are what each line's reason asks (returns.policy.photos_refusal);
    staff, who see the item, are not asked for any."""
    for line in checked:
        refusal = policy.photos_refusal(
            line.reason.needs_photos, len(line.photos), item=line.order_line.variant
        )
        if refusal is not None:
            raise ReturnError(refusal.message, code=refusal.code)


def _check_reason(reason: ReturnReason | None, item: ReturnLineInput) -> ReturnReason:
    if reason is None or not reason.active:
        raise ReturnError(gettext("Choose a reason for each item from the list."))
    if reason.needs_detail and not item.reason_detail.strip():
        raise ReturnError(
            gettext("Please tell us more about the reason “%(reason)s”.") % {"reason": reason.name}
        )
    return reason


def _check_quantity(quantity: object, remaining: int, order_line: OrderLine) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise ReturnError(gettext("The quantity to return must be at least 1."))
    if remaining == 0:
        raise ReturnError(
            gettext("“%(item)s” is already being returned in full.") % {"item": order_line.variant}
        )
    if quantity > remaining:
        raise ReturnError(
            gettext("You can return at most %(count)d of “%(item)s”.")
            % {"count": remaining, "item": order_line.variant}
        )


def _restock_choice(choice: bool | None, reason: ReturnReason, variant: Variant) -> bool:
    # The point of sale owns that stock: returns never write it, so there is no choice to make.
    if variant.stock_managed_by_pos:
        return False
    return reason.restock_by_default if choice is None else bool(choice)


def _check_exchange_variants(
    refund_mode: str, lines: list[_CheckedLine], *, from_portal: bool
) -> None:
    """The policy's answer (returns.policy.exchange_refusals, also behind the portal's offer):
    with "exchange", every line names another size or colour of its own product, for a
    customer still sold and in stock for every unit wanted; with a refund, none names one."""
    ids = {line.exchange_variant.pk for line in lines if line.exchange_variant is not None}
    # Their stock and status now, not when the form was shown.
    fresh = Variant.objects.select_related("product").in_bulk(ids)
    wanted = [
        policy.WantedExchange(
            key=line.order_line.pk,
            variant=fresh[line.exchange_variant.pk] if line.exchange_variant is not None else None,
            product_id=line.order_line.variant.product_id,
            units=line.quantity,
        )
        for line in lines
    ]
    refusals = policy.exchange_refusals(wanted, refund_mode=refund_mode, by_staff=not from_portal)
    if refusals:
        refusal = next(iter(refusals.values()))
        raise ReturnError(refusal.message, code=refusal.code)


def _check_fee(fee: Decimal, currency: str) -> Decimal:
    fee = quantize(fee, currency)
    if fee < 0:
        raise ReturnError(gettext("The return fee cannot be negative."))
    return fee


def _create_return(
    *,
    order: Order,
    actor: User | None,
    channel: str,
    lines: list[_CheckedLine],
    refund_mode: str,
    delivery_option: str,
    notify: bool,
    return_fee: Decimal,
    customer_comment: str = "",
    staff_note: str = "",
    action: ReturnAction | None = None,
    shipping_method: ShippingMethod | None = None,
    fees: tuple[FeeLine, ...] = (),
    keep_item: bool = False,
    key: str,
) -> Return:
    ret = Return.objects.create(
        idempotency_key=key,
        order=order,
        created_by=actor,
        channel=channel,
        action=action,
        refund_mode=refund_mode,
        delivery_option=delivery_option,
        customer_comment=customer_comment.strip(),
        staff_note=staff_note.strip(),
        notify_customer=notify,
        return_fee=return_fee,
        fees=[fee.to_json() for fee in fees],
        keep_item=keep_item,
        shipping_method=shipping_method,
    )
    # One INSERT whatever the number of lines (the ids come back on PostgreSQL and SQLite).
    created = ReturnLine.objects.bulk_create(
        ReturnLine(
            ret=ret,
            order_line=line.order_line,
            quantity=line.quantity,
            reason=line.reason,
            reason_detail=line.reason_detail,
            # An item the customer keeps never comes back to the shelf.
            restock=line.restock and not keep_item,
            exchange_variant=line.exchange_variant,
        )
        for line in lines
    )
    for line, row in zip(lines, created, strict=True):
        if line.photos:
            photos_add(row, list(line.photos))
    return ret
