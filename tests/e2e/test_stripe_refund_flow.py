"""A refund through Stripe in a real browser, in French at phone width: the return's page
offers "Rembourser via Stripe", Stripe refuses, the refund's page shows Stripe's words and
the retry, the retry (after its confirmation page) is refunded. Against the local server
answering as Stripe's API (tests/refunds/stripe/stripe_server.py). Screenshots:
var/screenshots/stripe-*.png."""

import importlib
import re

import pytest
from django.apps import apps

from refunds.models import Refund
from returns.models import ReturnStatus
from tests.e2e.conftest import PHONE
from tests.factories import PASSWORD
from tests.refunds.factories import refunds_manager
from tests.refunds.stripe.helpers import stripe_order
from tests.refunds.stripe.stripe_server import refused

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def received_stripe_return(monkeypatch):
    from tests.refunds.factories import received_return

    monkeypatch.setattr("notifications.services.publish_send", lambda *args, **kwargs: True)
    defaults = importlib.import_module("returns.migrations.0002_default_reasons_and_actions")
    defaults.seed(apps, None)
    order = stripe_order([(1, "19.99"), (1, "12.74")], shipping="6.00")
    return received_return(order, [1, 1], fee="5.00")


def shot(screenshot, page, name):
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def test_staff_refund_through_stripe_see_a_refusal_and_retry(
    live_server,
    new_page,
    screenshot,
    stripe_server,
    received_stripe_return,
):
    ret = received_stripe_return
    staff = refunds_manager(extra=("view_refund", "view_return", "change_return"))
    stripe_server.refusal = refused("insufficient_funds", "Solde Stripe insuffisant.")
    page = new_page(viewport=PHONE, locale="fr-FR")
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))

    # the return's page: refund through Stripe, no "mark as refunded"
    page.goto(f"{live_server.url}/admin/returns/return/{ret.pk}/change/")
    button = page.locator("#refund-through-provider")
    assert button.inner_text() == "Rembourser via Stripe"
    assert page.locator("#mark-refunded").count() == 0
    # the button fits the phone (the page's item tables are wider than 390 px: not ours)
    box = button.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    shot(screenshot, page, "stripe-1-return-page-phone")

    # the refund form, sent: Stripe refuses
    button.click()
    page.wait_for_url(re.compile(rf"/admin/refunds/refund/return/{ret.pk}/"))
    page.click("#content-main input[type=submit]")
    failed = Refund.objects.get(ret=ret)
    page.wait_for_url(re.compile(rf"/admin/refunds/refund/{failed.pk}/change/"))
    assert failed.status == Refund.Status.FAILED
    assert "Stripe: Solde Stripe insuffisant." in page.locator("#content-main").inner_text()
    shot(screenshot, page, "stripe-2-failed-refund-phone")

    # retry: a confirmation page, then a new refund, refunded
    stripe_server.refusal = None
    page.click(f'a[href="/admin/refunds/refund/{failed.pk}/retry/"]')
    page.wait_for_url(re.compile(rf"/admin/refunds/refund/{failed.pk}/retry/"))
    assert "Le prestataire a répondu" in page.locator("#provider-message").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(screenshot, page, "stripe-3-retry-confirmation-phone")
    page.click("#content-main input[type=submit]")
    retried = Refund.objects.exclude(pk=failed.pk).get()
    page.wait_for_url(re.compile(rf"/admin/refunds/refund/{retried.pk}/change/"))
    assert retried.status == Refund.Status.REFUNDED
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.COMPLETED
    assert len(stripe_server.refunds) == 1
    shot(screenshot, page, "stripe-4-refunded-phone")
