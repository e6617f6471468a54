"""The back-office of an amount owed back (a return refunded before receipt, received short) and of
a refund's reversal: the warning on the return's page and in the overview, the settle page, the
reversal's confirmation page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from refunds.models import Refund, RefundStatus, Repayment
from refunds.services import refund_settle
from returns.models import Return, ReturnStatus
from returns.services import return_receive
from tests.factories import make_order, superuser
from tests.fixtures.backoffice import with_role
from tests.fixtures.web import logged_in, messages_of
from tests.returns.admin.helpers import make_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    """The back-office's refunds manager (tests/refunds/conftest.py's holds only permissions)."""
    return with_role("refunds_manager", full_name="Hugo Manager")


@pytest.fixture
def as_manager(manager):
    return logged_in(manager)


WARNING = (
    '<p class="bo-warning" id="owed-back">The customer owes €16.00 back: fewer items arrived '
    "than were refunded."
)


@pytest.fixture
def short(customer, reasons, manager):
    """Two units at 10.00 and 6.00 shipping refunded (26.00) before receipt; one arrived."""
    order = make_order([(2, "10.00")], shipping="6.00", customer=customer, email=customer.email)
    ret = make_return(order, 2, status=ReturnStatus.APPROVED)
    refund_settle(actor=manager, ret=ret, reference="BANK-1", idempotency_key="s-1")
    line = ret.lines.get()
    return return_receive(actor=superuser(), ret=ret, received={line.pk: (1, False)})


def test_the_return_page_warns_and_links_to_the_settle_page(as_manager, short):
    # when
    page = as_manager.get(reverse("admin:returns_return_change", args=[short.pk]))
    # then
    html = page.content.decode()
    assert WARNING in html
    assert reverse("admin:refunds_refund_owed_back", args=[short.pk]) in html
    assert "Fully refunded." not in html


def test_the_overview_shows_the_amount_owed_back(as_manager, short):
    # when
    page = as_manager.get("/admin/returns/return/")
    # then
    assert (
        '<span class="cell-line owed-back">€16.00 owed back by the customer</span>'
        in page.content.decode()
    )


def test_writing_it_off_from_the_page_settles_and_completes(as_manager, short, manager):
    # given
    url = reverse("admin:refunds_refund_owed_back", args=[short.pk])
    assert '<strong id="owed-back">€16.00</strong>' in as_manager.get(url).content.decode()
    # when
    response = as_manager.post(url, {"outcome": "written_off", "note": "Not worth chasing."})
    # then
    assert response.status_code == 302
    assert messages_of(response) == [("success", "The amount owed back is settled.")]
    assert list(Repayment.objects.values_list("amount", "outcome", "note", "created_by")) == [
        (Decimal("16.00"), "written_off", "Not worth chasing.", manager.pk)
    ]
    assert Return.objects.get(pk=short.pk).status == ReturnStatus.COMPLETED


def test_a_write_off_without_a_note_is_refused_on_the_page(as_manager, short):
    # when
    url = reverse("admin:refunds_refund_owed_back", args=[short.pk])
    response = as_manager.post(url, {"outcome": "written_off", "note": ""})
    # then
    assert response.status_code == 200
    assert messages_of(response) == [("error", "Say why the amount is written off.")]
    assert Repayment.objects.count() == 0
    assert Return.objects.get(pk=short.pk).status == ReturnStatus.RECEIVED


def test_an_agent_without_the_refund_permission_cannot_open_it(as_agent, short):
    # when
    response = as_agent.post(
        reverse("admin:refunds_refund_owed_back", args=[short.pk]),
        {"outcome": "written_off", "note": "x"},
    )
    # then
    assert response.status_code == 403
    assert Repayment.objects.count() == 0


def test_reversing_asks_for_confirmation_then_reverses(as_manager, customer, reasons, manager):
    # given: refunded before receipt
    order = make_order([(1, "59.09")], shipping="6.00", customer=customer, email=customer.email)
    ret = make_return(order, 1, status=ReturnStatus.APPROVED)
    refund = refund_settle(actor=manager, ret=ret, reference="BANK-1", idempotency_key="s-1")
    change = reverse("admin:refunds_refund_change", args=[refund.pk])
    url = reverse("admin:refunds_refund_reverse", args=[refund.pk])
    # when
    shown = as_manager.get(change).content.decode()
    confirm = as_manager.get(url).content.decode()
    status_after_viewing = Refund.objects.get(pk=refund.pk).status
    done = as_manager.post(url, {"reason": "Customer kept the jacket and paid it back."})
    # then
    assert url in shown
    assert "will no longer count as paid out" in confirm
    assert status_after_viewing == RefundStatus.REFUNDED
    assert done.status_code == 302
    reversed_ = Refund.objects.get(pk=refund.pk)
    assert (reversed_.status, reversed_.reversal_reason, reversed_.reversed_by) == (
        RefundStatus.REVERSED,
        "Customer kept the jacket and paid it back.",
        manager,
    )


def test_a_reversal_without_a_reason_changes_nothing(as_manager, customer, reasons, manager):
    # given
    order = make_order([(1, "59.09")], shipping="6.00", customer=customer, email=customer.email)
    ret = make_return(order, 1, status=ReturnStatus.APPROVED)
    refund = refund_settle(actor=manager, ret=ret, reference="BANK-1", idempotency_key="s-1")
    # when
    response = as_manager.post(reverse("admin:refunds_refund_reverse", args=[refund.pk]), {})
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.REFUNDED


def test_the_reverse_page_of_a_completed_returns_refund_says_why_not(
    as_manager, customer, reasons, manager
):
    # given: received, refunded, hence completed
    order = make_order([(1, "59.09")], shipping="6.00", customer=customer, email=customer.email)
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    refund = refund_settle(actor=manager, ret=ret, reference="BANK-1", idempotency_key="s-1")
    # when
    page = as_manager.get(reverse("admin:refunds_refund_reverse", args=[refund.pk]))
    change = as_manager.get(reverse("admin:refunds_refund_change", args=[refund.pk]))
    # then: no form, the reason; no button on the refund's page
    html = page.content.decode()
    assert (
        f'<p class="bo-warning" id="not-reversible">Return {ret.rma_number} is completed: its '
        "refund can no longer be reversed.</p>"
    ) in html
    assert 'name="reason"' not in html
    assert reverse("admin:refunds_refund_reverse", args=[refund.pk]) not in change.content.decode()
