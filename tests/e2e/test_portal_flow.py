"""The customer's whole flow in a real browser, in French: log in, My orders, the order, return
two items with reasons, the estimate, confirm, the return requested with its timeline; and the
guest lookup. Screenshots at phone and desktop widths go to var/screenshots/portal-*.png."""

import re

import pytest
from django.utils import translation

from refunds.quotes import quote_for_return
from refunds.services import refund_create, refund_mark_refunded
from returns.models import Return, ReturnAction, ReturnStatus
from returns.services import ReturnLineInput, return_approve, return_receive, return_request
from shop.demo import CUSTOMER_LOGINS, STAFF_LOGIN, seed_shop
from shop.models import Order, User
from shop.templatetags.money import money
from tests.e2e.conftest import DESKTOP, PHONE
from tests.fixtures.returns import seed_reasons

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [pytest.param(PHONE, "phone", id="phone"), pytest.param(DESKTOP, "desktop", id="desktop")]


@pytest.fixture
def demo_shop(monkeypatch):
    """The demo shop (its customers, catalogue and orders) and the default reasons."""
    # The broker is not under test here: emails stay queued in the outbox.
    monkeypatch.setattr("notifications.services.publish_send", lambda *args, **kwargs: True)
    seed_shop()
    seed_reasons()
    email, password = CUSTOMER_LOGINS[0][:2]
    return {"email": email, "password": password}


def assert_fits(page):
    """Nothing wider than the window: no sideways scrolling on a phone."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the window"


@pytest.mark.parametrize(("viewport", "width"), WIDTHS)
def test_a_customer_returns_two_items_in_french(
    live_server, new_page, screenshot, demo_shop, viewport, width
):
    page = new_page(viewport=viewport, locale="fr-FR")
    order = Order.objects.get(number="DEMO-1002")
    _jeans, jumper, tshirts = order.lines.order_by("id")

    # log in
    page.goto(f"{live_server.url}/login/")
    assert page.locator("html").get_attribute("lang") == "fr"
    screenshot(page, f"portal-{width}-0-login")
    page.fill("#id_username", demo_shop["email"])
    page.fill("#id_password", demo_shop["password"])
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/$"))

    # My orders: newest first
    numbers = page.locator(".order-number").all_inner_texts()
    assert [re.search(r"DEMO-\d+", text).group() for text in numbers] == [
        "DEMO-1004",
        "DEMO-1001",
        "DEMO-1009",
        "DEMO-1002",
        "DEMO-1003",
    ]
    assert_fits(page)
    screenshot(page, f"portal-{width}-1-orders")

    # the order
    page.click('a[href="/orders/DEMO-1002/"]')
    page.wait_for_url(re.compile(r"/orders/DEMO-1002/$"))
    assert page.locator("tbody tr").count() == 3
    assert_fits(page)
    screenshot(page, f"portal-{width}-2-order")

    # the form: the jumper (changed mind) and both T-shirts (other, with details)
    page.click('a[href="/orders/DEMO-1002/return/"]')
    page.wait_for_url(re.compile(r"/return/$"))
    detail = page.locator(f"#id_line-{tshirts.pk}-detail")
    assert detail.is_hidden()  # shown only for a reason that needs it
    page.select_option(f"#id_line-{jumper.pk}-quantity", "1")
    page.select_option(f"#id_line-{jumper.pk}-reason", "changed-mind")
    page.select_option(f"#id_line-{tshirts.pk}-quantity", "2")
    page.select_option(f"#id_line-{tshirts.pk}-reason", "other")
    assert detail.is_visible()
    detail.fill("Le col se déforme au lavage.")
    page.check("input[name=refund_mode][value=money_back]")
    page.check("input[name=delivery_option][value=label]")
    page.fill("#id_customer_comment", "Merci !")
    assert_fits(page)
    screenshot(page, f"portal-{width}-3-return-form")
    page.click("#return-form button[type=submit]")

    # the summary with the estimate
    page.wait_for_url(re.compile(r"/return/confirm/$"))
    assert page.locator(".summary-items li").count() == 2
    estimate = page.locator("[data-quote-total]").inner_text()
    assert_fits(page)
    screenshot(page, f"portal-{width}-4-summary")
    page.click("main form button[type=submit]")

    # the return requested, with its timeline
    page.wait_for_url(re.compile(r"/returns/R-[0-9A-Z]{8}/$"))
    ret = Return.objects.get()
    assert ret.status == ReturnStatus.REQUESTED
    assert sorted(ret.lines.values_list("order_line_id", "quantity", "reason__code")) == sorted(
        [(jumper.pk, 1, "changed-mind"), (tshirts.pk, 2, "other")]
    )
    with translation.override("fr"):
        assert estimate == money(quote_for_return(ret).total, "EUR")
    assert page.locator(".tracker .step.current").count() == 1
    assert page.locator(".tracker .step").count() == 5
    assert page.locator(".history li").count() == 1
    assert page.locator(f'form[action="/returns/{ret.rma_number}/cancel/"]').count() == 1
    assert_fits(page)
    screenshot(page, f"portal-{width}-5-return")


@pytest.mark.parametrize(("viewport", "width"), WIDTHS)
def test_a_guest_finds_an_order_with_its_postcode(
    live_server, new_page, screenshot, demo_shop, viewport, width
):
    page = new_page(viewport=viewport, locale="fr-FR")

    # a wrong pair, then the right one
    page.goto(f"{live_server.url}/lookup/")
    page.fill("#id_order_number", "DEMO-1005")
    page.fill("#id_email_or_postcode", "9999")
    page.click("main button[type=submit]")
    assert page.locator(".errorlist.nonfield").count() == 1
    assert_fits(page)
    screenshot(page, f"portal-{width}-6-lookup")
    page.fill("#id_email_or_postcode", "1000")
    page.click("main button[type=submit]")

    # the order, for this session only
    page.wait_for_url(re.compile(r"/orders/DEMO-1005/$"))
    assert page.locator(".guest-banner").count() == 1
    assert page.locator('a[href="/orders/DEMO-1005/return/"]').count() == 1
    assert_fits(page)
    screenshot(page, f"portal-{width}-7-guest-order")


@pytest.mark.parametrize(("viewport", "width"), WIDTHS)
def test_an_approved_then_refunded_return(
    live_server, new_page, screenshot, demo_shop, viewport, width
):
    # given: DEMO-1001 returned in full and approved by staff (the carrier made the label)
    staff = User.objects.get(email=STAFF_LOGIN[0])
    order = Order.objects.get(number="DEMO-1001")
    ret = return_request(
        actor=order.customer.user,
        order=order,
        refund_mode="money_back",
        delivery_option="label",
        lines=[
            ReturnLineInput(order_line_id=line.pk, quantity=line.quantity, reason_code="defective")
            for line in order.lines.all()
        ],
    )
    return_approve(
        actor=staff,
        ret=ret,
        action=ReturnAction.objects.get_or_create(
            code="refund", defaults={"name_en": "Refund", "name_fr": "Remboursement"}
        )[0],
    )
    page = new_page(viewport=viewport, locale="fr-FR")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", demo_shop["email"])
    page.fill("#id_password", demo_shop["password"])
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/$"))
    # when
    page.goto(f"{live_server.url}/returns/{ret.rma_number}/")
    # then: the label to download
    assert page.locator(f'a[href="/returns/{ret.rma_number}/label/"]').count() == 1
    assert_fits(page)
    screenshot(page, f"portal-{width}-8-return-approved")

    # when staff receive the parcel and refund it
    return_receive(actor=staff, ret=Return.objects.get(pk=ret.pk))
    refund = refund_create(
        actor=staff, ret=Return.objects.get(pk=ret.pk), idempotency_key=f"e2e-{width}"
    )
    refund_mark_refunded(actor=staff, refund=refund, reference="PSP-42")
    page.reload()
    # then: the whole order came back: items 32,73 € + shipping 6,00 €
    assert page.locator(".tracker .step.done").count() == 4
    assert "38,73" in page.locator(".refunds").inner_text()
    assert page.locator(".cancel").count() == 0
    assert page.locator(".label-box").count() == 0
    assert_fits(page)
    screenshot(page, f"portal-{width}-9-return-refunded")
