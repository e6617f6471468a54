"""The layout's parts that are the same on every request in a language (portal_layout):
rendered once per language and script prefix, in the reader's language, the request's own
parts (the path, the user, the CSRF tokens) still the request's."""

import pytest
from django.urls import set_script_prefix
from django.utils import translation

from portal.templatetags.portal_layout import _parts, portal_layout

pytestmark = pytest.mark.django_db


def test_the_parts_in_each_language_once():
    # given
    _parts.cache_clear()
    # when
    with translation.override("fr"):
        french = portal_layout()
        again = portal_layout()
    with translation.override("en"):
        english = portal_layout()
    # then
    assert again is french  # kept, not rendered again
    assert _parts.cache_info().misses == 2
    assert french["skip_link"] == '<a class="skip" href="#content">Aller au contenu</a>'
    assert english["skip_link"] == '<a class="skip" href="#content">Skip to content</a>'
    assert '<option value="fr" lang="fr" selected>Français</option>' in french["language_menu"]
    assert '<option value="en" lang="en">English</option>' in french["language_menu"]
    assert '<option value="en" lang="en" selected>English</option>' in english["language_menu"]
    assert english["orders_url"] == "/orders/"


def test_a_script_prefix_has_its_own_links():
    # given
    set_script_prefix("/shop/")
    try:
        # when
        parts = portal_layout()
    finally:
        set_script_prefix("/")
    # then
    assert parts["orders_url"] == "/shop/orders/"
    assert portal_layout()["orders_url"] == "/orders/"


def test_a_page_marks_its_own_link_and_keeps_the_requests_parts(customer_client, customer):
    # when
    page = customer_client.get("/orders/?page=1").content.decode()
    # then
    assert '<a href="/orders/" aria-current="page">My orders</a>' in page
    assert '<a href="/account/credit/">Store credit</a>' in page  # not this page's
    assert f'title="{customer.user.email}"' in page
    assert '<input name="next" type="hidden" value="/orders/?page=1">' in page
    assert page.count('name="csrfmiddlewaretoken"') == 2
    assert "Find an order" not in page  # a visitor's links


def test_a_visitor_sees_the_visitors_links(client):
    # when
    page = client.get("/lookup/").content.decode()
    # then
    assert '<a href="/lookup/">Find an order</a>\n      <a href="/login/">Log in</a>' in page
    assert "Log out" not in page
