"""Brands: one default at most (the database), colours as #rrggbb, an order's brand (its own or
the default), the brand of a host name, the import's brand column."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from shop.brands import brand_for_host, brand_of, sender_of
from shop.models import Brand, Order
from tests.factories import make_order
from tests.fixtures.brands import make_brand
from tests.shop.test_import_orders import GOOD_ROWS, HEADER

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_second_default_brand():
    # given
    make_brand("lumiere", "Maison Lumière", logo=False, is_default=True)
    # when
    with pytest.raises(IntegrityError), transaction.atomic():
        Brand.objects.create(code="nord", name="Atelier Nord", is_default=True)
    # then
    assert list(Brand.objects.values_list("code", "is_default")) == [("lumiere", True)]
    # and brands that are not the default are as many as wanted
    Brand.objects.create(code="nord", name="Atelier Nord")
    Brand.objects.create(code="sud", name="Atelier Sud")
    assert Brand.objects.filter(is_default=False).count() == 2


@pytest.mark.parametrize("colour", ["red", "#12345", "#1234567", "#gggggg", "0b6e4f"])
def test_a_colour_is_a_hex_triplet(colour):
    with pytest.raises(ValidationError) as error:
        make_brand("nord", "Atelier Nord", logo=False, accent_colour=colour)
    assert list(error.value.message_dict) == ["accent_colour"]
    assert not Brand.objects.exists()


def test_an_order_without_a_brand_has_the_default_one(customer):
    # given
    default = make_brand("lumiere", "Maison Lumière", logo=False, is_default=True)
    nord = make_brand("nord", "Atelier Nord", logo=False)
    plain = make_order([(1, "10.00")], customer=customer)
    branded = make_order([(1, "10.00")], customer=customer, brand=nord)
    # then
    assert brand_of(plain) == default
    assert brand_of(branded) == nord


def test_a_host_name_names_its_brand_else_the_default():
    default = make_brand("lumiere", "Maison Lumière", logo=False, is_default=True)
    nord = make_brand("nord", "Atelier Nord", logo=False, host_name="Returns.Nord.Example")
    assert brand_for_host("returns.nord.example:8000") == nord
    assert brand_for_host("elsewhere.example") == default
    assert brand_for_host("") == default


def test_without_any_brand_there_is_none(customer):
    assert brand_for_host("returns.example") is None
    assert brand_of(make_order([(1, "10.00")], customer=customer)) is None


def test_the_sender_is_the_brands_name_and_address():
    nord = make_brand("nord", "Atelier Nord", logo=False, sender_email="bonjour@nord.example")
    bare = make_brand("sud", "Atelier Sud", logo=False)
    assert sender_of(nord, "returns@shop.example") == "Atelier Nord <bonjour@nord.example>"
    assert sender_of(bare, "Shop <returns@shop.example>") == "Atelier Sud <returns@shop.example>"
    assert sender_of(None, "returns@shop.example") == "returns@shop.example"
    assert sender_of(None, "returns@shop.example", "Boutique") == "Boutique <returns@shop.example>"
    assert sender_of(None, "Shop <returns@shop.example>") == "Shop <returns@shop.example>"


def _write(tmp_path, text):
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_import_sets_the_brand_of_its_column(tmp_path):
    # given
    nord = make_brand("nord", "Atelier Nord", logo=False)
    rows = [row.rstrip("\n") + (",nord\n" if row.startswith("A-1") else ",\n") for row in GOOD_ROWS]
    # when
    call_command(
        "import_orders",
        "--apply",
        _write(tmp_path, HEADER.rstrip("\n") + ",brand\n" + "".join(rows)),
    )
    # then
    assert Order.objects.get(number="A-1").brand == nord
    assert Order.objects.get(number="B-2").brand is None


def test_the_import_refuses_an_unknown_brand_and_writes_nothing(tmp_path, capsys):
    rows = [row.rstrip("\n") + ",nowhere\n" for row in GOOD_ROWS]
    with pytest.raises(CommandError) as error:
        call_command(
            "import_orders",
            "--apply",
            _write(tmp_path, HEADER.rstrip("\n") + ",brand\n" + "".join(rows)),
        )
    assert str(error.value) == "3 bad row(s): nothing was imported"
    assert "unknown brand 'nowhere'" in capsys.readouterr().err
    assert not Order.objects.exists()
