"""A return's page: its sections, the next statuses each role may choose, and "Save", which calls
the services (the edits and the new status together, or nothing)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import return_approve
from shop.models import StockMovement
from tests.fixtures.backoffice import with_role
from tests.fixtures.web import logged_in, messages_of
from tests.returns.admin.helpers import make_return, page_url
from tests.returns.helpers import snapshot, status_history

pytestmark = pytest.mark.django_db


def save(client, ret, seen=None, **data):
    return client.post(page_url(ret), {"seen_status": seen or ret.status, **data})


# --- who may open it -------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(anonymous, order):
    # given
    ret = make_return(order, 1)
    # when
    response = anonymous.get(page_url(ret))
    # then
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_staff_without_the_permission_are_refused(as_plain_staff, order):
    # given
    ret = make_return(order, 1)
    before = snapshot(ret)
    # when
    page = as_plain_staff.get(page_url(ret))
    posted = save(as_plain_staff, ret, next_status="approved")
    # then
    assert (page.status_code, posted.status_code) == (403, 403)
    assert snapshot(ret) == before


def test_the_page_shows_its_sections(as_agent, order):
    # given
    ret = make_return(
        order,
        2,
        1,
        customer_comment="Too small for me",
        staff_note="Call back",
        return_fee=Decimal("5.00"),
    )
    # when
    page = as_agent.get(page_url(ret))
    # then
    html = page.content.decode()
    assert page.status_code == 200
    for section in (
        'id="order-details"',
        'id="return-details"',
        'id="delivery-status"',
        'id="returned-items"',
        'id="process"',
        'id="refund"',
        'id="quote"',
        'id="timeline"',
        'id="emails"',
        'id="label-actions"',
    ):
        assert section in html, section
    assert ret.rma_number in html
    assert order.number in html
    assert "Too small for me" in html
    assert "Call back" in html
    assert "Wrong size" in html
    # the quote, line by line: 2 × 20.00 + 35.00 + shipping 6.00 - fee 5.00
    assert page.context["quote"].total == Decimal("76.00")
    assert "€76.00" in html
    assert "Original shipping" in html


# --- the next statuses offered ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (ReturnStatus.REQUESTED, ["approved", "rejected", "cancelled"]),
        (ReturnStatus.APPROVED, ["in_transit", "received", "cancelled", "expired"]),
        (ReturnStatus.IN_TRANSIT, ["received"]),
        (ReturnStatus.RECEIVED, ["rejected"]),
    ],
)
def test_an_agent_is_offered_the_statuses_they_may_choose(as_agent, order, status, offered):
    # given
    ret = make_return(order, 1, status=status)
    # when
    page = as_agent.get(page_url(ret))
    # then
    assert page.context["form"].next_statuses == offered


def test_a_refunds_manager_is_offered_no_status_and_cannot_edit(as_manager, order):
    # given
    ret = make_return(order, 1)
    # when
    page = as_manager.get(page_url(ret))
    # then
    assert page.status_code == 200
    assert page.context["form"].next_statuses == []
    assert 'id="process-form"' not in page.content.decode()


# --- save: the new status --------------------------------------------------------------------


def test_approving_changes_the_status_and_writes_the_event(as_agent, agent, order, actions):
    # given
    ret = make_return(order, 1)
    # when
    response = save(
        as_agent,
        ret,
        next_status="approved",
        action=actions["replacement"].pk,
        staff_note="Checked the photos",
        return_fee="0.00",
        status_note="We will send a new one.",
        notify="on",
    )
    # then
    assert response.status_code == 302
    ret.refresh_from_db()
    assert (ret.status, ret.action, ret.staff_note) == (
        ReturnStatus.APPROVED,
        actions["replacement"],
        "Checked the photos",
    )
    assert status_history(ret) == [("", "requested"), ("requested", "approved")]
    approval = ret.events.get(kind=ReturnEvent.Kind.STATUS, to_status="approved")
    assert (approval.actor, approval.note) == (agent, "We will send a new one.")
    edit = ret.events.get(kind=ReturnEvent.Kind.NOTE)
    assert (edit.actor, edit.visible_to_customer) == (agent, False)
    assert messages_of(response) == [("success", f"Return {ret.rma_number} is now approved.")]
    assert list(ret.notifications.order_by("id").values_list("event", flat=True)) == [
        "requested",
        "approved",
    ]


def test_the_notify_box_unchecked_sends_no_email(as_agent, order):
    # given
    ret = make_return(order, 1)
    # when
    save(as_agent, ret, next_status="approved")
    # then
    assert list(ret.notifications.order_by("id").values_list("event", flat=True)) == ["requested"]


def test_rejecting_needs_the_reason_and_nothing_changes_without_it(as_agent, order):
    # given
    ret = make_return(order, 1)
    before = snapshot(ret)
    # when
    refused = save(as_agent, ret, next_status="rejected", rejection_reason="  ")
    # then
    assert refused.status_code == 200
    assert refused.context["form"].errors["rejection_reason"] == [
        "Give the reason for rejecting the return: the customer will read it."
    ]
    assert snapshot(ret) == before
    # when
    done = save(as_agent, ret, next_status="rejected", rejection_reason="Worn item")
    # then
    assert done.status_code == 302
    ret.refresh_from_db()
    assert (ret.status, ret.rejection_reason) == (ReturnStatus.REJECTED, "Worn item")
    assert status_history(ret)[-1] == ("requested", "rejected")


def test_receiving_records_quantities_and_restocks_the_lines_chosen(as_agent, order):
    # given: 2 of line A and 1 of line B, approved
    ret = make_return(order, 2, 1, status=ReturnStatus.APPROVED)
    line_a, line_b = ret.lines.order_by("id")
    variant_a, variant_b = line_a.order_line.variant, line_b.order_line.variant
    stock_a, stock_b = variant_a.stock_on_hand, variant_b.stock_on_hand
    # when: one of A came back and goes back in stock; B came back damaged
    response = save(
        as_agent,
        ret,
        next_status="received",
        **{
            f"received_{line_a.pk}": "1",
            f"restock_{line_a.pk}": "on",
            f"received_{line_b.pk}": "1",
        },
    )
    # then
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RECEIVED
    assert list(ret.lines.order_by("id").values_list("received_quantity", "restock")) == [
        (1, True),
        (1, False),
    ]
    variant_a.refresh_from_db()
    variant_b.refresh_from_db()
    assert (variant_a.stock_on_hand, variant_b.stock_on_hand) == (stock_a + 1, stock_b)
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RETURN).count() == 1


def test_receiving_asks_no_restock_for_stock_of_the_point_of_sale(as_agent, order):
    # given
    line = order.lines.order_by("id").first()
    line.variant.stock_managed_by_pos = True
    line.variant.save()
    ret = make_return(order, 1, status=ReturnStatus.APPROVED)
    return_line = ret.lines.get()
    # when
    page = as_agent.get(page_url(ret))
    # then
    assert f'name="received_{return_line.pk}"' in page.content.decode()
    assert f'name="restock_{return_line.pk}"' not in page.content.decode()


def test_a_received_quantity_above_the_requested_one_is_refused(as_agent, order):
    # given
    ret = make_return(order, 1, status=ReturnStatus.APPROVED)
    line = ret.lines.get()
    before = snapshot(ret)
    # when
    response = save(as_agent, ret, next_status="received", **{f"received_{line.pk}": "3"})
    # then
    assert response.status_code == 200
    assert response.context["form"].errors[f"received_{line.pk}"] == [
        "Ensure this value is less than or equal to 1."
    ]
    assert snapshot(ret) == before


def test_a_status_the_user_may_not_choose_is_refused(order, reasons):
    # given: staff who may cancel returns but not approve them
    user = with_role(None, full_name="Clerk")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_return", "cancel_return"])
    )
    clerk = logged_in(user)
    ret = make_return(order, 1)
    before = snapshot(ret)
    # when
    response = save(clerk, ret, next_status="approved")
    # then
    assert response.status_code == 403
    assert snapshot(ret) == before


def test_a_stale_page_gets_a_message_and_changes_nothing(as_agent, order):
    # given: the page was read while requested; someone approved it meanwhile
    ret = make_return(order, 1)
    return_approve(actor=with_role("returns_agent"), ret=ret)
    before = snapshot(ret)
    # when: the first person rejects from their stale page
    response = save(
        as_agent,
        ret,
        seen="requested",
        next_status="rejected",
        rejection_reason="Worn",
        staff_note="too late",
    )
    # then
    assert response.status_code == 302
    assert response.url == page_url(ret)
    assert messages_of(response) == [
        (
            "error",
            (
                f"Return {ret.rma_number} was changed by someone else meanwhile: "
                "it is now approved. Reload the page and check it again."
            ),
        )
    ]
    assert snapshot(ret) == before


def test_a_refused_transition_keeps_the_edits_too(as_agent, order, actions):
    # given: completing is not offered while something is left to refund
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    before = snapshot(ret)
    # when
    response = save(as_agent, ret, next_status="completed", staff_note="changed")
    # then
    assert response.status_code == 403
    assert snapshot(ret) == before


# --- save: the edits -------------------------------------------------------------------------


def test_saving_the_note_and_fee_calls_the_service_and_writes_an_event(as_agent, agent, order):
    # given
    ret = make_return(order, 1)
    # when
    response = save(as_agent, ret, staff_note="Customer called", return_fee="4.50")
    # then
    assert response.status_code == 302
    ret.refresh_from_db()
    assert (ret.status, ret.staff_note, ret.return_fee) == (
        ReturnStatus.REQUESTED,
        "Customer called",
        Decimal("4.50"),
    )
    event = ret.events.get(kind=ReturnEvent.Kind.NOTE)
    assert (event.actor, event.visible_to_customer) == (agent, False)
    assert event.text == "Staff note: Customer called\nReturn fee: €0.00 → €4.50"
    assert messages_of(response) == [("success", f"Return {ret.rma_number} saved.")]


def test_saving_nothing_changes_nothing(as_agent, order):
    # given
    ret = make_return(order, 1)
    before = snapshot(ret)
    # when
    response = save(as_agent, ret, staff_note="", return_fee="0.00")
    # then
    assert response.status_code == 302
    assert messages_of(response) == [("info", "Nothing to save: nothing was changed.")]
    assert snapshot(ret) == before


def test_a_negative_fee_is_refused(as_agent, order):
    # given
    ret = make_return(order, 1)
    before = snapshot(ret)
    # when
    response = save(as_agent, ret, return_fee="-1")
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["return_fee"] == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert snapshot(ret) == before


def test_posting_a_status_field_directly_changes_nothing(as_agent, order):
    # given
    ret = make_return(order, 1)
    before = snapshot(ret)
    # when: a forged form sets the status field itself
    as_agent.post(page_url(ret), {"seen_status": "requested", "status": "completed"})
    # then
    assert snapshot(ret) == before


# --- completing when nothing is left to refund -----------------------------------------------


def test_complete_is_offered_once_nothing_is_left_to_refund(order, as_manager, manager):
    # given: a received return whose fee eats its whole value
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED, return_fee=Decimal("20.00"))
    # when
    page = as_manager.get(page_url(ret))
    response = save(as_manager, ret, next_status="completed")
    # then
    assert page.context["form"].next_statuses == ["completed"]
    assert response.status_code == 302
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.COMPLETED
    assert status_history(ret)[-1] == ("received", "completed")


# --- query counts ----------------------------------------------------------------------------

# The page's queries, whatever its number of lines, events and refunds: session, user,
# permissions (2), the return, its lines and their photos (3), the money state (one query:
# refunds.money.money_columns), the refunds, the label, the timeline, the emails, the actions of
# the form (the shop settings memoised: shop.memo.page_settings). A label's tracking events add
# one.
RETURN_PAGE_QUERIES = 13


def test_the_return_page_makes_the_same_queries_for_one_line_or_many(
    as_agent, customer, reasons, actions, shop_settings, django_assert_num_queries
):
    # given: a return of one line, and one of six lines with more events
    from tests.factories import make_order

    small = make_return(make_order([(1, "10.00")], customer=customer), 1)
    big_order = make_order([(2, "10.00")] * 6, customer=customer)
    big = make_return(big_order, 2, 2, 2, 2, 2, 2, status=ReturnStatus.RECEIVED)
    as_agent.get(page_url(small))  # once: SQLite's JSON probe, once a process
    # when / then
    with django_assert_num_queries(RETURN_PAGE_QUERIES):
        assert as_agent.get(page_url(small)).status_code == 200
    with django_assert_num_queries(RETURN_PAGE_QUERIES):
        assert as_agent.get(page_url(big)).status_code == 200


@pytest.mark.parametrize(
    ("status", "target", "event"),
    [
        (ReturnStatus.APPROVED, "in_transit", ("approved", "in_transit")),
        (ReturnStatus.APPROVED, "cancelled", ("approved", "cancelled")),
        (ReturnStatus.APPROVED, "expired", ("approved", "expired")),
        (ReturnStatus.IN_TRANSIT, "received", ("in_transit", "received")),
        (ReturnStatus.RECEIVED, "rejected", ("received", "rejected")),
    ],
)
def test_each_next_status_is_saved_with_its_event(as_agent, agent, order, status, target, event):
    # given
    ret = make_return(order, 1, status=status)
    # when
    response = save(
        as_agent,
        ret,
        next_status=target,
        rejection_reason="Worn",
        status_note="Done at the counter.",
    )
    # then
    assert response.status_code == 302
    assert Return.objects.get(pk=ret.pk).status == target
    last = ret.events.filter(kind=ReturnEvent.Kind.STATUS).latest("id")
    assert ((last.from_status, last.to_status), last.actor) == (event, agent)


def test_the_label_and_its_tracking_number_are_shown(as_agent, order):
    # given: a return shipped with a label gets one when approved
    ret = make_return(
        order, 1, status=ReturnStatus.APPROVED, delivery_option=Return.DeliveryOption.LABEL
    )
    if not hasattr(ret, "labels"):
        pytest.skip("labels are not installed")
    label = ret.labels.get()
    # when
    page = as_agent.get(page_url(ret))
    # then
    assert page.context["parcel"].label == label
    assert label.tracking_number in page.content.decode()


# --- a parcel the carrier delivered unopened -------------------------------------------------


def test_a_parcel_received_unopened_is_inspected_from_the_page_and_restocked_once(
    as_agent, plain_staff, order
):
    # given: the carrier's delivery scan received the parcel; nobody opened it yet
    from returns.services.inspection import return_receive_for_inspection

    ret = return_receive_for_inspection(ret=make_return(order, 2, status=ReturnStatus.APPROVED))
    line = ret.lines.get()
    variant = line.order_line.variant
    stock = variant.stock_on_hand
    # when: the page offers the inspection, and one of the two items came back
    page = as_agent.get(page_url(ret)).content.decode()
    response = save(
        as_agent,
        ret,
        next_status="inspected",
        **{f"received_{line.pk}": "1", f"restock_{line.pk}": "on"},
    )
    # then
    assert 'value="inspected"' in page
    assert response.status_code == 302
    line.refresh_from_db()
    variant.refresh_from_db()
    assert (line.received_quantity, line.restock) == (1, True)
    assert variant.stock_on_hand == stock + 1
    assert ret.events.latest("id").text == f"Parcel inspected: 1/2 {variant}."
    # and the inspection is offered no more, and cannot be replayed
    assert 'value="inspected"' not in as_agent.get(page_url(ret)).content.decode()
    save(as_agent, ret, next_status="inspected", **{f"received_{line.pk}": "1"})
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RETURN).count() == 1


def test_staff_without_the_receive_permission_are_not_offered_the_inspection(order):
    from returns.services.inspection import return_receive_for_inspection

    ret = return_receive_for_inspection(ret=make_return(order, 1, status=ReturnStatus.APPROVED))
    manager = logged_in(with_role("refunds_manager"))
    before = snapshot(ret)
    page = manager.get(page_url(ret)).content.decode()
    save(manager, ret, next_status="inspected", **{f"received_{ret.lines.get().pk}": "1"})
    assert 'value="inspected"' not in page
    assert snapshot(ret) == before
    assert ret.lines.get().received_quantity is None


def test_the_return_page_makes_the_same_queries_with_no_refund_or_three(
    as_agent, customer, reasons, actions, shop_settings, django_assert_num_queries
):
    # given: two received returns of five lines, one with three partial refunds (one paid)
    from tests.factories import make_order, superuser
    from tests.refunds.factories import goodwill_parts, received_return

    bare, refunded = (
        received_return(make_order([(2, "10.00")] * 5, customer=customer), [1] * 5)
        for _ in range(2)
    )
    staff = superuser()
    goodwill_parts(staff, refunded)
    as_agent.get(page_url(bare))  # once: SQLite's JSON probe, once a process
    # when / then: both were sent back with a label, whose tracking events are one query more
    for ret, count in ((bare, 0), (refunded, 3)):
        with django_assert_num_queries(RETURN_PAGE_QUERIES + 1):
            page = as_agent.get(page_url(ret))
        assert page.status_code == 200
        assert len(page.context["refunds"]) == count
    assert page.context["money"].pending == Decimal("2.00")
    assert page.context["money"].refunded == Decimal("1.00")
