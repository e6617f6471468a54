"""The portal's page of a return refunded before its parcel arrives: it says so, in both
languages, and offers no cancel (a forged one is refused and changes nothing)."""

import pytest
from django.test import Client

from notifications.models import Notification
from refunds.models import Refund
from refunds.services import refund_settle
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import return_approve, return_mark_in_transit
from tests.factories import StaffFactory
from tests.fixtures.web import shown_messages
from tests.portal.test_return_page import request_return, url
from tests.refunds.factories import refunds_manager

pytestmark = pytest.mark.django_db

HEADLINE = '<h2 id="progress-title" class="status-headline">{}</h2>'


@pytest.fixture
def credited(order, staff):
    """The customer's return of the T-shirt, approved, then credited before receipt."""
    ret = request_return(order, (1, "wrong-size"), refund_mode="store_credit")
    ret = return_approve(actor=staff, ret=ret)
    refund_settle(actor=refunds_manager(), ret=ret, reference="", idempotency_key="credit-1")
    return Return.objects.get(pk=ret.pk)


@pytest.fixture
def staff(db):
    return StaffFactory(is_superuser=True)


def test_the_page_says_refunded_and_asks_for_the_parcel_still(customer_client, credited):
    # when
    response = customer_client.get(url(credited))
    # then
    page = response.content.decode()
    assert HEADLINE.format("Refunded: please still send your parcel") in page
    assert HEADLINE.format("Approved: please send your parcel") not in page
    assert response.context["can_cancel"] is False
    assert f'action="/returns/{credited.rma_number}/cancel/"' not in page


def test_the_page_says_it_in_french(customer, credited):
    # given
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(customer.user)
    # when
    response = client.get(url(credited))
    # then
    assert HEADLINE.format("Remboursé : merci d'envoyer tout de même votre colis") in (
        response.content.decode().replace("&#x27;", "'")
    )


def test_a_refunded_parcel_on_its_way_reads_so(customer_client, credited, staff):
    # given
    return_mark_in_transit(actor=staff, ret=credited)
    # when
    response = customer_client.get(url(credited))
    # then
    assert HEADLINE.format("Refunded: your parcel is on its way to us") in (
        response.content.decode()
    )


def test_a_forged_cancel_is_refused_and_changes_nothing(customer_client, credited):
    # given
    events = ReturnEvent.objects.filter(ret=credited).count()
    outbox = Notification.objects.count()
    # when
    response = customer_client.post(
        f"{url(credited)}cancel/", {"seen_status": "approved"}, follow=True
    )
    # then
    assert shown_messages(response) == [
        f"Return {credited.rma_number} can no longer be cancelled: it has a refund of €12.99."
    ]
    assert Return.objects.get(pk=credited.pk).status == ReturnStatus.APPROVED
    assert ReturnEvent.objects.filter(ret=credited).count() == events
    assert Notification.objects.count() == outbox
    assert Refund.objects.count() == 1


def test_an_approved_return_not_refunded_keeps_its_usual_headline(customer_client, order, staff):
    # given
    ret = return_approve(actor=staff, ret=request_return(order, (1, "wrong-size")))
    # when
    response = customer_client.get(url(ret))
    # then
    assert HEADLINE.format("Approved: please send your parcel") in response.content.decode()
    assert response.context["can_cancel"] is True
