"""Product names and variant options typed in French and in English: the one function that picks
the reader's (falling back to the other), the database refusing a product with no name, the
back-office form, the migration that split the demo's "Français / English" names, and the import
whose single name fills both languages and never overwrites the merchant's translation."""

import importlib

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from shop.languages import in_language
from shop.models import Product, Variant
from tests.factories import VariantFactory
from tests.fixtures.web import logged_in
from tests.shop.test_import_history import SHIRT, _csv

pytestmark = pytest.mark.django_db

migration = importlib.import_module("shop.migrations.0009_translated_product_names")


@pytest.mark.parametrize(
    ("french", "english", "language", "expected"),
    [
        ("Jean droit", "Straight jeans", "fr", "Jean droit"),
        ("Jean droit", "Straight jeans", "en", "Straight jeans"),
        ("Jean droit", "Straight jeans", "en-gb", "Straight jeans"),
        ("Jean droit", "", "en", "Jean droit"),
        ("", "Straight jeans", "fr", "Straight jeans"),
    ],
)
def test_the_name_in_a_language_falls_back_to_the_other(french, english, language, expected):
    product = Product(name_fr=french, name_en=english)
    assert in_language(french, english, language) == expected
    assert product.name_in(language) == expected
    with translation.override(language):
        assert product.name == expected


def test_a_variant_is_labelled_in_the_active_language(db):
    variant = VariantFactory(
        product__name_fr="Pull",
        product__name_en="Jumper",
        option_fr="Bleu marine",
        option_en="Navy",
        sku="PU-NAVY",
    )
    with translation.override("fr"):
        assert (str(variant), variant.option) == ("Pull Bleu marine (PU-NAVY)", "Bleu marine")
    with translation.override("en"):
        assert (str(variant), variant.option) == ("Jumper Navy (PU-NAVY)", "Navy")
    assert variant.label_in("fr") == "Pull Bleu marine (PU-NAVY)"


def test_one_name_fills_both_languages(db):
    product = Product.objects.create(name="Tote bag")
    product.refresh_from_db()
    assert (product.name_fr, product.name_en) == ("Tote bag", "Tote bag")


def test_the_database_refuses_a_product_without_any_name(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(name_fr="", name_en="")
    assert Product.objects.count() == 0


def test_the_back_office_takes_both_names_and_refuses_none(admin_user):
    client = logged_in(admin_user)
    form = {
        "category": "tops",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
    }
    refused = client.post("/admin/shop/product/add/", {**form, "name_fr": "", "name_en": " "})
    assert refused.status_code == 200
    assert "Type the product&#x27;s name in French or in English." in refused.content.decode()
    assert Product.objects.count() == 0
    saved = client.post(
        "/admin/shop/product/add/", {**form, "name_fr": "Jean droit", "name_en": "Straight jeans"}
    )
    assert saved.status_code == 302
    assert list(Product.objects.values_list("name_fr", "name_en")) == [
        ("Jean droit", "Straight jeans")
    ]


@pytest.mark.parametrize(
    ("old", "expected"),
    [
        (
            "T-shirt coton bio / Organic cotton T-shirt",
            ("T-shirt coton bio", "Organic cotton T-shirt"),
        ),
        ("Tote bag", ("Tote bag", "Tote bag")),
        ("AC/DC tee", ("AC/DC tee", "AC/DC tee")),
        ("Noir / Blanc / Gris", ("Noir / Blanc / Gris", "Noir / Blanc / Gris")),
        (" / Socks", (" / Socks", " / Socks")),
    ],
)
def test_the_migration_splits_only_a_name_in_two_languages(old, expected):
    assert migration.split_name(old) == expected


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_name():
    # given: the catalogue before the migration
    executor = MigrationExecutor(connection)
    executor.migrate([("shop", "0008_order_number_upper")])
    old = executor.loader.project_state([("shop", "0008_order_number_upper")]).apps
    product = old.get_model("shop", "Product").objects.create(name="Jean droit / Straight jeans")
    old.get_model("shop", "Variant").objects.create(
        product=product, sku="JE-40", option="40", price="59.90"
    )
    other = old.get_model("shop", "Product").objects.create(name="Tote bag")
    # when
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    # then
    names = Product.objects.order_by("pk").values_list("pk", "name_fr", "name_en")
    assert list(names) == [
        (product.pk, "Jean droit", "Straight jeans"),
        (other.pk, "Tote bag", "Tote bag"),
    ]
    assert list(Variant.objects.values_list("sku", "option_fr", "option_en")) == [
        ("JE-40", "40", "40")
    ]


def test_the_import_fills_both_and_keeps_the_merchants_translation(tmp_path, reasons):
    # given: an imported product the merchant then translated
    call_command("import_orders", "--apply", _csv(tmp_path, [SHIRT], name="first.csv"))
    product = Product.objects.get()
    assert (product.name_fr, product.name_en) == ("T-shirt", "T-shirt")
    Product.objects.update(name_en="Tee")
    Variant.objects.update(option_en="Medium")
    # when: the same file again (its French names), then one that names it in English
    call_command("import_orders", "--apply", _csv(tmp_path, [SHIRT], name="again.csv"))
    english = {**SHIRT, "order_number": "10043", "product_name": "Tee", "option": "Medium"}
    with translation.override("en"):
        call_command("import_orders", "--apply", _csv(tmp_path, [english], name="en.csv"))
    # then: still one product and one variant, each translation kept
    assert list(Product.objects.values_list("name_fr", "name_en")) == [("T-shirt", "Tee")]
    assert list(Variant.objects.values_list("sku", "option_fr", "option_en")) == [
        ("TS-M", "M", "Medium")
    ]
