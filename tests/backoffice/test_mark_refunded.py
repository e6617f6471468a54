""" "Mark as refunded" on a return's page: refunds managers only, through the refund services,
once however often it is clicked."""

from decimal import Decimal

import pytest
from django.urls import reverse

from refunds.models import Refund
from refunds.services import refund_create
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import return_receive
from tests.backoffice.helpers import make_return, page_url, snapshot
from tests.fixtures.web import messages_of
from tests.returns.helpers import status_history

pytestmark = pytest.mark.django_db


def mark_url(ret):
    return reverse("admin:returns_return_mark_refunded", args=[ret.pk])


def form_of(client, ret):
    """The refund form's fields as the page sent them (its idempotency key included)."""
    form = client.get(page_url(ret)).context["refund_form"]
    return {name: form[name].value() for name in form.fields if form[name].value() is not None}


def test_anonymous_visitors_are_sent_to_the_login_page(anonymous, order):
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    response = anonymous.post(mark_url(ret), {"seen_status": "received", "reference": "x"})
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
    assert Refund.objects.count() == 0


def test_an_agent_cannot_mark_refunded_and_nothing_changes(as_agent, order):
    # given
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    before = snapshot(ret)
    # when
    page = as_agent.get(page_url(ret))
    response = as_agent.post(
        mark_url(ret),
        {
            "seen_status": "received",
            "reference": "TR-1",
            "idempotency_key": "k1",
            "mode": "original_payment",
        },
    )
    # then
    assert page.context["refund_form"] is None
    assert 'id="mark-refunded"' not in page.content.decode()
    assert response.status_code == 403
    assert snapshot(ret) == before
    assert Refund.objects.count() == 0


def test_a_manager_marks_a_received_return_refunded_and_it_is_completed(as_manager, manager, order):
    # given: 1 × 20.00 received, the quote is 20.00
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    data = {**form_of(as_manager, ret), "reference": "TR-2026-001"}
    # when
    response = as_manager.post(mark_url(ret), data)
    again = as_manager.post(mark_url(ret), data)  # a double click
    # then
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.reference, refund.marked_by) == (
        Decimal("20.00"),
        Refund.Status.REFUNDED,
        "TR-2026-001",
        manager,
    )
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    assert status_history(ret)[-1] == ("received", "completed")
    assert ret.events.filter(kind=ReturnEvent.Kind.REFUND).count() == 2  # created, refunded
    assert messages_of(response) == [
        ("success", (f"Return {ret.rma_number}: refund of €20.00 marked as refunded."))
    ]
    assert again.status_code == 302
    assert Refund.objects.count() == 1


def test_the_page_shows_the_refund_once_done(as_manager, order):
    # given
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    as_manager.post(mark_url(ret), {**form_of(as_manager, ret), "reference": "TR-9"})
    # when
    page = as_manager.get(page_url(ret))
    # then
    html = page.content.decode()
    assert page.context["refund_form"] is None
    assert "TR-9" in html
    assert "Fully refunded." in html


def test_a_partial_amount_needs_a_reason(as_manager, order):
    # given
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    data = {**form_of(as_manager, ret), "reference": "TR-3", "amount": "15.00"}
    before = snapshot(ret)
    # when
    refused = as_manager.post(mark_url(ret), data)
    # then
    assert refused.status_code == 302
    assert messages_of(refused) == [
        (
            "error",
            (
                "15.00 EUR is less than the quote of 20.00 EUR: give the reason for this partial "
                "refund."
            ),
        )
    ]
    assert snapshot(ret) == before
    # when
    done = as_manager.post(mark_url(ret), {**data, "reason": "Box damaged"})
    # then
    refund = Refund.objects.get()
    assert (refund.amount, refund.is_partial, refund.partial_reason) == (
        Decimal("15.00"),
        True,
        "Box damaged",
    )
    assert done.status_code == 302


def test_a_pending_refund_is_marked_refunded_from_the_page(as_manager, manager, order):
    # given
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    pending = refund_create(actor=manager, ret=ret, idempotency_key="pending-1")
    page = as_manager.get(page_url(ret))
    # when
    response = as_manager.post(
        mark_url(ret), {"seen_status": "received", "refund": pending.pk, "reference": "PSP-77"}
    )
    # then
    assert page.context["pending_refunds"] == [pending]
    assert f'name="refund" value="{pending.pk}"' in page.content.decode()
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.reference) == (Refund.Status.REFUNDED, "PSP-77")
    assert Refund.objects.count() == 1


def test_a_stale_page_is_refused_with_a_message(as_manager, manager, order):
    # given: the page was read while approved; the parcel was received meanwhile
    ret = make_return(order, 1, status=ReturnStatus.APPROVED)
    data = form_of(as_manager, ret)
    return_receive(actor=None, ret=ret)
    # when
    response = as_manager.post(mark_url(ret), {**data, "reference": "TR-4"})
    # then
    assert response.status_code == 302
    assert messages_of(response) == [
        (
            "error",
            (
                f"Return {ret.rma_number} was changed by someone else meanwhile: "
                "it is now received. Check it again before marking it refunded."
            ),
        )
    ]
    assert Refund.objects.count() == 0


def test_a_store_credit_refund_needs_no_reference(as_manager, order):
    # given
    ret = make_return(
        order, 1, status=ReturnStatus.RECEIVED, refund_mode=Return.RefundMode.STORE_CREDIT
    )
    data = form_of(as_manager, ret)
    # when
    response = as_manager.post(mark_url(ret), data)
    # then
    assert data["mode"] == "store_credit"
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.mode, refund.status) == ("store_credit", Refund.Status.REFUNDED)
    assert order.customer.store_credit_movements.get().amount == Decimal("20.00")
