"""*Create return*, a return's page and the label page in Chromium, in French and English, at a
phone's width and a desktop's: no page is wider than the window, and the refund summary of
*Create return* follows the quantities as they are typed (the page's script asks the preview;
nothing is saved). Screenshots: var/screenshots/create-return-*, return-page-*, label-page-*."""

import re

import pytest
from django.utils import translation

from refunds.previews import preview_request
from returns import policy
from returns.models import Return, ReturnLabel, ReturnReason
from returns.selectors import returnable_quantities
from shop.models import Order, ShopSettings
from shop.money import format_money
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_backoffice_flows import demo_shop, log_in, shot  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("demo_shop")]

SIZES = {"390": PHONE, "1366": DESKTOP}
LOCALES = {"fr": "fr-FR", "en": "en-GB"}


def a_returnable_order() -> tuple[Order, int]:
    """A demo order staff may return items of without an override, and its first line with
    two units or more left (else one)."""
    shop = ShopSettings.load()
    for order in Order.objects.order_by("id"):
        left = returnable_quantities(order)
        answer = policy.returnability(
            order, shop, channel=Return.Channel.BACKOFFICE, remaining=left
        )
        open_lines = [line for line, units in left.items() if units > 0]
        if answer.returnable and open_lines:
            return order, max(open_lines, key=lambda line: (left[line] >= 2, -line))
    raise AssertionError("the demo has no returnable order")


def expected_total(order: Order, line_id: int, units: int, reason: str, language: str) -> str:
    """The total refunds.previews quotes for that pick, as the page writes it."""
    quote = preview_request(
        order=order,
        quantities={line_id: units},
        reason_codes={line_id: reason},
        refund_mode=policy.offered_refund_modes(ShopSettings.load(), staff_may_override=False)[0],
        channel=Return.Channel.BACKOFFICE,
    ).quote
    with translation.override(language):
        return format_money(quote.total, quote.currency)


def assert_fits(page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("language", list(LOCALES))
def test_create_return_shows_the_refund_live_and_fits(
    live_server, new_page, screenshot, language, size
):
    page = new_page(viewport=SIZES[size], locale=LOCALES[language])
    order, line_id = a_returnable_order()
    reason = ReturnReason.objects.filter(active=True).order_by("position", "id").first()
    log_in(page, live_server, "returns_agent")
    returns_before = Return.objects.count()

    page.goto(f"{live_server.url}/admin/returns/return/create/{order.pk}/")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("#refund-summary-empty").count() == 1

    # picking one unit: the summary comes without a click
    page.select_option(f"#id_reason_{line_id}", reason.code)
    page.fill(f"#id_qty_{line_id}", "1")
    total = page.locator("#refund-summary #quote-total")
    total.wait_for()
    assert total.inner_text() == expected_total(order, line_id, 1, reason.code, language)

    # all the units left: it follows
    left = returnable_quantities(order)[line_id]
    if left >= 2:
        page.fill(f"#id_qty_{line_id}", str(left))
        wanted = expected_total(order, line_id, left, reason.code, language)
        page.wait_for_function(
            "wanted => document.querySelector('#refund-summary #quote-total').innerText === wanted",
            arg=wanted,
        )
    assert Return.objects.count() == returns_before
    assert_fits(page)
    shot(screenshot, page, f"create-return-{language}-{size}")


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("language", list(LOCALES))
def test_a_returns_page_and_its_label_page_fit(live_server, new_page, screenshot, language, size):
    page = new_page(viewport=SIZES[size], locale=LOCALES[language])
    label = ReturnLabel.objects.select_related("ret").order_by("id").first()
    assert label is not None, "the demo has no label"
    log_in(page, live_server, "returns_agent")

    page.goto(f"{live_server.url}/admin/returns/return/{label.ret_id}/change/")
    assert page.locator("#parcel-state").count() == 1
    assert_fits(page)
    shot(screenshot, page, f"return-page-{language}-{size}")

    page.click("#label-page")
    page.wait_for_url(re.compile(rf"/admin/returns/returnlabel/{label.pk}/"))
    assert_fits(page)
    shot(screenshot, page, f"label-page-{language}-{size}")
