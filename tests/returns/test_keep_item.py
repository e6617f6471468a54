"""Keep the item: a return rule (an item's price paid under a threshold, a reason, a product)
refunds or exchanges without asking for the parcel back: no label asked of the carrier, no
stock movement, the return marked kept (field and timeline, both languages), and the refund or
exchange still settles."""

import uuid
from decimal import Decimal

import pytest
from django.utils import translation

from refunds.quotes import quote_for_return
from refunds.services import exchange_settle, refund_settle
from returns.models import (
    LabelAttempt,
    Return,
    ReturnLabel,
    ReturnRule,
    ReturnStatus,
)
from returns.services.keeping import KEPT
from returns.services.transitions import return_approve
from shop.models import StockMovement
from tests.factories import VariantFactory, make_order
from tests.returns.helpers import create, request
from tests.returns.rules.helpers import fee, rule

pytestmark = pytest.mark.django_db


def keep(**conditions) -> ReturnRule:
    return rule(ReturnRule.Action.KEEP_ITEM, name="Keep it", **conditions)


def approve_at_once() -> ReturnRule:
    return rule(ReturnRule.Action.AUTO_APPROVE, name="At once")


@pytest.fixture
def cheap_order(customer, reasons, shop_settings):
    """A 9.90 candle and a 45.00 lamp, 6.00 shipping."""
    return make_order([(1, "9.90"), (1, "45.00")], customer=customer)


def kept_event_texts(ret: Return) -> dict[str, str]:
    event = ret.events.get(code=KEPT)
    texts = {}
    for language in ("en", "fr"):
        with translation.override(language):
            texts[language] = event.text
    return texts


def test_an_item_under_the_threshold_is_kept_without_a_parcel(cheap_order, notifications):
    # given: keep items paid under 15.00, approve at once; a postage fee
    keep(item_value_below="15.00")
    approve_at_once()
    fee("5.00")
    movements = StockMovement.objects.count()
    # when
    ret = request(cheap_order, 1, 0)
    # then: received at once, every unit in full, none restocked, no label asked, no fee
    ret.refresh_from_db()
    assert ret.keep_item is True
    assert ret.status == ReturnStatus.RECEIVED
    assert list(ret.lines.values_list("quantity", "received_quantity", "restock")) == [
        (1, 1, False)
    ]
    assert LabelAttempt.objects.count() == 0
    assert ReturnLabel.objects.count() == 0
    assert StockMovement.objects.count() == movements
    assert (ret.return_fee, ret.fees) == (Decimal("0.00"), [])
    assert kept_event_texts(ret) == {
        "en": "Nothing to send back: the customer keeps the items.",
        "fr": "Rien à renvoyer : le client garde les articles.",
    }
    assert ret.events.get(code=KEPT).visible_to_customer
    with translation.override("fr"):
        assert str(ret.customer_status_label) == "Rien à renvoyer : vous gardez les articles"
    # no "approved" email telling the customer to send a parcel (approved at once: no
    # "requested" one either): the "kept" one says they keep the items
    assert notifications.events == ["kept"]


def test_a_kept_return_is_refunded_and_completed(cheap_order, manager, notifications):
    # given
    keep(item_value_below="15.00")
    approve_at_once()
    ret = request(cheap_order, 1, 0)
    movements = StockMovement.objects.count()
    # when
    refund = refund_settle(
        actor=manager, ret=ret, reference="bank-1", idempotency_key=uuid.uuid4().hex
    )
    # then
    ret.refresh_from_db()
    assert refund.amount == quote_for_return(ret).total == Decimal("9.90")
    assert ret.status == ReturnStatus.COMPLETED
    assert StockMovement.objects.count() == movements
    assert notifications.events == ["kept", "refunded"]


def test_a_reason_rule_keeps_the_item_once_staff_approve(cheap_order, staff, reasons):
    # given: defective items are kept; the return waits for staff
    keep(reason=reasons["defective"])
    ret = request(cheap_order, 0, 1, reason="defective")
    assert (ret.status, ret.keep_item) == (ReturnStatus.REQUESTED, True)
    # when
    approved = return_approve(actor=staff, ret=ret)
    # then
    assert approved.status == ReturnStatus.RECEIVED
    assert LabelAttempt.objects.count() == 0
    assert list(ret.lines.values_list("received_quantity", "restock")) == [(1, False)]
    assert ret.events.filter(code=KEPT).count() == 1


def test_a_product_rule_keeps_an_exchange_which_still_settles(cheap_order, staff, manager):
    # given: lamps are kept; the lamp is exchanged (by staff) for another at the same price
    lamp_line = cheap_order.lines.order_by("id")[1]
    keep(product=lamp_line.variant.product)
    wanted = VariantFactory(product=lamp_line.variant.product, option="L", price=Decimal("45.00"))
    returned_stock = lamp_line.variant.stock_on_hand
    # when
    ret = create(
        staff,
        cheap_order,
        0,
        1,
        refund_mode=Return.RefundMode.EXCHANGE,
        exchange_variant=wanted,
        start_status=ReturnStatus.APPROVED,
    )
    settled = exchange_settle(actor=manager, ret=ret, idempotency_key="k1")
    # then: even exchange, completed, the replacement shipped; the kept lamp not restocked
    ret.refresh_from_db()
    assert settled is None
    assert ret.keep_item is True
    assert ret.status == ReturnStatus.COMPLETED
    assert ret.replacement_order.lines.get().variant == wanted
    lamp_line.variant.refresh_from_db()
    assert lamp_line.variant.stock_on_hand == returned_stock
    assert not StockMovement.objects.filter(variant=lamp_line.variant).exists()
    assert LabelAttempt.objects.count() == 0


def test_a_parcel_with_one_item_not_kept_comes_back_as_usual(cheap_order):
    # given: only the candle is cheap enough to keep
    keep(item_value_below="15.00")
    approve_at_once()
    # when
    ret = request(cheap_order, 1, 1)
    # then: approved, waiting for the parcel, its label asked
    ret.refresh_from_db()
    assert ret.keep_item is False
    assert ret.status == ReturnStatus.APPROVED
    assert LabelAttempt.objects.count() == 1
    assert not ret.events.filter(code=KEPT).exists()
