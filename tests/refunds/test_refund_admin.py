"""The back-office refund pages: thin, calling the services."""

from decimal import Decimal

import pytest
from django.urls import reverse

from refunds.models import Refund
from returns.models import Return, ReturnStatus
from tests.factories import StaffFactory, make_order
from tests.refunds.factories import make_return, refunds_manager

pytestmark = pytest.mark.django_db


def admin_staff():
    return refunds_manager(extra=("view_refund",))


def test_refund_page_shows_the_quote_and_a_double_submit_makes_one_refund(client):
    # given
    ret = make_return(make_order([(1, "19.99"), (1, "12.74")], shipping="6.00"), [1, 1],
                      fee="5.00")
    client.force_login(admin_staff())
    url = reverse("admin:refunds_refund_for_return", args=[ret.pk])
    # when
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    form = {"amount": "", "mode": "original_payment", "reason": "", "reference": "",
            "idempotency_key": page.context["form"].initial["idempotency_key"]}
    responses = [client.post(url, form) for _ in range(2)]
    # then
    assert page.status_code == 200
    assert "33.73" in page.content.decode()
    assert [response.status_code for response in responses] == [302, 302]
    refund = Refund.objects.get()
    assert refund.amount == Decimal("33.73")
    assert responses[1].url == reverse("admin:refunds_refund_change", args=[refund.pk])


def test_mark_refunded_page_records_the_reference_and_completes_the_return(client):
    # given
    ret = make_return(make_order([(1, "19.99")], shipping="6.00"), [1])
    client.force_login(admin_staff())
    client.post(reverse("admin:refunds_refund_for_return", args=[ret.pk]), {
        "mode": "original_payment", "idempotency_key": "k1"})
    refund = Refund.objects.get()
    # when
    response = client.post(reverse("admin:refunds_refund_mark_refunded", args=[refund.pk]),
                           {"reference": "re_42"})
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
    ret = make_return(make_order([(1, "19.99")], shipping="6.00"), [1])
    client.force_login(StaffFactory())
    # when
    response = client.post(reverse("admin:refunds_refund_for_return", args=[ret.pk]), {
        "mode": "original_payment", "idempotency_key": "k1"})
    # then
    assert response.status_code == 403
    assert Refund.objects.count() == 0


def test_the_refunds_list_cancels_the_selected_refunds_through_the_service(client):
    # given a pending refund
    ret = make_return(make_order([(1, "19.99")], shipping="6.00"), [1])
    client.force_login(admin_staff())
    client.post(reverse("admin:refunds_refund_for_return", args=[ret.pk]), {
        "mode": "original_payment", "idempotency_key": "k1"})
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
