"""The back-office header (config.admin_site.chrome_fragment): written once per page template,
user and language, and always what the stock template writes, with its own request's CSRF
token, path and CSP nonce."""

import re

import pytest

from config import admin_site, chrome_tags
from tests.fixtures.backoffice import with_role
from tests.fixtures.web import logged_in

pytestmark = pytest.mark.django_db

HOME, OVERVIEW, ORDERS = "/admin/", "/admin/returns/return/", "/admin/shop/order/"


@pytest.fixture(autouse=True)
def no_fragments_written():
    admin_site._FRAGMENTS.clear()
    yield
    admin_site._FRAGMENTS.clear()


def header(response) -> str:
    assert response.status_code == 200
    found = re.search(r'<header id="header">.*?</header>', response.content.decode(), re.S)
    assert found
    return found.group(0)


def stock_header(client, path: str, monkeypatch, language: str = "en") -> str:
    """The header as the template writes it, no fragment memoised."""
    with monkeypatch.context() as patched:
        patched.setattr(
            chrome_tags,
            "written_fragment",
            lambda _name, nodelist, context: nodelist.render(context),
        )
        return header(client.get(path, HTTP_ACCEPT_LANGUAGE=language))


def tokens(html: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)


def nonces(html: str) -> list[str]:
    return re.findall(r'nonce="([^"]+)"', html)


def neutral(html: str) -> str:
    """Without what changes on every request: the CSRF token's mask and the nonce."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", html)
    return re.sub(r'nonce="[^"]+"', "NONCE", html)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("path", [HOME, OVERVIEW, ORDERS])
def test_the_memoised_header_is_the_stock_one(language, path, monkeypatch):
    # given
    client = logged_in(with_role("returns_agent", full_name="Inès Agent"))
    expected = stock_header(client, path, monkeypatch, language)
    assert admin_site._FRAGMENTS == {}
    # when: written once, then read from the memo
    written = header(client.get(path, HTTP_ACCEPT_LANGUAGE=language))
    again = header(client.get(path, HTTP_ACCEPT_LANGUAGE=language))
    # then
    assert len(admin_site._FRAGMENTS) == 1
    assert neutral(written) == neutral(expected)
    assert neutral(again) == neutral(expected)
    assert len(tokens(again)) == 2  # the language switch's and the log-out form's


def test_each_request_gets_its_own_token_path_and_nonce():
    client = logged_in(with_role("returns_agent"))
    client.get(OVERVIEW)  # the header written
    # when: from the memo, on another path with a query string to escape
    response = client.get(OVERVIEW + "?q=a&status=requested")
    page, written = response.content.decode(), header(response)
    # then: the page's own token (the same as its other forms'), path and nonce
    assert len(admin_site._FRAGMENTS) == 1
    assert set(tokens(written)) == set(tokens(page))
    assert len(set(tokens(page))) == 1
    assert (
        '<input type="hidden" name="next" value="/admin/returns/return/?q=a&amp;status=requested">'
        in written
    )
    policy_nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert nonces(written) == [policy_nonce]
    assert "chromeHole" not in page


def test_a_token_from_the_memo_is_accepted_and_one_from_another_session_is_not():
    client = logged_in(with_role("returns_agent"))
    client.get(HOME)
    client.handler.enforce_csrf_checks = True
    token = tokens(header(client.get(HOME)))[0]
    # when
    refused = client.post(
        "/i18n/setlang/", {"language": "fr", "next": HOME, "csrfmiddlewaretoken": "x" * 64}
    )
    accepted = client.post(
        "/i18n/setlang/", {"language": "fr", "next": HOME, "csrfmiddlewaretoken": token}
    )
    # then
    assert refused.status_code == 403
    assert accepted.status_code == 302


def test_each_user_and_language_has_a_header_of_their_own():
    agent = logged_in(with_role("returns_agent", email="ines@shop.example"))
    manager = logged_in(with_role("refunds_manager", email="hugo@shop.example"))
    # when
    pages = {
        ("agent", "en"): header(agent.get(HOME, HTTP_ACCEPT_LANGUAGE="en")),
        ("manager", "en"): header(manager.get(HOME, HTTP_ACCEPT_LANGUAGE="en")),
        ("agent", "fr"): header(agent.get(HOME, HTTP_ACCEPT_LANGUAGE="fr")),
    }
    # then
    assert len(admin_site._FRAGMENTS) == 3
    assert "<strong>ines@shop.example</strong>" in pages[("agent", "en")]
    assert "<strong>hugo@shop.example</strong>" in pages[("manager", "en")]
    assert "ines@shop.example" not in pages[("manager", "en")]
    assert "Log out" in pages[("agent", "en")]
    assert "Log out" not in pages[("agent", "fr")]


def test_a_user_without_a_usable_password_is_not_offered_to_change_it():
    user = with_role("returns_agent")
    client = logged_in(user)
    assert "/admin/password_change/" in header(client.get(HOME))
    user.set_unusable_password()
    user.save()
    client = logged_in(user)
    # when
    written = header(client.get(HOME))
    # then
    assert "/admin/password_change/" not in written
    assert len(admin_site._FRAGMENTS) == 2
