"""The back-office refund pages: thin, calling the services."""

from decimal import Decimal

import pytest
from django.urls import reverse

from refunds.models import ExchangeDue, Refund
from refunds.services import exchange_settle
from returns.models import Return, ReturnStatus
from tests.factories import StaffFactory, make_order, sibling_variant
from tests.refunds.factories import received_return, refunds_manager

pytestmark = pytest.mark.django_db


def admin_staff():
    return refunds_manager(extra=("view_refund",))


def test_refund_page_shows_the_quote_and_a_double_submit_makes_one_refund(client):
    # given
    ret = received_return(
        make_order([(1, "19.99"), (1, "12.74")], shipping="6.00"), [1, 1], fee="5.00"
    )
    client.force_login(admin_staff())
    url = reverse("admin:refunds_refund_for_return", args=[ret.pk])
    # when
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    form = {
        "amount": "",
        "mode": "original_payment",
        "reason": "",
        "reference": "",
        "idempotency_key": page.context["form"].initial["idempotency_key"],
    }
    responses = [client.post(url, form) for _ in range(2)]
    # then
    assert page.status_code == 200
    assert "33.73" in page.content.decode()
    assert (page.context["money"].left_to_refund, page.context["order_money"].left_to_refund) == (
        Decimal("33.73"),
        Decimal("33.73"),
    )
    assert "This return: €33.73 left to refund, €0.00 pending." in page.content.decode()
    assert [response.status_code for response in responses] == [302, 302]
    refund = Refund.objects.get()
    assert refund.amount == Decimal("33.73")
    assert responses[1].url == reverse("admin:refunds_refund_change", args=[refund.pk])


def test_mark_refunded_page_records_the_reference_and_completes_the_return(client):
    # given
    ret = received_return(make_order([(1, "19.99")], shipping="6.00"), [1])
    client.force_login(admin_staff())
    client.post(
        reverse("admin:refunds_refund_for_return", args=[ret.pk]),
        {"mode": "original_payment", "idempotency_key": "k1"},
    )
    refund = Refund.objects.get()
    # when
    response = client.post(
        reverse("admin:refunds_refund_mark_refunded", args=[refund.pk]), {"reference": "re_42"}
    )
    # then
    assert response.status_code == 302
    refund.refresh_from_db()
    assert (refund.status, refund.reference) == (Refund.Status.REFUNDED, "re_42")
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    detail = client.get(reverse("admin:refunds_refund_change", args=[refund.pk]))
    assert detail.status_code == 200
    assert "25.99" in detail.content.decode()


def test_staff_without_the_refund_permission_get_403_and_nothing_changes(client):
    # given
    ret = received_return(make_order([(1, "19.99")], shipping="6.00"), [1])
    client.force_login(StaffFactory())
    # when
    response = client.post(
        reverse("admin:refunds_refund_for_return", args=[ret.pk]),
        {"mode": "original_payment", "idempotency_key": "k1"},
    )
    # then
    assert response.status_code == 403
    assert Refund.objects.count() == 0


def test_the_refunds_list_cancels_the_selected_refunds_through_the_service(client):
    # given a pending refund
    ret = received_return(make_order([(1, "19.99")], shipping="6.00"), [1])
    client.force_login(admin_staff())
    client.post(
        reverse("admin:refunds_refund_for_return", args=[ret.pk]),
        {"mode": "original_payment", "idempotency_key": "k1"},
    )
    refund = Refund.objects.get()
    url = reverse("admin:refunds_refund_changelist")
    # when
    listing = client.get(url)
    response = client.post(url, {"action": "cancel_refunds", "_selected_action": [refund.pk]})
    # then
    assert listing.status_code == 200
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == Refund.Status.CANCELLED
    assert refund.marked_by is not None


def test_mark_paid_page_records_what_the_customer_paid_for_a_dearer_exchange(client):
    # given: a 30.00 item exchanged for a 40.00 one: the customer owes 10.00
    manager = admin_staff()
    order = make_order([(1, "30.00")], shipping="6.00")
    ret = received_return(
        order,
        [1],
        mode=Return.RefundMode.EXCHANGE,
        exchange_variant=sibling_variant(order, price=Decimal("40.00")),
    )
    due = exchange_settle(actor=manager, ret=ret, idempotency_key="k1")
    client.force_login(manager)
    url = reverse("admin:refunds_exchangedue_mark_paid", args=[due.pk])
    # when
    page = client.get(url)
    response = client.post(url, {"reference": "POS-77"})
    # then
    assert page.status_code == 200
    assert response.status_code == 302
    assert response.url == reverse("admin:refunds_exchangedue_change", args=[due.pk])
    due.refresh_from_db()
    assert (due.status, due.reference) == (ExchangeDue.Status.PAID, "POS-77")
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    assert Refund.objects.count() == 0


def test_mark_paid_page_is_refused_without_the_refund_permission(client):
    order = make_order([(1, "30.00")], shipping="6.00")
    ret = received_return(
        order,
        [1],
        mode=Return.RefundMode.EXCHANGE,
        exchange_variant=sibling_variant(order, price=Decimal("40.00")),
    )
    due = exchange_settle(actor=admin_staff(), ret=ret, idempotency_key="k1")
    client.force_login(StaffFactory())
    response = client.post(
        reverse("admin:refunds_exchangedue_mark_paid", args=[due.pk]), {"reference": "POS-77"}
    )
    assert response.status_code == 403
    due.refresh_from_db()
    assert (due.status, due.reference) == (ExchangeDue.Status.OPEN, "")
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.RECEIVED
