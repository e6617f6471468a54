"""Every back-office and portal page at phone widths and on a desktop, in French and in English:
no sideways scrolling (`document.documentElement.scrollWidth <= innerWidth`), and no English
word of the interface left on a French page. Screenshots: var/screenshots/widths-*.png.

The pages are read from a real server (`manage.py runserver`) started once for this module on
a database of its own, seeded with the whole demo (`seed_demo`: returns in every status, labels,
refunds, rules), so that each page is one quick visit; staff and the customer log in once."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from shop.demo import CUSTOMER_LOGINS, STAFF_LOGIN
from tests.e2e.conftest import DESKTOP

ROOT = Path(__file__).resolve().parents[2]
PHONES = [360, 390, 430]
WIDTHS = [*PHONES, DESKTOP["width"]]
LANGUAGES = ["fr", "en"]

# The interface's English words that French pages must not show (whole words, case kept):
# none is also a French word ("Total", "Options", "Note", "Client", "Change", "Email" are), and
# the demo's data (names, SKUs, cities) holds none of them.
ENGLISH_WORDS = [
    "Return",
    "Returns",
    "Refund",
    "Refunded",
    "Order",
    "Orders",
    "Save",
    "Status",
    "Delete",
    "Search",
    "Cancel",
    "Add",
    "History",
    "Filter",
    "Home",
    "Customer",
    "Shipping",
    "Settings",
    "Requested",
    "Approved",
    "Received",
    "Rejected",
    "Completed",
    "Reason",
    "Quantity",
    "Amount",
    "Password",
    "Submit",
    "Welcome",
    "Log in",
    "Log out",
    "Sign up",
    "Back",
    "Next",
    "Previous",
    "Yes",
    "the",
    "your",
    "with",
]
ENGLISH = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ENGLISH_WORDS)) + r")(?![\w-])")

# What the demo's rows the pages need are (read from the server's database after seeding).
IDS_SCRIPT = """
import json
from returns.models import Return, ReturnLabel
from shop.models import Order
label = ReturnLabel.objects.filter(status=ReturnLabel.Status.CREATED).order_by("id").first()
ret = Return.objects.filter(order__number="DEMO-1001").order_by("id").first()
print(json.dumps({
    "return_pk": ret.pk, "rma": ret.rma_number,
    "order_pk": Order.objects.get(number="DEMO-1001").pk,
    "label_pk": label.pk, "label_return_pk": label.ret_id, "label_rma": label.ret.rma_number,
    "label_customer": label.ret.order.email,
}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env, *args) -> str:
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=600
    ).stdout


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(120):
        assert server.poll() is None, "the server stopped"
        try:
            urlopen(f"{url}/login/", timeout=5)
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A demo shop served on loopback: its address and the ids of the rows the pages show."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "TEST_REDIS_URL", "CI"}
    }
    env.update(VAR_DIR=str(tmp_path_factory.mktemp("widths-var")), DEBUG="true", SITE_URL=url)
    _manage(env, "migrate", "--noinput")
    _manage(env, "seed_demo", "--apply")
    ids = json.loads(_manage(env, "shell", "-v", "0", "-c", IDS_SCRIPT).splitlines()[-1])
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(url, server)
        yield {"url": url, **ids}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _logged_in_state(browser, url, login_path, email, password) -> dict:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{url}{login_path}")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_load_state()
    assert "login" not in page.url, f"{email} could not log in"
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="module")
def sessions(browser, site):
    """The cookies of the demo's staff member and of its first customer, logged in once."""
    logins = {email: password for email, password, *_rest in CUSTOMER_LOGINS}
    url = site["url"]
    return {
        "staff": _logged_in_state(browser, url, "/admin/login/", *STAFF_LOGIN),
        "customer": _logged_in_state(browser, url, "/login/", *CUSTOMER_LOGINS[0][:2]),
        # the demo's live label and refunded returns are the other customer's
        "second_customer": _logged_in_state(
            browser, url, "/login/", site["label_customer"], logins[site["label_customer"]]
        ),
        "guest": {"cookies": [], "origins": []},
    }


# name, who, path (filled from the site's ids)
BACKOFFICE = [
    ("home", "staff", "/admin/"),
    ("overview", "staff", "/admin/returns/return/"),
    ("return", "staff", "/admin/returns/return/{return_pk}/change/"),
    ("create-return", "staff", "/admin/returns/return/create/{order_pk}/"),
    ("return-with-label", "staff", "/admin/returns/return/{label_return_pk}/change/"),
    ("label", "staff", "/admin/returns/returnlabel/{label_pk}/change/"),
    ("settings", "staff", "/admin/shop/shopsettings/1/change/"),
    ("orders", "staff", "/admin/shop/order/"),
    ("order", "staff", "/admin/shop/order/{order_pk}/change/"),
    ("analytics", "staff", "/admin/insights/analytics/"),
]
PORTAL = [
    ("home", "customer", "/"),
    ("lookup", "guest", "/lookup/"),
    ("login", "guest", "/login/"),
    ("signup", "guest", "/account/signup/"),
    ("password-reset", "guest", "/password-reset/"),
    ("my-orders", "customer", "/orders/"),
    ("order", "customer", "/orders/DEMO-1001/"),
    # three returns, their long statuses ("Expiré : le colis n'a pas été envoyé à temps")
    ("order-with-returns", "customer", "/orders/DEMO-1002/"),
    # "Terminé : votre remboursement a été effectué", the 434 px at 390
    ("order-refunded", "second_customer", "/orders/DEMO-1010/"),
    ("request-return", "customer", "/orders/DEMO-1009/return/"),
    ("return", "customer", "/returns/{rma}/"),
    ("return-with-label", "second_customer", "/returns/{label_rma}/"),
    ("label", "second_customer", "/returns/{label_rma}/label/qr/"),
    ("policy", "guest", "/return-policy/"),
]
PAGES = [("backoffice", *page) for page in BACKOFFICE] + [("portal", *page) for page in PORTAL]


def _visible_text(page) -> str:
    return page.evaluate("document.body.innerText")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("surface", "name", "who", "path"), PAGES, ids=[f"{p[0]}-{p[1]}" for p in PAGES]
)
def test_the_page_fits_and_speaks_the_language(
    browser, site, sessions, screenshot, surface, name, who, path, language, width
):
    # given: the reader's browser at this width, its language chosen
    context = browser.new_context(
        viewport={"width": width, "height": 844 if width in PHONES else DESKTOP["height"]},
        locale="fr-FR" if language == "fr" else "en-GB",
        storage_state=sessions[who],
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": site["url"]}])
    page = context.new_page()
    try:
        # when
        response = page.goto(site["url"] + path.format(**site))
        page.wait_for_load_state("networkidle")
        screenshot(page, f"widths-{surface}-{name}-{language}-{width}")
        # then
        assert response is not None
        assert response.status == 200, page.url
        assert page.locator("html").get_attribute("lang") == language
        scroll_width, inner_width = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll_width <= inner_width, f"{page.url} is {scroll_width}px wide at {width}px"
        if language == "fr":
            assert ENGLISH.findall(_visible_text(page)) == [], page.url
    finally:
        context.close()
