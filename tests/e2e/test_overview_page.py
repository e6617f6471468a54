"""The returns overview in a real browser, in French and English, at 1366 and 390 px: its work
list's columns (amount owed, refund state, label and tracking, age, channel) and filters, nothing
wider than a phone, and the bulk "mark refunded" confirmation with its amounts and warning.
Screenshots: var/screenshots/overview-{fr,en}-{1366,390}.png and overview-bulk-fr-390.png."""

import pytest

from returns.label_state import LabelState, label_state_condition
from returns.models import Return, ReturnStatus
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_backoffice_flows import demo_shop, log_in, shot  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)

OVERVIEW = "/admin/returns/return/"
WORDS = {
    "fr": {
        "title": "Retours",
        "headers": ["Montant dû", "Remboursé ?", "Étiquette", "Depuis, canal"],
        "no_label": "sans étiquette",
    },
    "en": {
        "title": "Returns",
        "headers": ["Amount owed", "Refunded?", "Label", "Age and channel"],
        "no_label": "no label",
    },
}
# English words that must not be left on a French page.
ENGLISH = ["not refunded", "no label", "label created", "Amount owed", "today", " days", "Refund"]


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(("viewport", "width"), [(DESKTOP, "1366"), (PHONE, "390")])
def test_the_overview_reads_as_a_work_list(
    live_server,
    new_page,
    screenshot,
    demo_shop,  # noqa: F811
    language,
    viewport,
    width,
):
    words = WORDS[language]
    page = new_page(viewport=viewport, locale="fr-FR" if language == "fr" else "en-GB")
    log_in(page, live_server, "refunds_manager")
    page.goto(f"{live_server.url}{OVERVIEW}")
    page.wait_for_selector("#result_list")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").inner_text() == words["title"]
    headers = page.locator("#result_list thead th").all_inner_texts()
    for header in words["headers"]:
        assert header.upper() in [text.strip().upper() for text in headers], headers
    rows = page.locator("#result_list tbody tr").count()
    assert rows == Return.objects.count()
    assert page.locator("td.field-refund_state .refund-state").count() == rows
    assert page.locator("td.field-label .label-state").count() == rows
    no_label = Return.objects.filter(label_state_condition(LabelState.NO_LABEL)).count()
    assert no_label > 0
    assert page.locator(f'.label-no_label:text-is("{words["no_label"]}")').count() == no_label
    tracking = page.locator("a.tracking-link")
    if tracking.count():
        assert "/admin/returns/returnlabel/" in tracking.first.get_attribute("href")
    if language == "fr":
        body = page.locator("#result_list").inner_text()
        assert not [word for word in ENGLISH if word in body], body
    assert _overflow(page) <= 0
    if viewport == DESKTOP:  # every column in view, none cut by the results' box
        cut = "(e => e.scrollWidth - e.clientWidth)(document.querySelector('#changelist .results'))"
        assert page.evaluate(cut) <= 0
    shot(screenshot, page, f"overview-{language}-{width}")


def test_the_bulk_confirmation_on_a_phone_in_french(live_server, new_page, screenshot, demo_shop):  # noqa: F811
    page = new_page(viewport=PHONE, locale="fr-FR")
    log_in(page, live_server, "refunds_manager")
    page.goto(f"{live_server.url}{OVERVIEW}?status__exact=approved")
    approved = Return.objects.filter(status=ReturnStatus.APPROVED)
    before = list(approved.values_list("pk", "status"))
    page.locator("#result_list input.action-select").first.check()
    page.select_option("select[name=action]", "mark_refunded_selected")
    page.click("button[name=index]")
    page.wait_for_selector("#not-received-warning")
    assert (
        page.locator("#not-received-warning")
        .inner_text()
        .startswith("Pas encore reçus : 1 de ces retours.")
    )
    assert page.locator("tr.settle-total").inner_text().startswith("Total en EUR")
    assert page.locator("#to-refund td.settle-amount").count() == 1
    assert page.locator("tr.settle-total strong").is_visible()  # not scrolled out of view
    box = page.locator("tr.settle-total strong").bounding_box()
    card = page.locator("#to-refund").locator("xpath=..").bounding_box()
    assert box["x"] + box["width"] <= card["x"] + card["width"]
    assert (
        page.evaluate("(e => e.scrollWidth - e.clientWidth)(document.querySelector('.bo-scroll'))")
        <= 0
    )
    assert list(approved.values_list("pk", "status")) == before
    assert _overflow(page) <= 0
    shot(screenshot, page, "overview-bulk-fr-390")
