"""The admin's sidebar (config.admin_site.nav_sidebar): written once per menu and current entry,
and always what Django's admin/nav_sidebar.html writes for the page and who asks."""

import re

import pytest
from django.contrib.auth.models import Permission

from config import admin_site
from shop.roles import role_group
from tests.fixtures.backoffice import with_role
from tests.fixtures.web import logged_in

pytestmark = pytest.mark.django_db

OVERVIEW, ORDERS, REASONS = (
    "/admin/returns/return/",
    "/admin/shop/order/",
    "/admin/returns/returnreason/",
)


@pytest.fixture(autouse=True)
def no_sidebars_written():
    admin_site._SIDEBARS.clear()
    yield
    admin_site._SIDEBARS.clear()


def sidebar(client, path: str, language: str = "en") -> str:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    found = re.search(
        r'<button class="sticky toggle-nav-sidebar".*?</nav>', response.content.decode(), re.S
    )
    assert found
    return found.group(0)


def stock(client, path: str, language: str = "en") -> str:
    """The sidebar the template writes, with no sidebar memoised."""
    admin_site._SIDEBARS.clear()
    return sidebar(client, path, language)


def current(html: str) -> list[str]:
    return re.findall(r'<tr class="model-(\w+) current-model">', html)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_each_page_gets_the_sidebar_of_its_own_entry_memoised_or_not(language):
    # given
    client = logged_in(with_role("returns_agent"))
    pages = [OVERVIEW, ORDERS, REASONS, OVERVIEW + "?status=requested", ORDERS]
    expected = [stock(client, path, language) for path in pages]
    admin_site._SIDEBARS.clear()
    # when: each written once, then read from the memo
    written = [sidebar(client, path, language) for path in pages]
    again = [sidebar(client, path, language) for path in pages]
    # then
    assert written == expected
    assert again == expected
    assert [current(html) for html in expected[:3]] == [["return"], ["order"], ["returnreason"]]
    assert len(admin_site._SIDEBARS) == 3  # a filter's query string makes no sidebar of its own


def test_the_sidebar_is_the_menu_of_who_asks_and_its_language():
    # given: an agent, then a shop admin, on the same page, in both languages
    agent, admin = logged_in(with_role("returns_agent")), logged_in(with_role("shop_admin"))
    agent_en, admin_en = sidebar(agent, OVERVIEW), sidebar(admin, OVERVIEW)
    # when
    agent_fr = sidebar(agent, OVERVIEW, "fr")
    # then
    assert agent_en != admin_en
    assert agent_fr != agent_en
    assert sidebar(agent, OVERVIEW) == agent_en == stock(agent, OVERVIEW)
    assert sidebar(admin, OVERVIEW) == admin_en == stock(admin, OVERVIEW)
    assert agent_fr == stock(agent, OVERVIEW, "fr")


def test_a_permission_given_shows_in_the_sidebar_at_once():
    # given: an agent, whose role may not see the brands, its sidebar memoised
    agent = with_role("returns_agent")
    client = logged_in(agent)
    view_brand = Permission.objects.get(codename="view_brand", content_type__app_label="shop")
    group = role_group("returns_agent")
    had = group.permissions.filter(pk=view_brand.pk).exists()
    group.permissions.remove(view_brand)
    try:
        assert "/admin/shop/brand/" not in sidebar(client, OVERVIEW)
        # when
        group.permissions.add(view_brand)
        # then
        assert "/admin/shop/brand/" in sidebar(client, OVERVIEW)
    finally:
        if not had:
            group.permissions.remove(view_brand)
