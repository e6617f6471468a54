"""Concurrent redemptions of one code on PostgreSQL: never more than its balance, whatever
the interleaving; the ledger's sum stays equal to the code's balance."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from refunds import credit
from refunds.credit import StoreCreditError
from refunds.models import StoreCreditCode, StoreCreditMovement
from refunds.selectors import store_credit_balance
from tests.factories import CustomerFactory, StaffFactory
from tests.fixtures.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def storefront():
    user = StaffFactory(email="storefront@shop.example")
    user.user_permissions.add(Permission.objects.get(codename="redeem_storecreditcode"))
    return type(user).objects.get(pk=user.pk)


def test_eight_redemptions_of_ten_euros_on_a_thirty_euro_code_spend_thirty(storefront):
    # given
    customer = CustomerFactory()
    code = credit.issue_code(
        customer=customer, amount=Decimal("30.00"), currency="EUR", actor=None, note="gift"
    ).code

    def redeem(n):
        return lambda: credit.credit_code_redeem(
            actor=storefront, code=code.code, amount="10.00", currency="EUR", reference=f"W-{n}"
        )

    # when
    outcomes = race(*[redeem(n) for n in range(8)])
    # then: three succeed, five are refused for the balance
    won = [o for o in outcomes if isinstance(o, credit.Redemption)]
    refused = [o for o in outcomes if isinstance(o, StoreCreditError)]
    assert (len(won), len(refused)) == (3, 5), outcomes
    assert {o.code for o in refused} == {"insufficient_balance"}
    code.refresh_from_db()
    assert code.balance == Decimal("0.00")
    assert StoreCreditMovement.objects.filter(amount__lt=0).count() == 3
    assert store_credit_balance(customer, "EUR") == Decimal("0.00")


def test_one_reference_sent_eight_times_at_once_spends_once(storefront):
    # given
    customer = CustomerFactory()
    code = credit.issue_code(
        customer=customer, amount=Decimal("30.00"), currency="EUR", actor=None, note="gift"
    ).code
    # when
    outcomes = race(
        *[
            lambda: credit.credit_code_redeem(
                actor=storefront, code=code.code, amount="12.50", currency="EUR", reference="W-1"
            )
        ]
        * 8
    )
    # then
    assert {o.movement.pk for o in outcomes} == {StoreCreditMovement.objects.get(amount__lt=0).pk}
    assert StoreCreditCode.objects.get(pk=code.pk).balance == Decimal("17.50")
