"""A return refunded before its parcel arrives, as the back-office shows it: a line in the
overview, a warning on its page, "not received yet" on the mark-refunded page, and the bulk
actions refusing to close it."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Notification
from refunds.models import Refund
from refunds.services import refund_settle
from returns.models import Return, ReturnStatus
from tests.factories import make_order, superuser
from tests.fixtures.web import logged_in, messages_of
from tests.returns.admin.helpers import make_return, page_url
from tests.returns.helpers import snapshot

pytestmark = pytest.mark.django_db

OVERVIEW = "/admin/returns/return/"
EARLY_LINE = '<span class="refund-state refund-before_receipt">refunded before receipt</span>'
WARNING = (
    '<p class="bo-warning" id="refunded-before-receipt">Refunded before the parcel arrived: '
    "the items are still awaited.</p>"
)


@pytest.fixture
def credited(customer, reasons, manager):
    """Approved, its parcel awaited, already credited in full: 59.09 + shipping 6.00."""
    order = make_order([(1, "59.09")], shipping="6.00", customer=customer, email=customer.email)
    ret = make_return(
        order,
        1,
        status=ReturnStatus.APPROVED,
        refund_mode=Return.RefundMode.STORE_CREDIT,
        delivery_option=Return.DeliveryOption.LABEL,
    )
    refund_settle(actor=manager, ret=ret, reference="", idempotency_key="credit-1")
    return Return.objects.get(pk=ret.pk)


def mark_url(ret):
    return reverse("admin:returns_return_mark_refunded", args=[ret.pk])


def row_of(html: str, ret: Return) -> str:
    """The mark-refunded table's row of `ret`."""
    return re.search(rf'<tr data-return="{ret.pk}">.*?</tr>', html, re.S).group(0)


def test_the_overview_shows_the_refund_made_before_receipt_on_its_row_only(
    as_agent, credited, order
):
    # given: another approved return, nothing refunded yet
    waiting = make_return(order, 1, status=ReturnStatus.APPROVED)
    # when
    response = as_agent.get(OVERVIEW)
    # then
    states = {row.pk: row.money for row in response.context["cl"].result_list}
    assert states[credited.pk].refunded_before_receipt is True
    assert states[waiting.pk].refunded_before_receipt is False
    assert response.content.decode().count(EARLY_LINE) == 1


def test_the_overview_says_it_in_french(agent, credited):
    # given
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(agent)
    # when
    response = client.get(OVERVIEW)
    # then
    assert "remboursé avant réception" in response.content.decode()


def test_the_returns_page_warns_that_it_was_refunded_before_receipt(as_agent, credited):
    # when
    response = as_agent.get(page_url(credited))
    # then
    assert response.context["money"].refunded_before_receipt is True
    assert WARNING in response.content.decode()


def test_the_warning_goes_once_the_parcel_is_received(as_agent, customer, reasons, manager):
    # given: refunded after receipt (the refund completes it)
    order = make_order([(1, "59.09")], shipping="6.00", customer=customer, email=customer.email)
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    refund_settle(actor=manager, ret=ret, reference="TR-1", idempotency_key="after-1")
    # when
    response = as_agent.get(page_url(ret))
    # then
    assert response.context["money"].refunded_before_receipt is False
    assert 'id="refunded-before-receipt"' not in response.content.decode()


def test_the_mark_refunded_page_says_which_returns_are_not_received_yet(as_manager, order, reasons):
    # given
    approved = make_return(order, 1, status=ReturnStatus.APPROVED)
    in_transit = make_return(order, 1, status=ReturnStatus.IN_TRANSIT)
    received = make_return(order, 0, 1, status=ReturnStatus.RECEIVED)
    # when
    response = as_manager.post(
        OVERVIEW,
        {
            "action": "mark_refunded_selected",
            "_selected_action": [approved.pk, in_transit.pk, received.pk],
        },
    )
    # then
    html = response.content.decode()
    warning = '<br><span class="muted not-received">not received yet</span>'
    assert warning in row_of(html, approved)
    assert warning in row_of(html, in_transit)
    assert "not received yet" not in row_of(html, received)
    assert Refund.objects.count() == 0


def test_the_mark_refunded_page_of_one_approved_return_warns_too(as_manager, order):
    # given
    approved = make_return(order, 1, status=ReturnStatus.APPROVED)
    # when
    response = as_manager.get(mark_url(approved))
    # then
    assert "not received yet" in row_of(response.content.decode(), approved)


def test_bulk_cancel_and_expire_refuse_a_credited_return_and_change_nothing(as_agent, credited):
    # given
    client = as_agent
    before = snapshot(credited)
    outbox = Notification.objects.count()
    # when
    cancel = client.post(
        OVERVIEW,
        {"action": "cancel_selected", "_selected_action": [credited.pk], "apply": "1"},
    )
    expire = client.post(
        OVERVIEW,
        {"action": "expire_selected", "_selected_action": [credited.pk], "apply": "1"},
    )
    # then
    rma = credited.rma_number
    assert messages_of(cancel) == [
        ("error", f"{rma}: Return {rma} can no longer be cancelled: it has a refund of €65.09.")
    ]
    # The messages wait in the session until a page shows them: the expiry's comes second.
    assert messages_of(expire)[1:] == [
        ("error", f"{rma}: Return {rma} can no longer expire: it has a refund of €65.09.")
    ]
    assert snapshot(credited) == before
    assert Notification.objects.count() == outbox
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("65.09")]


def test_cancelling_it_from_its_page_is_refused_with_the_reason(as_agent, credited):
    # given
    before = snapshot(credited)
    # when
    response = as_agent.post(
        page_url(credited), {"seen_status": credited.status, "next_status": "cancelled"}
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        f"Return {credited.rma_number} can no longer be cancelled: it has a refund of €65.09."
    ]
    assert snapshot(credited) == before


def test_the_return_page_offers_no_closing_status_for_a_return_refunded_before_receipt(
    manager, order
):
    # given: two approved returns, one refunded before its parcel arrived; staff who may close
    refunded = make_return(order, 1, 0, status=ReturnStatus.APPROVED)
    refund_settle(actor=manager, ret=refunded, reference="TR-9", idempotency_key="k-offer")
    unrefunded = make_return(order, 0, 1, status=ReturnStatus.APPROVED)
    staff = logged_in(superuser())
    # when
    offered = {
        ret.pk: staff.get(page_url(ret)).context["form"].next_statuses
        for ret in (refunded, unrefunded)
    }
    # then: cancelling or expiring the refunded one is not offered (the services would refuse)
    assert ReturnStatus.CANCELLED in offered[unrefunded.pk]
    assert ReturnStatus.EXPIRED in offered[unrefunded.pk]
    assert ReturnStatus.CANCELLED not in offered[refunded.pk]
    assert ReturnStatus.EXPIRED not in offered[refunded.pk]
