"""The back-office in a real browser, the way merchants work: (1) open Returns, filter on
requested, open one, review its reason and action, approve, save, see the new status and its
event; (2) open an order, Create return, fill the form, save, find it in the overview; (3) mark a
received return refunded, its quote in view. Screenshots go to var/screenshots/backoffice-*.png.
"""

import importlib
import re

import pytest
from django.apps import apps

from refunds.models import Refund
from returns.demo.returns import seed_returns
from returns.models import Return, ReturnStatus
from shop.demo import ROLE_LOGINS, seed_shop
from shop.models import Order
from tests.e2e.conftest import DESKTOP

pytestmark = pytest.mark.django_db(transaction=True)

LOGINS = {role: (email, password) for email, password, _name, role in ROLE_LOGINS}


@pytest.fixture
def demo_shop(monkeypatch):
    """The demo shop with its returns in every status, and the default reasons and actions
    (a transactional test flushes what the data migration seeded)."""
    monkeypatch.setattr("notifications.services.publish_send", lambda *args, **kwargs: True)
    defaults = importlib.import_module("returns.migrations.0002_default_reasons_and_actions")
    defaults.seed(apps, None)
    seed_shop()
    seed_returns()


def shot(screenshot, page, name):
    """A full-page screenshot from the top (the sticky menu is drawn where the page scrolled)."""
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def log_in(page, live_server, role):
    email, password = LOGINS[role]
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_an_agent_reviews_and_approves_a_requested_return(
    live_server, new_page, screenshot, demo_shop
):
    page = new_page(viewport=DESKTOP, locale="fr-FR")
    requested = Return.objects.get(status=ReturnStatus.REQUESTED)

    # the home: the queues, and the chart
    log_in(page, live_server, "returns_agent")
    assert page.locator('.queue[data-queue="requested"] .count').inner_text() == "1"
    assert page.locator("#chart .bar").count() == 30
    shot(screenshot, page, "backoffice-1-home")

    # Returns, filtered on requested
    page.click('#content-main a[href="/admin/returns/return/"]')
    page.wait_for_url(re.compile(r"/admin/returns/return/$"))
    assert page.locator("#result_list tbody tr").count() == Return.objects.count()
    shot(screenshot, page, "backoffice-2-overview")
    page.click('#changelist-filter a[href*="status__exact=requested"]')
    page.wait_for_url(re.compile(r"status__exact=requested"))
    assert page.locator("#result_list tbody tr").count() == 1
    shot(screenshot, page, "backoffice-3-overview-requested")

    # open it: review the reason and the action
    page.click(f'#result_list a:text-is("{requested.rma_number}")')
    page.wait_for_url(re.compile(rf"/admin/returns/return/{requested.pk}/change/"))
    line = requested.lines.select_related("reason").get()
    assert line.reason.name_fr in page.locator("#returned-items").inner_text()
    assert page.locator("#return-status.badge-requested").count() == 1
    assert page.locator("#panel-approved").is_hidden()
    page.select_option("#id_action", label="Remboursement")
    page.click('label.bo-choice[data-status="approved"]')
    assert page.locator("#panel-approved").is_visible()
    assert page.locator("#panel-rejected").is_hidden()
    shot(screenshot, page, "backoffice-4-return-review")

    # save: the new status and its event
    page.click("#process-form input[name=_save]")
    page.wait_for_url(re.compile(rf"/admin/returns/return/{requested.pk}/change/"))
    assert page.locator("#return-status.badge-approved").count() == 1
    assert page.locator(".messagelist .success").count() == 1
    last_event = page.locator("#timeline li.kind-status").last
    assert last_event.locator(".badge-approved").count() == 1
    assert "Inès Petit" in last_event.inner_text()
    requested.refresh_from_db()
    assert (requested.status, requested.action.code) == (ReturnStatus.APPROVED, "refund")
    shot(screenshot, page, "backoffice-5-return-approved")


def test_an_agent_creates_a_return_from_an_order(live_server, new_page, screenshot, demo_shop):
    page = new_page(viewport=DESKTOP, locale="fr-FR")
    order = Order.objects.get(number="DEMO-1006")
    jeans = order.lines.order_by("id").first()
    log_in(page, live_server, "returns_agent")

    # Orders, found by its number
    page.click('#content-main a[href="/admin/shop/order/"]')
    page.fill("#searchbar", "DEMO-1006")
    page.press("#searchbar", "Enter")
    page.click('#result_list a:text-is("DEMO-1006")')
    page.wait_for_url(re.compile(rf"/admin/shop/order/{order.pk}/change/"))
    shot(screenshot, page, "backoffice-6-order")

    # Create return: fill the form
    page.click("#create-return")
    page.wait_for_url(re.compile(rf"/admin/returns/return/create/{order.pk}/$"))
    page.fill(f"#id_qty_{jeans.pk}", "1")
    page.select_option(f"#id_reason_{jeans.pk}", "defective")
    assert not page.is_checked(f"#id_restock_{jeans.pk}")  # a defective item is not restocked
    page.select_option("#id_action", label="Envoi d'un article de remplacement")
    page.check("#id_start_status_1")
    page.fill("#id_customer_comment", "La couture a lâché au premier lavage.")
    page.fill("#id_staff_note", "Appel du client le 12.")
    shot(screenshot, page, "backoffice-7-create-return")
    page.click("#create-return-submit")

    # the new return, then the overview
    page.wait_for_url(re.compile(r"/admin/returns/return/\d+/change/"))
    ret = Return.objects.filter(order=order).latest("id")
    assert (ret.status, ret.channel) == (ReturnStatus.APPROVED, Return.Channel.BACKOFFICE)
    assert list(ret.lines.values_list("order_line_id", "quantity", "reason__code", "restock")) == [
        (jeans.pk, 1, "defective", False)
    ]
    page.click('.breadcrumbs a[href="/admin/returns/return/"]')
    page.wait_for_url(re.compile(r"/admin/returns/return/$"))
    assert page.locator(f'#result_list a:text-is("{ret.rma_number}")').count() == 1


def test_a_refunds_manager_marks_a_received_return_refunded(
    live_server, new_page, screenshot, demo_shop
):
    page = new_page(viewport=DESKTOP, locale="fr-FR")
    received = Return.objects.get(status=ReturnStatus.RECEIVED)
    log_in(page, live_server, "refunds_manager")

    # the received queue, then the return with its quote
    page.click('.queue[data-queue="received"]')
    page.click(f'#result_list a:text-is("{received.rma_number}")')
    page.wait_for_url(re.compile(rf"/admin/returns/return/{received.pk}/change/"))
    total = page.locator("#quote-total").inner_text()
    assert page.locator("#quote tbody tr").count() >= 1
    shot(screenshot, page, "backoffice-8-return-received")

    # mark it refunded with the bank transfer's reference, on the "mark as refunded" page
    page.click("#mark-refunded")
    page.wait_for_url(re.compile(rf"/admin/returns/return/{received.pk}/mark-refunded/"))
    assert page.locator("#to-refund tbody tr").count() == 1
    page.fill("#id_reference", "VIR-2026-0042")
    page.click("#mark-refunded")
    page.wait_for_url(re.compile(rf"/admin/returns/return/{received.pk}/change/"))
    assert page.locator("#return-status.badge-completed").count() == 1
    assert "VIR-2026-0042" in page.locator("#refunds").inner_text()
    assert page.locator("#quote-total").inner_text() == total
    refund = Refund.objects.get(ret=received)
    assert (refund.status, refund.reference) == (Refund.Status.REFUNDED, "VIR-2026-0042")
    shot(screenshot, page, "backoffice-9-return-refunded")


def test_the_back_office_reads_in_english_too(live_server, new_page, screenshot, demo_shop):
    page = new_page(viewport=DESKTOP, locale="en-GB")
    ret = Return.objects.get(status=ReturnStatus.IN_TRANSIT)
    log_in(page, live_server, "returns_agent")
    assert page.locator("html").get_attribute("lang") == "en"
    shot(screenshot, page, "backoffice-en-1-home")
    page.click('#content-main a[href="/admin/returns/return/"]')
    page.wait_for_url(re.compile(r"/admin/returns/return/$"))
    shot(screenshot, page, "backoffice-en-2-overview")
    page.click(f'#result_list a:text-is("{ret.rma_number}")')
    page.wait_for_url(re.compile(rf"/admin/returns/return/{ret.pk}/change/"))
    page.click('label.bo-choice[data-status="received"]')
    assert page.locator("#panel-received").is_visible()
    assert page.locator("#panel-received input[type=number]").count() == ret.lines.count()
    shot(screenshot, page, "backoffice-en-3-return-receive")
