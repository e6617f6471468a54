"""A quote names its items in the active language, whichever way its order's facts are read:
one return (quote_for_return) or a page of them (with_order_facts, from JSON columns)."""

import pytest
from django.utils import translation

from refunds.quotes import (
    ITEM,
    order_facts_of,
    quote_for_return,
    quote_from_facts,
    with_order_facts,
)
from returns.models import Return
from shop.models import Product
from tests.factories import bare_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def ret():
    ret = bare_return(items=(("x", "x", 1),))
    variant = ret.lines.get().order_line.variant
    Product.objects.filter(pk=variant.product_id).update(name_fr="Jean droit", name_en="")
    variant.option_fr, variant.option_en = "Bleu", "Blue"
    variant.sku = "JE-BL"
    variant.save()
    return ret


@pytest.mark.parametrize(
    ("language", "label"),
    [("fr", "Jean droit Bleu (JE-BL)"), ("en", "Jean droit Blue (JE-BL)")],  # no English name
)
def test_the_quote_names_its_items_in_the_active_language(ret, language, label):
    with translation.override(language):
        alone = quote_for_return(ret)
        listed = with_order_facts(Return.objects.select_related("order").filter(pk=ret.pk)).get()
        in_a_list = quote_from_facts(order_facts_of(listed), listed)
    for quote in (alone, in_a_list):
        assert [line.label for line in quote.lines if line.kind == ITEM] == [label]
