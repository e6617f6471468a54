import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from shop.models import Customer, Order, OrderLine, Product, StockMovement, Variant

pytestmark = pytest.mark.django_db

HEADER = (
    "order_number,placed_at,delivered_at,currency,email,first_name,last_name,language,"
    "shipping_country,shipping_postcode,shipping_cost,discount,amount_paid,sku,"
    "product_name,category,option,variant_price,quantity,unit_price_paid,stock_on_hand\n"
)
GOOD_ROWS = [
    "A-1,2026-10-01,2026-10-04,EUR,lea@example.com,Léa,Roux,fr,FR,69001,6.00,0,38.73,"
    "TS-M,T-shirt,tops,M,12.99,1,12.99,30\n",
    "A-1,2026-10-01,2026-10-04,EUR,lea@example.com,Léa,Roux,fr,FR,69001,6.00,0,38.73,"
    "SO-1,Socks,accessories,39-42,19.74,1,19.74,50\n",
    "B-2,2026-10-02T10:30:00+02:00,,JPY,ken@example.com,Ken,Sato,en,JP,100-0001,0,0,4500,"
    "TS-JP,T-shirt,tops,M,4500,1,4500,8\n",
]


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _snapshot():
    return {
        model.__name__: model.objects.count()
        for model in (Customer, Product, Variant, Order, OrderLine, StockMovement)
    }


def test_a_good_csv_file_creates_customers_products_variants_and_orders(tmp_path, capsys):
    # given
    path = _write(tmp_path, "orders.csv", HEADER + "".join(GOOD_ROWS))
    # when
    call_command("import_orders", "--apply", path)
    # then
    assert _snapshot() == {
        "Customer": 2,
        "Product": 2,
        "Variant": 3,
        "Order": 2,
        "OrderLine": 3,
        "StockMovement": 3,
    }
    order = Order.objects.get(number="A-1")
    assert order.amount_paid == Decimal("38.73")
    assert order.shipping_cost == Decimal("6.00")
    assert order.status == Order.Status.DELIVERED
    assert sorted(order.lines.values_list("variant__sku", "quantity", "unit_price_paid")) == [
        ("SO-1", 1, Decimal("19.74")),
        ("TS-M", 1, Decimal("12.99")),
    ]
    assert Order.objects.get(number="B-2").status == Order.Status.PLACED
    assert Variant.objects.get(sku="TS-M").stock_on_hand == 30
    assert "2 created, 0 updated, 0 unchanged" in capsys.readouterr().out


def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path, capsys):
    # given
    path = _write(tmp_path, "orders.csv", HEADER + "".join(GOOD_ROWS))
    call_command("import_orders", "--apply", path)
    before = _snapshot()
    values = list(Order.objects.order_by("pk").values())
    capsys.readouterr()
    # when
    call_command("import_orders", "--apply", path)
    # then
    assert _snapshot() == before
    assert list(Order.objects.order_by("pk").values()) == values
    assert "0 created, 0 updated, 2 unchanged; stock movements: 0" in capsys.readouterr().out


def test_without_apply_the_import_is_a_dry_run_that_says_what_would_change(tmp_path, capsys):
    # given
    path = _write(tmp_path, "orders.csv", HEADER + "".join(GOOD_ROWS))
    before = _snapshot()
    # when
    call_command("import_orders", path)
    # then: the exact counts of the import, and nothing of it written
    out = capsys.readouterr().out
    assert "2 created, 0 updated, 0 unchanged" in out
    assert "(dry run: nothing changed; --apply to import)" in out
    assert _snapshot() == before
    assert not Order.objects.exists()


def test_a_changed_row_updates_only_that_order(tmp_path, capsys):
    call_command("import_orders", "--apply", _write(tmp_path, "a.csv", HEADER + "".join(GOOD_ROWS)))
    changed = GOOD_ROWS[2].replace(",4500,TS-JP", ",4600,TS-JP")
    capsys.readouterr()
    call_command(
        "import_orders",
        "--apply",
        _write(tmp_path, "b.csv", HEADER + GOOD_ROWS[0] + GOOD_ROWS[1] + changed),
    )
    assert Order.objects.get(number="B-2").amount_paid == Decimal("4600")
    assert "0 created, 1 updated, 1 unchanged" in capsys.readouterr().out


def test_a_bad_row_is_reported_with_its_line_number_and_nothing_is_written(tmp_path, capsys):
    # given: the third data row (line 4 of the file) has a negative quantity
    bad = GOOD_ROWS[2].replace(",1,4500,", ",-1,4500,")
    path = _write(tmp_path, "orders.csv", HEADER + GOOD_ROWS[0] + GOOD_ROWS[1] + bad)
    # when
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_orders", "--apply", path)
    # then
    assert "orders.csv, line 4: quantity -1 must be at least 1" in capsys.readouterr().err
    assert _snapshot() == {
        "Customer": 0,
        "Product": 0,
        "Variant": 0,
        "Order": 0,
        "OrderLine": 0,
        "StockMovement": 0,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("12.99,1,12.99", "12.999,1,12.99"), "12.999 has more decimals than EUR allows"),
        (("lea@example.com", "not-an-email"), "'not-an-email' is not an email address"),
        ((",EUR,", ",XYZ,"), "unknown currency 'XYZ'"),
        (("2026-10-01,2026-10-04", "yesterday,2026-10-04"), "placed_at 'yesterday' is not a date"),
        ((",6.00,0,38.73", ",-6.00,0,38.73"), "-6.00 is negative"),
    ],
)
def test_each_kind_of_bad_value_is_named(tmp_path, capsys, change, message):
    row = GOOD_ROWS[0].replace(*change)
    with pytest.raises(CommandError):
        call_command("import_orders", "--apply", _write(tmp_path, "orders.csv", HEADER + row))
    assert f"line 2: {message}" in capsys.readouterr().err
    assert Order.objects.count() == 0


def test_a_good_json_file_imports_nested_orders(tmp_path):
    # given
    document = {
        "orders": [
            {
                "number": "J-1",
                "placed_at": "2026-10-01",
                "delivered_at": "2026-10-03",
                "currency": "EUR",
                "shipping_country": "BE",
                "shipping_cost": "8.00",
                "shipping_address": "12 rue Royale\nBruxelles",
                "amount_paid": "67.90",
                "customer": {"email": "Tom@Example.com", "first_name": "Tom", "language": "en"},
                "lines": [
                    {
                        "sku": "JE-40",
                        "product_name": "Jeans",
                        "variant_price": "59.90",
                        "quantity": 1,
                        "unit_price_paid": "59.90",
                    }
                ],
            }
        ]
    }
    path = _write(tmp_path, "orders.json", json.dumps(document, indent=2))
    # when
    call_command("import_orders", "--apply", path)
    # then
    order = Order.objects.get(number="J-1")
    assert order.customer.email == "tom@example.com"
    assert order.customer.language == "en"
    assert order.amount_paid == Decimal("67.90")
    assert order.shipping_address == "12 rue Royale\nBruxelles"
    assert order.lines.get().variant.sku == "JE-40"


def test_a_bad_json_order_is_reported_with_the_line_it_starts_on(tmp_path, capsys):
    good = {
        "number": "J-1",
        "placed_at": "2026-10-01",
        "currency": "EUR",
        "shipping_country": "FR",
        "amount_paid": "10.00",
        "customer": {"email": "a@example.com"},
        "lines": [
            {
                "sku": "X",
                "product_name": "X",
                "variant_price": "10.00",
                "quantity": 1,
                "unit_price_paid": "10.00",
            }
        ],
    }
    bad = {**good, "number": "J-2", "amount_paid": "ten"}
    text = json.dumps({"orders": [good, bad]}, indent=2)
    expected_line = text.splitlines().index("    {", 5) + 1  # the second order's opening brace
    with pytest.raises(CommandError):
        call_command("import_orders", "--apply", _write(tmp_path, "orders.json", text))
    assert (
        f"line {expected_line} (order J-2, item 1): 'ten' is not an amount"
        in capsys.readouterr().err
    )
    assert Order.objects.count() == 0


def test_a_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_orders", "--apply", "/nonexistent/orders.csv")


def test_an_order_paid_through_stripe_keeps_its_payment_for_refunds(tmp_path):
    # given
    header = HEADER.replace("stock_on_hand\n", "stock_on_hand,payment_provider,payment_reference\n")
    row = GOOD_ROWS[2].replace(",8\n", ",8,stripe,pi_3Nabc\n")
    path = _write(tmp_path, "orders.csv", header + row)
    # when
    call_command("import_orders", "--apply", path)
    # then
    order = Order.objects.get(number="B-2")
    assert (order.payment_provider, order.payment_reference) == ("stripe", "pi_3Nabc")


def test_a_payment_provider_that_is_no_code_is_a_bad_row(tmp_path, capsys):
    # given
    header = HEADER.replace("stock_on_hand\n", "stock_on_hand,payment_provider\n")
    path = _write(tmp_path, "orders.csv", header + GOOD_ROWS[2].replace(",8\n", ",8,Stripe Inc\n"))
    # when
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_orders", "--apply", path)
    # then
    assert "line 2: payment_provider 'Stripe Inc' must be a provider's code" in (
        capsys.readouterr().err
    )
    assert not Order.objects.exists()
