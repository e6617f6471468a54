"""A return's page in the portal, and cancelling the return from it."""

import uuid
from decimal import Decimal

import pytest

from refunds.services import refund_create, refund_mark_refunded
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.models.labels import ReturnLabel
from returns.services import (
    ReturnLineInput,
    return_approve,
    return_mark_in_transit,
    return_receive,
    return_request,
)
from tests.factories import OrderLineFactory, StaffFactory
from tests.fixtures.web import english_client, shown_messages
from tests.refunds.factories import goodwill_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return StaffFactory(is_superuser=True)


def request_return(order, *rows, refund_mode="money_back"):
    """rows: (quantity, reason code[, detail]) per order line in id order; 0 skips the line."""
    lines = [
        ReturnLineInput(
            order_line_id=line.pk,
            quantity=row[0],
            reason_code=row[1],
            reason_detail=row[2] if len(row) > 2 else "",
        )
        for line, row in zip(order.lines.order_by("id"), rows, strict=False)
        if row[0]
    ]
    return return_request(
        idempotency_key=uuid.uuid4().hex,
        actor=order.customer.user,
        order=order,
        lines=lines,
        refund_mode=refund_mode,
        delivery_option="label",
    )


def url(ret):
    return f"/returns/{ret.rma_number}/"


def test_the_page_shows_the_status_timeline_items_and_estimate(customer_client, order):
    # given
    ret = request_return(order, (1, "wrong-size"), (2, "other", "Thinner than expected"))
    # when
    response = customer_client.get(url(ret))
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert [(step.status, step.state) for step in response.context["steps"]] == [
        ("requested", "current"),
        ("approved", "upcoming"),
        ("in_transit", "upcoming"),
        ("received", "upcoming"),
        ("completed", "upcoming"),
    ]
    assert [entry.title for entry in response.context["timeline"]] == ["We have your request"]
    assert "Organic cotton T-shirt" in page
    assert "Wrong size" in page
    assert "Thinner than expected" in page
    assert response.context["quote"].total == order.amount_paid  # everything, with shipping
    assert "€58.47" in page
    assert f'action="/returns/{ret.rma_number}/cancel/"' in page


def test_the_page_shows_the_shops_decision_and_the_refund(
    customer_client, order, staff, refund_action
):
    # given: approved with the action "Refund", received, refunded
    ret = request_return(order, (1, "wrong-size"), (2, "defective"))
    return_approve(actor=staff, ret=ret, action=refund_action)
    return_receive(actor=staff, ret=Return.objects.get(pk=ret.pk))
    refund = refund_create(actor=staff, ret=Return.objects.get(pk=ret.pk), idempotency_key="r-1")
    refund_mark_refunded(actor=staff, refund=refund, reference="PSP-1")
    # when
    response = customer_client.get(url(ret))
    # then
    page = response.content.decode()
    assert [(step.label, step.state) for step in response.context["steps"]] == [
        ("Requested", "done"),
        ("Approved", "done"),
        ("Received", "done"),
        ("Refunded", "done"),
    ]
    assert "Done: your refund is settled" in page
    assert [(entry.title, entry.note) for entry in response.context["timeline"]][-2:] == [
        ("Refund", "€58.47 refunded to the original payment."),
        ("Done: your refund is settled", ""),
    ]
    assert "<dd>Refund</dd>" in page
    assert [(r.amount, r.status) for r in response.context["refunds"]] == [
        (order.amount_paid, "refunded")
    ]
    assert "refunded to your original payment" in page
    assert 'action="/returns/' not in page  # no cancel any more


def test_a_partial_refund_shows_what_is_still_to_refund(customer_client, order, staff):
    # given: the whole order back (58.47), 20.00 of it refunded so far
    ret = request_return(order, (1, "wrong-size"), (2, "defective"))
    return_approve(actor=staff, ret=ret)
    ret = return_receive(actor=staff, ret=Return.objects.get(pk=ret.pk))
    refund = refund_create(
        actor=staff, ret=ret, idempotency_key="r-1", amount="20.00", reason="first part"
    )
    refund_mark_refunded(actor=staff, refund=refund, reference="PSP-1")
    # when
    response = customer_client.get(url(ret))
    # then
    page = response.content.decode()
    money = response.context["money"]
    assert (str(money.refunded), str(money.left_to_refund)) == ("20.00", "38.47")
    assert "Still to refund: €38.47" in page
    assert response.context["quote"].total == order.amount_paid


def test_an_approved_return_offers_its_label_to_download(customer_client, order, staff):
    # given: approved, so the carrier made its label
    ret = return_approve(actor=staff, ret=request_return(order, (1, "wrong-size")))
    label = ReturnLabel.objects.get(ret=ret)
    # when
    page = customer_client.get(url(ret)).content.decode()
    download = customer_client.get(f"{url(ret)}label/")
    # then
    assert f'href="/returns/{ret.rma_number}/label/"' in page
    assert label.tracking_number in page
    assert (download.status_code, download["Content-Type"]) == (200, "application/pdf")
    assert download.content == bytes(label.pdf)


def test_another_customers_label_is_a_404(customer_client, other_order, staff):
    # given
    ret = return_approve(actor=staff, ret=request_return(other_order, (1, "wrong-size")))
    # when
    response = customer_client.get(f"{url(ret)}label/")
    # then
    assert response.status_code == 404


def test_a_rejected_return_gives_the_reason(customer_client, order, staff):
    # given
    from returns.services import return_reject

    ret = request_return(order, (1, "changed-mind"))
    return_reject(actor=staff, ret=ret, reason="Worn items cannot be returned.")
    # when
    response = customer_client.get(url(ret))
    # then
    assert [(step.status, step.state) for step in response.context["steps"]] == [
        ("requested", "done"),
        ("rejected", "current"),
    ]
    assert "Worn items cannot be returned." in response.content.decode()


def test_another_customers_return_is_a_404_and_cannot_be_cancelled(customer_client, other_order):
    # given
    ret = request_return(other_order, (1, "wrong-size"))
    events = ReturnEvent.objects.count()
    # when
    shown = customer_client.get(url(ret))
    cancelled = customer_client.post(f"{url(ret)}cancel/")
    # then
    assert (shown.status_code, cancelled.status_code) == (404, 404)
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.REQUESTED
    assert ReturnEvent.objects.count() == events


def test_an_unknown_return_is_a_404(customer_client, order):
    assert customer_client.get("/returns/R-NOPE1234/").status_code == 404


def test_a_visitor_without_account_is_sent_to_log_in(client, order):
    # given
    ret = request_return(order, (1, "wrong-size"))
    # when
    response = client.get(url(ret))
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url(ret)}"


def test_the_customer_cancels_a_requested_return(customer_client, order):
    # given
    ret = request_return(order, (1, "wrong-size"))
    # when
    response = customer_client.post(f"{url(ret)}cancel/", follow=True)
    # then
    assert response.redirect_chain == [(url(ret), 302)]
    assert shown_messages(response) == [f"Your return {ret.rma_number} is cancelled."]
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.CANCELLED
    assert list(
        ReturnEvent.objects.filter(ret=ret).values_list("from_status", "to_status", "actor_id")
    ) == [
        ("", "requested", order.customer.user_id),
        ("requested", "cancelled", order.customer.user_id),
    ]


def test_a_cancel_from_a_page_the_shop_moved_on_since_is_refused(customer_client, order, staff):
    # given: the customer's page shows the request; meanwhile the shop approves it
    ret = request_return(order, (1, "wrong-size"))
    page = customer_client.get(url(ret)).content.decode()
    return_approve(actor=staff, ret=ret)
    events = ReturnEvent.objects.count()
    # when: the customer confirms the cancel of what they saw
    response = customer_client.post(f"{url(ret)}cancel/", {"seen_status": "requested"}, follow=True)
    # then: refused with the reason, nothing changed
    assert 'name="seen_status" value="requested"' in page
    assert shown_messages(response) == [
        f"Return {ret.rma_number} was changed by someone else meanwhile: it is now approved. "
        "Reload the page and check it again."
    ]
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.APPROVED
    assert ReturnEvent.objects.count() == events


def test_a_return_on_its_way_cannot_be_cancelled(customer_client, order, staff):
    # given
    ret = request_return(order, (1, "wrong-size"))
    return_approve(actor=staff, ret=ret)
    return_mark_in_transit(actor=staff, ret=Return.objects.get(pk=ret.pk))
    events = ReturnEvent.objects.count()
    # when
    page = customer_client.get(url(ret)).content.decode()
    forged = customer_client.post(f"{url(ret)}cancel/", follow=True)
    # then
    assert "cancel/" not in page
    assert shown_messages(forged) == ["This return can no longer be cancelled: it is in transit."]
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.IN_TRANSIT
    assert ReturnEvent.objects.count() == events


def test_cancelling_without_csrf_token_is_refused(customer, order):
    # given
    ret = request_return(order, (1, "wrong-size"))
    client = english_client(enforce_csrf_checks=True)
    client.force_login(customer.user)
    # when
    response = client.post(f"{url(ret)}cancel/")
    # then
    assert response.status_code == 403
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.REQUESTED


# The shop settings and the default brand are the process's memo once a first page read them.
RETURN_PAGE_QUERIES = 10


def test_the_return_page_query_count_does_not_grow_with_lines(
    customer_client, order, staff, shop_settings, django_assert_num_queries
):
    # given: a return of 2 lines, and one of 6 lines with more events
    small = request_return(order, (1, "wrong-size"), (1, "defective"))
    big_order = order.__class__.objects.get(pk=order.pk)
    for _ in range(4):
        OrderLineFactory(order=big_order, quantity=2)
    big = request_return(big_order, (0, ""), (1, "changed-mind"), *[(2, "wrong-size")] * 4)
    return_approve(actor=staff, ret=big, note="Thank you")
    # when / then: session, user, customer, return, its lines, their photos, events, its
    # label, the money state (one query), refunds (the shop settings and the default brand, the
    # order having none, are the process's memo after the first page)
    customer_client.get(url(small))  # once: SQLite's JSON probe and the memo, once a process
    for ret in (small, big):
        with django_assert_num_queries(RETURN_PAGE_QUERIES):
            response = customer_client.get(url(ret))
        assert response.status_code == 200
    assert len(response.context["lines"]) == 5


def test_the_return_page_query_count_does_not_grow_with_refunds(
    customer_client, order, staff, shop_settings, django_assert_num_queries
):
    # given: a received return without refunds, and one with three partial refunds (one paid)
    bare = request_return(order, (1, "wrong-size"))
    refunded = request_return(order, (0, ""), (2, "defective"))
    for ret in (bare, refunded):
        return_approve(actor=staff, ret=ret)
        return_receive(actor=staff, ret=Return.objects.get(pk=ret.pk))
    goodwill_parts(staff, refunded)
    customer_client.get(url(bare))  # once: SQLite's JSON probe, once a process
    # when / then
    for ret, shown in ((bare, 0), (refunded, 1)):
        with django_assert_num_queries(RETURN_PAGE_QUERIES):
            response = customer_client.get(url(ret))
        assert response.status_code == 200
        assert len(response.context["refunds"]) == shown
    assert response.context["money"].pending == Decimal("2.00")
    assert response.context["money"].refunded == Decimal("1.00")
