"""The public return policy page: no login, French and English, cached with its queries pinned,
invalidated when the settings or a rule change; linked from the portal's footer."""

from decimal import Decimal

import pytest
from django.test import Client

from tests.fixtures.web import english_client
from tests.returns.rules.helpers import fee, method, rule

pytestmark = pytest.mark.django_db


def test_anyone_reads_it_without_logging_in(shop_settings):
    page = english_client().get("/return-policy/")
    assert page.status_code == 200
    assert "<h1>Return policy</h1>" in page.content.decode()


def test_it_is_in_french_for_a_french_reader(shop_settings):
    page = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/return-policy/").content.decode()
    assert "<h1>Politique de retour</h1>" in page
    assert "jusqu'à 30 jours après la livraison" in page


def test_the_uncached_then_the_cached_page_queries(shop_settings, django_assert_num_queries):
    # given: a fee rule with a reason, a shipping rule
    fee("4.00", countries="BE")
    rule("ship_with", shipping_method=method("relay"))
    client = english_client()
    # then: the settings, the brand of the host name and the rules (with their product, reason
    # and method) once; then the settings and the brand only
    with django_assert_num_queries(3):
        assert client.get("/return-policy/").status_code == 200
    with django_assert_num_queries(2):
        page = client.get("/return-policy/").content.decode()
    assert "A return fee of €4.00" in page
    assert "Sent back with Relay" in page or "sent back with Relay" in page


def test_changing_the_settings_changes_the_page(shop_settings):
    client = english_client()
    assert "up to 30 days" in client.get("/return-policy/").content.decode()
    # when
    shop_settings.return_window_days = 14
    shop_settings.default_return_fee = Decimal("2.50")
    shop_settings.policy_text_above_en = "Thank you for shopping with us."
    shop_settings.policy_text_below_fr = "Merci."
    shop_settings.offer_exchange = False
    shop_settings.save()
    # then
    page = client.get("/return-policy/").content.decode()
    assert "up to 14 days" in page
    assert "Every return: a return fee of €2.50." in page
    assert "Thank you for shopping with us." in page
    assert "Merci." in page  # the English text below is blank: the French one
    assert "<li>Exchange</li>" not in page
    assert "<li>Money back</li>" in page


def test_returns_switched_off_are_said(shop_settings):
    shop_settings.returns_allowed = False
    shop_settings.save()
    page = english_client().get("/return-policy/").content.decode()
    assert "Returns cannot be requested online at the moment" in page


def test_every_portal_page_links_to_it_in_its_footer(shop_settings):
    page = english_client().get("/").content.decode()
    assert '<footer class="site"><a href="/return-policy/">Return policy</a></footer>' in page
