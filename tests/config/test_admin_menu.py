"""The back-office menu (config.admin_site): built once per process for who asks (their
permissions, or superuser), the language and the URLs' prefix, and always the menu Django's own
get_app_list gives them, regrouped into the site's sections."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import set_script_prefix
from django.utils import translation

from config import admin_site
from shop.models import User
from shop.roles import role_group
from tests.fixtures.backoffice import with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_menus_built():
    admin_site._MENUS.clear()
    yield
    admin_site._MENUS.clear()


def request_of(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def menu(user) -> list[dict]:
    return admin.site.get_app_list(request_of(user))


def built_by_django(user) -> list[dict]:
    """What the site's menu was before the memo: Django's app list, regrouped."""
    return admin_site.menu_sections(admin.AdminSite.get_app_list(admin.site, request_of(user)))


def shown(sections: list[dict]) -> list[tuple]:
    """The menu as a page shows it: sections, their models' names, links and permissions."""
    return [
        (
            str(section["name"]),
            section["app_url"],
            [
                (str(m["name"]), m["admin_url"], m["add_url"], m.get("view_only"), m["perms"])
                for m in section["models"]
            ],
        )
        for section in sections
    ]


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)  # a new request's user: no permission cache


@pytest.mark.parametrize("language", ["fr", "en"])
def test_each_role_gets_the_menu_django_builds_for_it_built_or_memoised(language):
    # given
    users = [with_role(role) for role in ("returns_agent", "refunds_manager", "shop_admin")]
    users += [with_role(None), User.objects.create_superuser("root@example.com", "x" * 20)]
    with translation.override(language):
        for user in users:
            # when
            first, again = menu(fresh(user)), menu(fresh(user))
            # then
            assert shown(first) == shown(built_by_django(fresh(user)))
            assert shown(again) == shown(first)
    roles = {tuple(str(s["name"]) for s in menu(fresh(user))) for user in users}
    assert len(roles) > 1  # the roles' menus differ: one menu for all would fail above


def test_the_menu_is_built_once_per_permissions_language_and_prefix(monkeypatch):
    # given
    builds = []
    django_build = admin.AdminSite.get_app_list

    def counted(site, request, app_label=None):
        builds.append(request.user.pk)
        return django_build(site, request, app_label)

    monkeypatch.setattr(admin.AdminSite, "get_app_list", counted)
    agent, other_agent = with_role("returns_agent"), with_role("returns_agent")
    manager = with_role("refunds_manager")
    # when
    with translation.override("en"):
        menu(fresh(agent))
        menu(fresh(agent))
        menu(fresh(other_agent))  # the same permissions: the same menu
        menu(fresh(manager))
    with translation.override("fr"):
        menu(fresh(agent))
    set_script_prefix("/shop/")
    try:
        with translation.override("en"):
            prefixed = menu(fresh(agent))
    finally:
        set_script_prefix("/")
    # then
    assert builds == [agent.pk, manager.pk, agent.pk, agent.pk]
    assert prefixed[0]["models"][0]["admin_url"].startswith("/shop/admin/")


def test_a_permission_given_or_taken_shows_in_the_menu_at_once():
    # given: an agent, whose role may not see the brands
    agent = with_role("returns_agent")
    view_brand = Permission.objects.get(codename="view_brand", content_type__app_label="shop")
    group = role_group("returns_agent")
    had = group.permissions.filter(pk=view_brand.pk).exists()
    group.permissions.remove(view_brand)

    def brands_in_menu() -> bool:
        urls = [m["admin_url"] for section in menu(fresh(agent)) for m in section["models"]]
        return "/admin/shop/brand/" in urls

    try:
        assert not brands_in_menu()
        # when: the role is given the permission
        group.permissions.add(view_brand)
        # then
        assert brands_in_menu()
        # when: taken back
        group.permissions.remove(view_brand)
        # then
        assert not brands_in_menu()
    finally:
        if had:
            group.permissions.add(view_brand)


def test_an_inactive_superuser_gets_no_menu_of_an_active_one():
    # given
    root = User.objects.create_superuser("root@example.com", "x" * 20)
    assert menu(fresh(root))
    # when
    User.objects.filter(pk=root.pk).update(is_active=False)
    # then
    assert menu(fresh(root)) == []


def test_a_page_changing_its_menu_changes_no_other_pages():
    # given
    agent = with_role("returns_agent")
    first = menu(fresh(agent))
    expected = shown(first)
    # when
    first[0]["models"][0]["name"] = "changed"
    first[0]["models"].clear()
    first.clear()
    # then
    assert shown(menu(fresh(agent))) == expected


def test_a_memoised_menu_costs_no_query_once_the_request_read_the_permissions(
    django_assert_num_queries,
):
    # given
    agent = with_role("returns_agent")
    menu(fresh(agent))
    user = fresh(agent)
    user.has_perm("returns.view_return")  # a page's first permission check reads them
    # when / then
    with django_assert_num_queries(0):
        menu(user)
