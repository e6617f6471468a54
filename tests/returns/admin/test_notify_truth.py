"""The return page's *notify the customer* box is offered only for a status change that has an
email (returns.notify.status_change_email), and ticking it queues exactly that email; where it
is not offered, nothing is sent whatever is posted."""

from decimal import Decimal

import pytest

from notifications.models import Notification
from returns.models import Return, ReturnStatus
from returns.notify import status_change_email
from returns.services.inspection import return_receive_for_inspection
from tests.factories import superuser
from tests.fixtures.web import logged_in
from tests.returns.admin.helpers import make_return, page_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_boss(db):
    return logged_in(superuser())


def new_emails(ret: Return, before: set[int]) -> list[str]:
    rows = Notification.objects.filter(ret=ret).exclude(pk__in=before).order_by("id")
    return list(rows.values_list("event", flat=True))


def received_for_inspection(order) -> Return:
    ret = make_return(order, 1, status=ReturnStatus.APPROVED)
    return return_receive_for_inspection(ret=ret)


def settled_and_received(order) -> Return:
    """Received, its fee the whole item: nothing is left to refund, so it may be completed."""
    return make_return(order, 1, status=ReturnStatus.RECEIVED, return_fee=Decimal("20.00"))


# (how the return is made, the status chosen, the email ticking the box queues or None)
CHANGES = [
    pytest.param(lambda o: make_return(o, 1), "approved", "approved", id="approve"),
    pytest.param(lambda o: make_return(o, 1), "rejected", "rejected", id="reject"),
    pytest.param(lambda o: make_return(o, 1), "cancelled", "cancelled", id="cancel"),
    pytest.param(
        lambda o: make_return(o, 1, status=ReturnStatus.APPROVED),
        "in_transit",
        None,
        id="in-transit-by-hand",
    ),
    pytest.param(
        lambda o: make_return(o, 1, status=ReturnStatus.APPROVED),
        "received",
        "received",
        id="receive",
    ),
    pytest.param(
        lambda o: make_return(o, 1, status=ReturnStatus.APPROVED), "expired", "expired", id="expire"
    ),
    pytest.param(received_for_inspection, "inspected", None, id="inspect"),
    pytest.param(settled_and_received, "completed", "refunded", id="complete"),
]


@pytest.mark.parametrize(("make", "status", "email"), CHANGES)
def test_the_box_is_offered_exactly_where_ticking_it_queues_an_email(
    as_boss, order, make, status, email
):
    # given
    ret = make(order)
    before = set(Notification.objects.values_list("pk", flat=True))
    # when
    page = as_boss.get(page_url(ret))
    saved = as_boss.post(
        page_url(ret),
        {
            "seen_status": ret.status,
            "next_status": status,
            "notify": "on",
            "rejection_reason": "Worn",
        },
    )
    # then: the status is among those the box is shown for iff an email went out
    form = page.context["form"]
    assert status in form.next_statuses
    assert (status in getattr(form, "notify_statuses", [])) is (email is not None)
    assert saved.status_code == 302
    assert new_emails(ret, before) == ([email] if email else [])


@pytest.mark.parametrize(("make", "status", "email"), CHANGES)
def test_the_box_left_unticked_sends_nothing(as_boss, order, make, status, email):
    # given
    ret = make(order)
    before = set(Notification.objects.values_list("pk", flat=True))
    # when
    saved = as_boss.post(
        page_url(ret),
        {"seen_status": ret.status, "next_status": status, "rejection_reason": "Worn"},
    )
    # then
    assert saved.status_code == 302
    assert new_emails(ret, before) == []


def test_a_return_that_can_only_go_in_transit_has_no_box(as_boss, order):
    # given: approved, sent back with a label the customer posts themselves; the boss may
    # choose in transit, received, cancelled, expired: only in transit has no email
    ret = make_return(order, 1, status=ReturnStatus.APPROVED)
    # when
    page = as_boss.get(page_url(ret))
    # then: the box's panel opens for the statuses with an email only
    html = page.content.decode()
    form = page.context["form"]
    assert form.notify_statuses == ["received", "cancelled", "expired"]
    assert 'data-for="received cancelled expired" id="panel-notify"' in html


def test_a_parcel_awaiting_inspection_offers_the_box_for_the_rejection_only(as_boss, order):
    # given: received unopened: inspect it (no email) or reject it (an email)
    ret = received_for_inspection(order)
    # when
    page = as_boss.get(page_url(ret))
    # then
    form = page.context["form"]
    assert (form.next_statuses, form.notify_statuses) == (["inspected", "rejected"], ["rejected"])
    assert 'data-for="rejected" id="panel-notify"' in page.content.decode()


def test_a_page_offering_no_status_with_an_email_has_no_box(as_boss, order):
    # given: a completed return: no status is left to choose
    ret = settled_and_received(order)
    as_boss.post(page_url(ret), {"seen_status": ret.status, "next_status": "completed"})
    # when
    page = as_boss.get(page_url(ret))
    # then
    assert page.context["form"].next_statuses == []
    assert "notify" not in page.context["form"].fields
    assert 'id="panel-notify"' not in page.content.decode()


@pytest.mark.parametrize(
    ("mode", "email"),
    [("money_back", "refunded"), ("store_credit", "credited"), ("exchange", "exchanged")],
)
def test_completing_tells_how_the_return_was_settled(mode, email):
    assert status_change_email(Return(refund_mode=mode), ReturnStatus.COMPLETED) == email
