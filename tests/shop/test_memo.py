"""The per-process memo of the brands and the shop's settings (shop/memo.py): read once, never
stale after a change made in this process, at most MEMO_SECONDS stale after one made elsewhere
(a queryset update sends no signal: it stands for another process's save here)."""

import pytest

from shop import memo
from shop.brands import brand_for_host, default_brand
from shop.memo import MEMO_SECONDS, page_settings
from shop.models import Brand, ShopSettings
from tests.fixtures.brands import make_brand
from tests.fixtures.clock import Clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(memo.BRANDS, "clock", fake)
    monkeypatch.setattr(memo.SETTINGS, "clock", fake)
    return fake


def test_a_host_name_is_read_once_then_from_the_memo(django_assert_num_queries):
    nord = make_brand("nord", "Atelier Nord", logo=False, host_name="returns.nord.example")
    with django_assert_num_queries(1):
        assert brand_for_host("returns.nord.example:443") == nord
    with django_assert_num_queries(0):
        assert brand_for_host("Returns.Nord.Example") == nord
        assert brand_for_host("returns.nord.example").name == "Atelier Nord"


def test_a_brand_saved_in_this_process_is_read_again_at_once(django_assert_num_queries):
    # given: the brand of the host name and the default brand in the memo
    nord = make_brand("nord", "Atelier Nord", logo=False, host_name="returns.nord.example")
    make_brand("lumiere", "Maison Lumière", logo=False, is_default=True)
    assert brand_for_host("returns.nord.example").name == "Atelier Nord"
    assert default_brand().name == "Maison Lumière"
    # when: the brand renamed, and its host name given to no one
    nord.name = "Atelier du Nord"
    nord.save()
    # then: read again, with the new name
    with django_assert_num_queries(1):
        assert brand_for_host("returns.nord.example").name == "Atelier du Nord"
    nord.host_name = None
    nord.save()
    assert brand_for_host("returns.nord.example").name == "Maison Lumière"


def test_a_brand_deleted_in_this_process_is_gone_at_once():
    # given
    make_brand("lumiere", "Maison Lumière", logo=False, is_default=True)
    assert default_brand().name == "Maison Lumière"
    assert brand_for_host("elsewhere.example").name == "Maison Lumière"
    # when
    Brand.objects.get(code="lumiere").delete()
    # then
    assert default_brand() is None
    assert brand_for_host("elsewhere.example") is None


def test_no_brand_is_kept_too(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert default_brand() is None
    with django_assert_num_queries(0):
        assert default_brand() is None
    # and the first brand made is seen at once
    make_brand("lumiere", "Maison Lumière", logo=False, is_default=True)
    assert default_brand().name == "Maison Lumière"


def test_a_change_from_another_process_is_seen_once_the_memo_expires(
    clock, django_assert_num_queries
):
    # given: the default brand in the memo
    make_brand("lumiere", "Maison Lumière", logo=False, is_default=True)
    assert default_brand().name == "Maison Lumière"
    # when: renamed without this process's signal (as another process's save)
    Brand.objects.filter(code="lumiere").update(name="Lumière & Fils")
    # then: the memo's until it is MEMO_SECONDS old, no query
    clock.now += MEMO_SECONDS - 0.01
    with django_assert_num_queries(0):
        assert default_brand().name == "Maison Lumière"
    # then: read again once that old
    clock.now += 0.01
    with django_assert_num_queries(1):
        assert default_brand().name == "Lumière & Fils"
    with django_assert_num_queries(0):
        assert default_brand().name == "Lumière & Fils"


def test_the_settings_are_read_once_and_again_after_a_save(django_assert_num_queries):
    # given
    settings_row = ShopSettings.load()
    with django_assert_num_queries(1):
        assert page_settings().shop_name == settings_row.shop_name
    with django_assert_num_queries(0):
        page_settings()
    # when
    settings_row.shop_name = "Atelier Nord"
    settings_row.save()
    # then
    with django_assert_num_queries(1):
        assert page_settings().shop_name == "Atelier Nord"


def test_the_settings_changed_elsewhere_are_seen_once_the_memo_expires(clock):
    # given
    ShopSettings.load()
    assert page_settings().returns_allowed is True
    # when: changed without this process's signal
    ShopSettings.objects.filter(pk=1).update(returns_allowed=False)
    # then
    assert page_settings().returns_allowed is True
    clock.now += MEMO_SECONDS
    assert page_settings().returns_allowed is False
    # and the services read the row itself, never the memo
    assert ShopSettings.load().returns_allowed is False


def test_a_value_read_while_the_memo_was_emptied_is_not_kept(django_assert_num_queries):
    # given: a read during which the brand changes (another thread saving it)
    make_brand("lumiere", "Maison Lumière", logo=False, is_default=True)

    def read_then_changed():
        found = Brand.objects.get(code="lumiere")
        Brand.objects.filter(code="lumiere").update(name="Lumière & Fils")
        memo.BRANDS.clear()  # what that save's signal does
        return found

    # when
    assert memo.BRANDS.get("default", read_then_changed).name == "Maison Lumière"
    # then: not kept; the next read is the new row
    with django_assert_num_queries(1):
        assert default_brand().name == "Lumière & Fils"
