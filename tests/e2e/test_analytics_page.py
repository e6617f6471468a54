"""The analytics page in a real browser, in French, at 1366 and 390 px: its charts drawn, nothing
wider than a phone. Screenshots: var/screenshots/analytics-fr-{1366,390}.png."""

import pytest

from insights.daily import days_with_data, refresh_days
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_backoffice_flows import demo_shop, log_in, shot  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "1366"), (PHONE, "390")])
def test_a_manager_reads_the_analytics_in_french(
    live_server,
    new_page,
    screenshot,
    demo_shop,  # noqa: F811
    viewport,
    name,
):
    refresh_days(*days_with_data())  # the demo shop's figures, as beat's first run makes them
    page = new_page(viewport=viewport, locale="fr-FR")
    log_in(page, live_server, "refunds_manager")
    page.click("#analytics-link")
    page.wait_for_selector("#facts")
    assert page.locator("h1").inner_text() == "Analyses"
    assert page.locator("svg.ins-chart").count() == 5
    assert page.locator("#chart-product-title").text_content().startswith("Taux de retour")
    # the demo's returns are in it: a return rate, products and reasons, not an empty page
    assert "Rien de vendu" not in page.locator("main, #content").first.inner_text()
    assert "Aucun retour" not in page.locator("main, #content").first.inner_text()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    shot(screenshot, page, f"analytics-fr-{name}")
