"""Store credit as redeemable codes: issue, redeem, spend, take back, expire.

The customer's balance is the sum of the ledger (`StoreCreditMovement`); since codes exist,
every ledger row of a code moves that code's `balance` in the same transaction, so for each
customer and currency the ledger's sum equals the sum of the codes' balances.

Concurrency: every change of a customer's codes happens under the customer's lock
(returns/locks.py, rank 5), and each sets a code's balance only if it is still the one read
(compare-and-set): two redemptions at once never spend more than the balance, and the CHECK
constraints on `StoreCreditCode` refuse it if code ever tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from refunds.amounts import parse_amount
from refunds.errors import RefundError, RefundPermissionError
from refunds.models import Refund, StoreCreditCode, StoreCreditMovement
from refunds.selectors import exact_money
from returns.locks import lock_customer
from shop.models import Customer, ShopSettings, User
from shop.money import ZERO, format_money, quantize

REDEEM_PERMISSION = "refunds.redeem_storecreditcode"
SPEND_PERMISSION = "refunds.manage_refund"
# The API answers an unknown code the same as a malformed one: nothing to learn by probing.
ALPHABET = StoreCreditCode.ALPHABET


class StoreCreditError(RefundError):
    """A store credit code cannot be used that way; the message says why."""

    default_code = "store_credit_refused"


@dataclass(frozen=True)
class Redemption:
    movement: StoreCreditMovement
    code: StoreCreditCode  # its balance after the redemption


def normalise_code(typed: str) -> str:
    """A code as typed (any case, spaces or dashes anywhere) in its stored form."""
    bare = "".join(ch for ch in str(typed).upper() if ch.isalnum())
    return StoreCreditCode.grouped(bare)


def bonus_for(amount: Decimal, currency: str) -> Decimal:
    """The shop's bonus on a refund taken as store credit (ShopSettings), rounded once."""
    percent = ShopSettings.load().store_credit_bonus_percent
    return quantize(amount * percent / Decimal(100), currency)


def code_by_typed(typed: str) -> StoreCreditCode | None:
    return StoreCreditCode.objects.filter(code=normalise_code(typed)).first()


def usable_codes(customer: Customer, currency: str) -> QuerySet[StoreCreditCode]:
    """The customer's codes with a balance, not expired, soonest to expire first."""
    return (
        StoreCreditCode.objects.filter(customer=customer, currency=currency, balance__gt=0)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by(F("expires_at").asc(nulls_last=True), "id")
    )


# --- issue ------------------------------------------------------------------------------------


def issue_code(
    *,
    customer: Customer,
    amount: Decimal,
    currency: str,
    actor: User | None,
    note: str,
    refund: Refund | None = None,
) -> StoreCreditMovement:
    """A new code of `amount` and its ledger credit. Call it inside the caller's transaction,
    with the customer locked (a refund's settlement does both)."""
    valid_days = ShopSettings.load().store_credit_valid_days
    expires_at = timezone.now() + timedelta(days=valid_days) if valid_days else None
    code = _create_code(customer, amount, currency, expires_at, refund, actor)
    return StoreCreditMovement.objects.create(
        customer=customer,
        amount=amount,
        currency=currency,
        refund=refund,
        code=code,
        note=note[:255],
        created_by=actor,
    )


def _create_code(
    customer: Customer,
    amount: Decimal,
    currency: str,
    expires_at: datetime | None,
    refund: Refund | None,
    actor: User | None,
) -> StoreCreditCode:
    for _attempt in range(5):  # 79 random bits: a collision is a curiosity, not a plan
        try:
            with transaction.atomic():
                return StoreCreditCode.objects.create(
                    code=StoreCreditCode.new_code(),
                    customer=customer,
                    currency=currency,
                    amount=amount,
                    balance=amount,
                    expires_at=expires_at,
                    refund=refund,
                    created_by=actor,
                )
        except IntegrityError:
            if refund is not None and StoreCreditCode.objects.filter(refund=refund).exists():
                raise
    raise RuntimeError("five store credit codes in a row collided")  # pragma: no cover


# --- redeem (the storefront, through the API) --------------------------------------------------


def credit_code_redeem(
    *, actor: User | None, code: str, amount: object, currency: str, reference: str
) -> Redemption:
    """Spend `amount` of a code for the storefront's order `reference`. The same reference
    sent again returns the first redemption and spends nothing more."""
    if actor is None or not actor.has_perm(REDEEM_PERMISSION):
        raise RefundPermissionError(gettext("You are not allowed to redeem store credit."))
    reference = str(reference or "").strip()
    if not reference or len(reference) > 100:
        raise StoreCreditError(
            gettext("Give the order this credit pays for (a reference of 1 to 100 characters)."),
            code="reference_required",
        )
    found = _redeemable(code, currency)
    value = parse_amount(amount, found.currency)
    with transaction.atomic():
        lock_customer(found.customer_id)
        earlier = found.movements.filter(reference=reference, amount__lt=0).first()
        if earlier is not None:
            if -earlier.amount != value:
                raise StoreCreditError(
                    gettext("This code already paid %(amount)s for %(reference)s.")
                    % {
                        "amount": format_money(-earlier.amount, found.currency),
                        "reference": reference,
                    },
                    code="reference_used",
                )
            found.refresh_from_db()
            return Redemption(earlier, found)
        movement = _debit(found, value, actor, reference=reference, note=reference)
        found.refresh_from_db()
        return Redemption(movement, found)


def _redeemable(typed: str, currency: str) -> StoreCreditCode:
    found = code_by_typed(typed)
    if found is None:
        raise StoreCreditError(gettext("There is no such store credit code."), code="unknown_code")
    if found.currency != currency:
        raise StoreCreditError(
            gettext("This code holds %(currency)s.") % {"currency": found.currency},
            code="wrong_currency",
        )
    if found.is_expired():
        raise StoreCreditError(
            gettext("This store credit code expired on %(date)s.")
            % {"date": timezone.localtime(found.expires_at).date().isoformat()},
            code="code_expired",
        )
    return found


def _debit(
    code: StoreCreditCode, amount: Decimal, actor: User | None, *, reference: str = "", note: str
) -> StoreCreditMovement:
    """Take `amount` off one code and write its ledger row; the caller holds the customer's
    lock, under which every change of the customer's codes happens. The new balance is worked
    out here in Decimal and set only if the balance is still the one read (SQLite would do
    `balance - amount` in floating point)."""
    before = StoreCreditCode.objects.filter(pk=code.pk).values_list("balance", flat=True).get()
    moved = before >= amount and StoreCreditCode.objects.filter(pk=code.pk, balance=before).update(
        balance=before - amount
    )
    if not moved:
        raise StoreCreditError(
            gettext("Only %(balance)s is left on this store credit code.")
            % {"balance": format_money(before, code.currency)},
            code="insufficient_balance",
        )
    return StoreCreditMovement.objects.create(
        customer_id=code.customer_id,
        amount=-amount,
        currency=code.currency,
        code=code,
        reference=reference,
        note=note[:255],
        created_by=actor,
    )


# --- spend from the balance (staff, the customer) ---------------------------------------------


def spend_from_codes(
    customer: Customer, amount: Decimal, currency: str, actor: User | None, note: str
) -> list[StoreCreditMovement]:
    """Spend `amount` of the customer's balance across their codes, soonest to expire first.
    The customer must be locked by the caller."""
    codes = list(usable_codes(customer, currency))
    balance = sum((c.balance for c in codes), ZERO)
    if amount > balance:
        raise StoreCreditError(
            gettext("The store credit balance is only %(balance)s.")
            % {"balance": format_money(balance, currency)},
            code="insufficient_balance",
        )
    movements, left = [], amount
    for code in codes:
        if left == ZERO:
            break
        part = min(left, code.balance)
        movements.append(_debit(code, part, actor, note=note))
        left -= part
    return movements


def take_back_code(refund: Refund, actor: User, note: str) -> StoreCreditMovement:
    """A reversed refund takes back the whole code it issued (bonus included), only while
    none of it is spent. The customer must be locked by the caller."""
    code = StoreCreditCode.objects.get(refund=refund)
    taken = StoreCreditCode.objects.filter(pk=code.pk, balance=F("amount")).update(balance=ZERO)
    if not taken:
        code.refresh_from_db()
        raise StoreCreditError(
            gettext(
                "Only %(balance)s of this store credit is left on the customer's balance: it "
                "cannot be taken back."
            )
            % {"balance": format_money(code.balance, code.currency)},
            code="credit_spent",
        )
    return StoreCreditMovement.objects.create(
        customer_id=code.customer_id,
        amount=-code.amount,
        currency=code.currency,
        refund=refund,
        code=code,
        note=note[:255],
        created_by=actor,
    )


# --- expiry -------------------------------------------------------------------------------------


def credit_codes_expire_due(now: datetime | None = None) -> list[StoreCreditMovement]:
    """Write off what is left on expired codes: one ledger row each, so the customer's balance
    (the ledger's sum) stops counting it. Beat runs it hourly; a code is refused at redemption
    from its expiry instant, whether or not this ran."""
    now = now or timezone.now()
    written = []
    due = StoreCreditCode.objects.filter(balance__gt=0, expires_at__lte=now).order_by("id")
    for code_id, customer_id in due.values_list("id", "customer_id"):
        with transaction.atomic():
            lock_customer(customer_id)
            code = StoreCreditCode.objects.get(pk=code_id)
            left = code.balance
            if left <= 0:
                continue
            StoreCreditCode.objects.filter(pk=code.pk, balance=left).update(balance=ZERO)
            written.append(
                StoreCreditMovement.objects.create(
                    customer_id=customer_id,
                    amount=-left,
                    currency=code.currency,
                    code=code,
                    note=gettext("Code %(code)s expired") % {"code": code.code},
                )
            )
    return written


def credit_summary(customer: Customer) -> dict[str, Decimal]:
    """The customer's balance per currency: the ledger's sum (what the portal shows)."""
    rows = (
        StoreCreditMovement.objects.filter(customer=customer)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    totals = {row["currency"]: exact_money(row["total"]) for row in rows}
    return {currency: total for currency, total in totals.items() if total}


def require_spender(actor: User | None, customer: Customer) -> None:
    own_account = actor is not None and getattr(actor, "customer", None) == customer
    if not own_account and (actor is None or not actor.has_perm(SPEND_PERMISSION)):
        raise RefundPermissionError(gettext("You are not allowed to make or change refunds."))
