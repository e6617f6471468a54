""" "Mark as refunded": one page for a return (linked from its page) or the overview's selection,
refunds managers only, each return through refund_settle, once however often it is clicked."""

from decimal import Decimal

import pytest
from django.urls import reverse

from notifications.models import Notification
from refunds import services as refund_services
from refunds.models import Refund
from refunds.services import refund_create
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import return_receive
from tests.fixtures.web import messages_of
from tests.returns.admin.helpers import make_return, page_url
from tests.returns.helpers import snapshot, status_history

pytestmark = pytest.mark.django_db

OVERVIEW = "/admin/returns/return/"


def mark_url(ret):
    return reverse("admin:returns_return_mark_refunded", args=[ret.pk])


def form_of(client, ret):
    """What the mark-refunded page sends: its hidden fields (idempotency key, seen status)."""
    page = client.get(mark_url(ret))
    assert page.status_code == 200
    form = page.context["form"]
    return {
        "apply": "1",
        f"seen_{ret.pk}": ret.status,
        **{name: form[name].value() for name in form.fields if form[name].value() is not None},
    }


@pytest.fixture
def settle_calls(monkeypatch):
    """The returns refund_settle was called for (it still runs)."""
    calls = []
    real = refund_services.refund_settle

    def spy(**kwargs):
        calls.append(kwargs["ret"].pk)
        return real(**kwargs)

    monkeypatch.setattr(refund_services, "refund_settle", spy)
    return calls


def test_anonymous_visitors_are_sent_to_the_login_page(anonymous, order):
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    response = anonymous.post(mark_url(ret), {"apply": "1", "reference": "x"})
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
    assert Refund.objects.count() == 0


def test_an_agent_cannot_mark_refunded_and_nothing_changes(as_agent, order):
    # given
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    before = snapshot(ret)
    # when
    page = as_agent.get(page_url(ret))
    shown = as_agent.get(mark_url(ret))
    response = as_agent.post(
        mark_url(ret), {"apply": "1", "reference": "TR-1", "idempotency_key": "k1"}
    )
    # then
    assert page.context["may_mark_refunded"] is False
    assert 'id="mark-refunded"' not in page.content.decode()
    assert (shown.status_code, response.status_code) == (403, 403)
    assert snapshot(ret) == before
    assert Refund.objects.count() == 0


def test_a_manager_marks_a_received_return_refunded_and_it_is_completed(
    as_manager, manager, order, settle_calls
):
    # given: 1 × 20.00 received, the quote is 20.00
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    page = as_manager.get(page_url(ret))
    data = {**form_of(as_manager, ret), "reference": "TR-2026-001"}
    # when
    response = as_manager.post(mark_url(ret), data)
    again = as_manager.post(mark_url(ret), data)  # a double click
    # then
    assert page.context["may_mark_refunded"] is True
    assert mark_url(ret) in page.content.decode()
    assert response.status_code == 302
    assert response.url == page_url(ret)
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
    assert messages_of(response) == [("success", f"{ret.rma_number}: €20.00 refunded.")]
    assert again.status_code == 302
    assert Refund.objects.count() == 1
    assert settle_calls == [ret.pk, ret.pk]


def test_the_page_shows_what_is_left_of_each_return(as_manager, manager, order):
    # given: 2 × 20.00 returned, 15.00 of it refunded already (a partial refund, pending)
    ret = make_return(order, 2, status=ReturnStatus.RECEIVED)
    refund_create(actor=manager, ret=ret, idempotency_key="p1", amount="15.00", reason="box")
    # when
    page = as_manager.get(mark_url(ret))
    # then
    [(row, state)] = page.context["rows"]
    assert row == ret
    assert (state.quote_total, state.refunded, state.pending, state.left_to_refund) == (
        Decimal("40.00"),
        Decimal("0.00"),
        Decimal("15.00"),
        Decimal("25.00"),
    )
    assert "amount" not in page.context["form"].fields  # the pending refund is marked as it is


def test_the_page_shows_the_refund_once_done(as_manager, order):
    # given
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    as_manager.post(mark_url(ret), {**form_of(as_manager, ret), "reference": "TR-9"})
    # when
    page = as_manager.get(page_url(ret))
    # then
    html = page.content.decode()
    assert page.context["may_mark_refunded"] is False
    assert "TR-9" in html
    assert "Fully refunded." in html


def test_nothing_left_to_refund_is_refused_and_nothing_changes(as_manager, order):
    # given: refunded in full; a second page read before it
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    first, second = form_of(as_manager, ret), form_of(as_manager, ret)
    as_manager.post(mark_url(ret), {**first, "reference": "TR-1"})
    fresh = Return.objects.get(pk=ret.pk)
    before = snapshot(fresh)
    # when
    response = as_manager.post(
        mark_url(ret), {**second, f"seen_{ret.pk}": "completed", "reference": "TR-2"}
    )
    # then
    assert messages_of(response)[-1] == (
        "error",
        f"{ret.rma_number}: Return {ret.rma_number} is already refunded: €20.00 of its "
        "quote of €20.00.",
    )
    assert snapshot(fresh) == before
    assert Refund.objects.count() == 1


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
            f"{ret.rma_number}: €15.00 is less than the quote of €20.00: give the reason "
            "for this partial refund.",
        )
    ]
    assert snapshot(ret) == before
    # when
    done = as_manager.post(mark_url(ret), {**data, "reason": "Box damaged"})
    # then: refunded in part, the rest still to refund, so the return waits
    refund = Refund.objects.get()
    assert (refund.amount, refund.is_partial, refund.partial_reason, refund.status) == (
        Decimal("15.00"),
        True,
        "Box damaged",
        Refund.Status.REFUNDED,
    )
    assert done.status_code == 302
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.RECEIVED


def test_a_pending_refund_is_marked_refunded_from_the_page(as_manager, manager, order):
    # given
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    pending = refund_create(actor=manager, ret=ret, idempotency_key="pending-1")
    page = as_manager.get(page_url(ret))
    data = {**form_of(as_manager, ret), "reference": "PSP-77"}
    # when
    response = as_manager.post(mark_url(ret), data)
    again = as_manager.post(mark_url(ret), data)
    # then
    assert page.context["pending_refunds"] == [pending]
    assert "Pending refund: €20.00" in page.content.decode()
    assert (response.status_code, again.status_code) == (302, 302)
    pending.refresh_from_db()
    assert (pending.status, pending.reference) == (Refund.Status.REFUNDED, "PSP-77")
    assert Refund.objects.count() == 1
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED


def test_a_stale_page_is_refused_with_a_message(as_manager, manager, order):
    # given: the page was read while approved; the parcel was received meanwhile
    ret = make_return(order, 1, status=ReturnStatus.APPROVED)
    data = form_of(as_manager, ret)
    return_receive(actor=None, ret=ret)
    notifications = Notification.objects.count()
    # when
    response = as_manager.post(mark_url(ret), {**data, "reference": "TR-4"})
    # then
    assert response.status_code == 302
    assert messages_of(response) == [
        (
            "error",
            f"{ret.rma_number}: Return {ret.rma_number} was changed by someone else meanwhile: "
            "it is now received. Check it again before marking it refunded.",
        )
    ]
    assert Refund.objects.count() == 0
    assert Notification.objects.count() == notifications


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


def test_the_bulk_action_shows_the_same_page_and_settles_each_return(
    as_manager, order, settle_calls
):
    # given
    received = make_return(order, 1, status=ReturnStatus.RECEIVED)
    requested = make_return(order, 0, 1)
    selection = {
        "action": "mark_refunded_selected",
        "_selected_action": [received.pk, requested.pk],
    }
    # when
    asked = as_manager.post(OVERVIEW, selection)
    key = asked.context["form"]["idempotency_key"].value()
    data = {
        **selection,
        "apply": "1",
        "reference": "BATCH-42",
        "idempotency_key": key,
        f"seen_{received.pk}": "received",
        f"seen_{requested.pk}": "requested",
    }
    response = as_manager.post(OVERVIEW, data)
    first_messages = messages_of(response)
    as_manager.get(OVERVIEW)  # the page shows (and uses up) those messages
    again = as_manager.post(OVERVIEW, {**data, "_selected_action": [received.pk]})
    # then
    assert asked.templates[0].name == "admin/returns/return/bulk_mark_refunded.html"
    assert "mode" not in asked.context["form"].fields  # each return is refunded in its own mode
    assert {ret.pk: state.left_to_refund for ret, state in asked.context["rows"]} == {
        received.pk: Decimal("20.00"),
        requested.pk: Decimal("35.00"),
    }
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.ret_id, refund.amount, refund.status, refund.reference) == (
        received.pk,
        Decimal("20.00"),
        Refund.Status.REFUNDED,
        "BATCH-42",
    )
    assert Return.objects.get(pk=received.pk).status == ReturnStatus.COMPLETED
    assert sorted(first_messages) == sorted(
        [
            ("success", f"{received.rma_number}: €20.00 refunded."),
            (
                "error",
                f"{requested.rma_number}: Return {requested.rma_number} cannot be refunded "
                "while it is requested.",
            ),
        ]
    )
    assert messages_of(again) == [("success", f"{received.rma_number}: €20.00 refunded.")]
    assert Refund.objects.count() == 1
    assert sorted(settle_calls) == sorted([received.pk, requested.pk, received.pk])
