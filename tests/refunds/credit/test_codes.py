"""Store credit as codes (refunds/credit.py): a refund taken as credit issues a code holding it
(with the shop's bonus), the storefront redeems it in parts, never beyond its balance, never
after its expiry; the customer's balance is the ledger's sum and equals the codes' balances."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Sum
from django.utils import timezone

from refunds import credit
from refunds.credit import StoreCreditError
from refunds.models import StoreCreditCode, StoreCreditMovement
from refunds.selectors import exact_money, store_credit_balance
from refunds.services import (
    RefundError,
    RefundPermissionError,
    refund_create,
    refund_mark_refunded,
    refund_reverse,
    store_credit_spend,
)
from returns.models import Return
from shop.models import ShopSettings
from tests.factories import StaffFactory, make_order
from tests.refunds.factories import worked_example
from tests.refunds.test_refund_reversal import refunded_before_receipt

pytestmark = pytest.mark.django_db


def credited(manager, *, bonus: str = "0", valid_days: int = 0) -> StoreCreditCode:
    """The worked example (33.73) refunded as store credit; the code it issued."""
    settings = ShopSettings.load()
    settings.store_credit_bonus_percent = Decimal(bonus)
    settings.store_credit_valid_days = valid_days
    settings.save()
    ret = worked_example(mode=Return.RefundMode.STORE_CREDIT)
    refund = refund_create(actor=manager, ret=ret, idempotency_key="form-1")
    refund_mark_refunded(actor=manager, refund=refund, reference="")
    return StoreCreditCode.objects.get(refund=refund)


@pytest.fixture
def storefront(db):
    """The API key's service user: it may redeem codes (api.scopes STORE_CREDIT_REDEEM)."""
    user = StaffFactory(email="storefront@shop.example")
    user.user_permissions.add(Permission.objects.get(codename="redeem_storecreditcode"))
    return type(user).objects.get(pk=user.pk)


def ledger_sum(customer, currency="EUR") -> Decimal:
    return store_credit_balance(customer, currency)


def codes_sum(customer, currency="EUR") -> Decimal:
    return exact_money(
        StoreCreditCode.objects.filter(customer=customer, currency=currency).aggregate(
            total=Sum("balance")
        )["total"]
    )


def test_a_store_credit_refund_issues_one_unguessable_code_holding_it(manager):
    # when
    code = credited(manager)
    # then
    assert (code.amount, code.balance, code.currency, code.expires_at) == (
        Decimal("33.73"),
        Decimal("33.73"),
        "EUR",
        None,
    )
    assert len(code.code) == 19
    assert code.code.count("-") == 3
    assert set(code.code.replace("-", "")) <= set(credit.ALPHABET)
    (movement,) = StoreCreditMovement.objects.all()
    assert (movement.amount, movement.code, movement.refund) == (
        Decimal("33.73"),
        code,
        code.refund,
    )


def test_the_bonus_is_added_when_the_customer_takes_credit(manager):
    # when: a 10 % bonus on 33.73
    code = credited(manager, bonus="10")
    # then: 3.373 rounds once to 3.37
    assert code.amount == Decimal("37.10")
    assert code.refund.amount == Decimal("33.73")  # the money owed stays the quote
    (movement,) = StoreCreditMovement.objects.all()
    assert movement.amount == Decimal("37.10")
    assert movement.note == f"Return {code.refund.ret.rma_number}, with a €3.37 bonus"


def test_partial_redemptions_down_to_zero_and_no_further(manager, storefront):
    # given
    code = credited(manager)
    # when
    first = credit.credit_code_redeem(
        actor=storefront, code=code.code.lower(), amount="20.00", currency="EUR", reference="W-1"
    )
    second = credit.credit_code_redeem(
        actor=storefront, code=code.code, amount="13.73", currency="EUR", reference="W-2"
    )
    # then
    assert (first.code.balance, second.code.balance) == (Decimal("13.73"), Decimal("0.00"))
    with pytest.raises(StoreCreditError, match=r"Only €0\.00 is left") as refused:
        credit.credit_code_redeem(
            actor=storefront, code=code.code, amount="0.01", currency="EUR", reference="W-3"
        )
    assert refused.value.code == "insufficient_balance"
    assert StoreCreditMovement.objects.filter(reference="W-3").count() == 0
    assert ledger_sum(code.customer) == codes_sum(code.customer) == Decimal("0.00")


def test_the_same_reference_sent_again_spends_once(manager, storefront):
    # given
    code = credited(manager)
    first = credit.credit_code_redeem(
        actor=storefront, code=code.code, amount="10.00", currency="EUR", reference="W-1"
    )
    # when: the storefront's retry
    again = credit.credit_code_redeem(
        actor=storefront, code=code.code, amount="10.00", currency="EUR", reference="W-1"
    )
    # then
    assert again.movement == first.movement
    assert again.code.balance == Decimal("23.73")
    with pytest.raises(StoreCreditError, match=r"already paid €10\.00 for W-1"):
        credit.credit_code_redeem(
            actor=storefront, code=code.code, amount="5.00", currency="EUR", reference="W-1"
        )
    assert StoreCreditMovement.objects.filter(amount__lt=0).count() == 1


@pytest.mark.parametrize(
    ("typed", "currency", "amount", "code"),
    [
        ("AAAA-BBBB-CCCC-DDDD", "EUR", "1.00", "unknown_code"),
        (None, "GBP", "1.00", "wrong_currency"),
        (None, "EUR", "1.001", "refund_refused"),
        (None, "EUR", "-1", "refund_refused"),
    ],
)
def test_bad_redemptions_are_refused_and_change_nothing(
    manager, storefront, typed, currency, amount, code
):
    # given
    issued = credited(manager)
    # when
    with pytest.raises(RefundError) as refused:
        credit.credit_code_redeem(
            actor=storefront,
            code=typed or issued.code,
            amount=amount,
            currency=currency,
            reference="W-1",
        )
    # then
    assert refused.value.code == code
    issued.refresh_from_db()
    assert issued.balance == Decimal("33.73")
    assert StoreCreditMovement.objects.count() == 1


def test_only_who_may_redeem_redeems(manager):
    code = credited(manager)
    with pytest.raises(RefundPermissionError):
        credit.credit_code_redeem(
            actor=StaffFactory(), code=code.code, amount="1.00", currency="EUR", reference="W-1"
        )
    code.refresh_from_db()
    assert code.balance == Decimal("33.73")


def test_an_expired_code_is_refused_then_written_off_by_the_sweep(manager, storefront):
    # given: codes valid 30 days, this one issued 31 days ago
    code = credited(manager, valid_days=30)
    assert code.expires_at is not None
    StoreCreditCode.objects.filter(pk=code.pk).update(expires_at=timezone.now() - timedelta(days=1))
    # when
    with pytest.raises(StoreCreditError, match="expired") as refused:
        credit.credit_code_redeem(
            actor=storefront, code=code.code, amount="1.00", currency="EUR", reference="W-1"
        )
    written = credit.credit_codes_expire_due()
    # then
    assert refused.value.code == "code_expired"
    assert [m.amount for m in written] == [Decimal("-33.73")]
    code.refresh_from_db()
    assert code.balance == Decimal("0.00")
    assert ledger_sum(code.customer) == codes_sum(code.customer) == Decimal("0.00")
    assert credit.credit_codes_expire_due() == []  # once


def test_spending_the_balance_takes_the_soonest_expiring_code_first(manager):
    # given: two codes, the second expires sooner
    first = credited(manager)
    customer = first.customer
    later = credit.issue_code(
        customer=customer, amount=Decimal("10.00"), currency="EUR", actor=manager, note="gift"
    ).code
    StoreCreditCode.objects.filter(pk=later.pk).update(expires_at=timezone.now() + timedelta(1))
    # when
    store_credit_spend(actor=manager, customer=customer, amount="15.00", currency="EUR")
    # then
    later.refresh_from_db()
    first.refresh_from_db()
    assert (later.balance, first.balance) == (Decimal("0.00"), Decimal("28.73"))
    assert ledger_sum(customer) == codes_sum(customer) == Decimal("28.73")


@pytest.fixture
def order(customer, reasons, shop_settings):
    """One jacket at 59.09 and 6.00 shipping: a whole return owes 65.09."""
    return make_order([(1, "59.09")], shipping="6.00", customer=customer, email=customer.email)


def credited_before_receipt(order, staff, manager) -> StoreCreditCode:
    """65.09 refunded as store credit while the parcel is awaited (reversible), +10 %."""
    settings = ShopSettings.load()
    settings.store_credit_bonus_percent = Decimal("10")
    settings.save()
    refund = refunded_before_receipt(order, staff, manager, mode=Return.RefundMode.STORE_CREDIT)
    return StoreCreditCode.objects.get(refund=refund)


def test_a_reversed_refund_takes_back_its_code_with_the_bonus_only_while_unspent(
    order, staff, manager, storefront
):
    # given: 65.09 + 6.51 bonus, of which 0.10 spent
    code = credited_before_receipt(order, staff, manager)
    assert code.amount == Decimal("71.60")
    credit.credit_code_redeem(
        actor=storefront, code=code.code, amount="0.10", currency="EUR", reference="W-1"
    )
    # when / then: nothing is taken back
    with pytest.raises(RefundError, match=r"Only €71\.50 of this store credit is left"):
        refund_reverse(actor=manager, refund=code.refund, reason="chargeback")
    code.refresh_from_db()
    assert code.balance == Decimal("71.50")
    assert code.refund.status == "refunded"


def test_a_reversed_refund_takes_back_an_unspent_code_whole(order, staff, manager):
    # given
    code = credited_before_receipt(order, staff, manager)
    # when
    refund_reverse(actor=manager, refund=code.refund, reason="chargeback")
    # then
    code.refresh_from_db()
    assert code.balance == Decimal("0.00")
    assert ledger_sum(code.customer) == codes_sum(code.customer) == Decimal("0.00")
    assert StoreCreditMovement.objects.filter(refund=code.refund, amount__lt=0).get().amount == (
        Decimal("-71.60")
    )


def test_beat_writes_off_expired_codes(manager, settings):
    # given
    from refunds.tasks import expire_store_credit

    code = credited(manager, valid_days=30)
    StoreCreditCode.objects.filter(pk=code.pk).update(expires_at=timezone.now())
    # when
    written = expire_store_credit()
    # then
    assert written == 1
    assert store_credit_balance(code.customer, "EUR") == Decimal("0.00")
    assert settings.CELERY_BEAT_SCHEDULE["store-credit-expire"] == {
        "task": "refunds.tasks.expire_store_credit",
        "schedule": 3600.0,
    }
