"""The export names products and options in its reader's language: the download in the staff
member's browser language, the command in the active one."""

import csv
import io

import pytest
from django.utils import translation

from insights.exports import COLUMNS, export_rows
from returns.models import Return
from shop.models import Product
from tests.factories import bare_return
from tests.fixtures.web import logged_in

pytestmark = pytest.mark.django_db

NAMES = {"fr": ("Pull mérinos", "Bleu marine"), "en": ("Merino jumper", "Navy")}


@pytest.fixture
def translated():
    ret = bare_return(items=(("x", "x", 1),))
    variant = ret.lines.get().order_line.variant
    Product.objects.filter(pk=variant.product_id).update(
        name_fr=NAMES["fr"][0], name_en=NAMES["en"][0]
    )
    variant.option_fr, variant.option_en = NAMES["fr"][1], NAMES["en"][1]
    variant.save()
    return ret


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_rows_name_the_item_in_the_active_language(translated, language):
    with translation.override(language):
        [row] = list(export_rows(Return.objects.all()))
    named = dict(zip(COLUMNS, row, strict=True))
    assert (named["product"], named["variant_option"]) == NAMES[language]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_download_names_the_item_in_the_readers_language(agent, translated, language):
    response = logged_in(agent).get("/admin/insights/export/", HTTP_ACCEPT_LANGUAGE=language)
    [row] = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert (row["product"], row["variant_option"]) == NAMES[language]
