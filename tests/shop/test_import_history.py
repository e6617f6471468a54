"""Re-importing orders never rewrites history: an order with returns or refunds keeps its money,
lines and customer, and a catalogue value the file leaves out keeps what it held."""

import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from refunds.models import Refund
from returns.models import Return, ReturnEvent, ReturnLine
from shop.locks import lock_order
from shop.models import Customer, Order, OrderLine, Product, StockMovement, Variant
from shop.orders import order_change_refusals
from tests.factories import ReturnFactory, ReturnLineFactory

pytestmark = pytest.mark.django_db

COLUMNS = [
    "order_number",
    "placed_at",
    "delivered_at",
    "status",
    "currency",
    "email",
    "first_name",
    "last_name",
    "language",
    "shipping_country",
    "shipping_postcode",
    "shipping_cost",
    "discount",
    "amount_paid",
    "sku",
    "product_name",
    "category",
    "option",
    "variant_price",
    "quantity",
    "unit_price_paid",
    "stock_on_hand",
    "pos_managed",
]
ORDER = {
    "order_number": "10042",
    "placed_at": "2026-10-01",
    "delivered_at": "2026-10-04",
    "status": "delivered",
    "currency": "EUR",
    "email": "lea@example.com",
    "first_name": "Léa",
    "last_name": "Roux",
    "language": "fr",
    "shipping_country": "FR",
    "shipping_postcode": "69001",
    "shipping_cost": "5.00",
    "discount": "0.00",
    "amount_paid": "65.00",
}
SHIRT = {
    **ORDER,
    "sku": "TS-M",
    "product_name": "T-shirt",
    "category": "tops",
    "option": "M",
    "variant_price": "24.00",
    "quantity": "2",
    "unit_price_paid": "20.00",
    "stock_on_hand": "30",
    "pos_managed": "true",
}
SOCKS = {
    **SHIRT,
    "sku": "SO-1",
    "product_name": "Socks",
    "category": "accessories",
    "option": "39-42",
    "variant_price": "20.00",
    "quantity": "1",
    "stock_on_hand": "50",
    "pos_managed": "false",
}
REFUSED = "order 10042 has returns or refunds: "


def _csv(tmp_path, rows, columns=COLUMNS, name="orders.csv"):
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _state():
    """Everything an import might change, to compare before and after."""
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                Customer,
                Product,
                Variant,
                Order,
                OrderLine,
                StockMovement,
                Return,
                ReturnLine,
                ReturnEvent,
                Refund,
            )
        },
        "orders": list(Order.objects.order_by("pk").values()),
        "lines": list(OrderLine.objects.order_by("pk").values()),
        "customers": list(Customer.objects.order_by("pk").values()),
        "variants": list(Variant.objects.order_by("pk").values()),
        "products": list(Product.objects.order_by("pk").values()),
    }


@pytest.fixture
def returned_order(tmp_path, reasons):
    """Order 10042 imported, one of its two shirts returned and refunded."""
    call_command("import_orders", "--apply", _csv(tmp_path, [SHIRT, SOCKS], name="first.csv"))
    order = Order.objects.get(number="10042")
    shirt = order.lines.get(variant__sku="TS-M")
    ret = ReturnFactory(order=order)
    ReturnLineFactory(ret=ret, order_line=shirt, quantity=1, reason=next(iter(reasons.values())))
    Refund.objects.create(
        ret=ret,
        order=order,
        amount=Decimal("20.00"),
        currency="EUR",
        quote={},
        mode="original_payment",
    )
    return order


def _refused(tmp_path, capsys, rows):
    """Import `rows`, expecting a refusal; returns the messages written."""
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_orders", "--apply", _csv(tmp_path, rows))
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount_paid": "10.00"}, "its amount paid cannot change (65.00 -> 10.00)"),
        ({"shipping_cost": "0"}, "its shipping cost cannot change (5.00 -> 0.00)"),
        ({"discount": "5.00"}, "its order discount cannot change (0.00 -> 5.00)"),
        ({"currency": "USD"}, "its currency cannot change (EUR -> USD)"),
        ({"placed_at": "2026-09-30"}, "its placed at cannot change"),
        ({"shipping_postcode": "75001"}, "its shipping postcode cannot change (69001 -> 75001)"),
        (
            {"delivered_at": "2026-10-09T10:00:00+02:00"},
            "its delivered at cannot change (2026-10-04 00:00 -> 2026-10-09 10:00)",
        ),
        ({"status": "cancelled"}, "its status cannot change (delivered -> cancelled)"),
        (
            {"email": "max@example.com"},
            "its customer cannot change (lea@example.com -> max@example.com)",
        ),
    ],
)
def test_an_order_with_returns_keeps_its_money_and_customer(
    tmp_path, capsys, returned_order, changes, message
):
    # given
    before = _state()
    capsys.readouterr()
    # when
    err = _refused(tmp_path, capsys, [{**SHIRT, **changes}, {**SOCKS, **changes}])
    # then
    assert f"orders.csv, line 2: {REFUSED}{message}" in err
    assert _state() == before


def test_a_new_customer_is_refused_by_the_order_email_too(tmp_path, capsys, returned_order):
    # given
    before = _state()
    capsys.readouterr()
    # when
    changed = {"email": "max@example.com"}
    err = _refused(tmp_path, capsys, [{**SHIRT, **changed}, {**SOCKS, **changed}])
    # then: the order's email and its customer are both named; no customer created
    assert (
        f"line 2: {REFUSED}its email address cannot change (lea@example.com -> max@example.com)"
        in err
    )
    assert _state() == before
    assert not Customer.objects.filter(email="max@example.com").exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [{**SHIRT, "quantity": "6"}, SOCKS],
            "its line TS-M cannot change its quantity (2 -> 6)",
        ),
        (
            [{**SHIRT, "unit_price_paid": "10.00"}, SOCKS],
            "its line TS-M cannot change its unit price paid (20.00 -> 10.00)",
        ),
        ([SHIRT], "its line SO-1 cannot be removed"),
        (
            [SHIRT, SOCKS, {**SOCKS, "sku": "SO-2", "stock_on_hand": ""}],
            "a line SO-2 cannot be added",
        ),
    ],
)
def test_an_order_with_returns_keeps_its_lines(tmp_path, capsys, returned_order, rows, message):
    # given
    before = _state()
    capsys.readouterr()
    # when
    err = _refused(tmp_path, capsys, rows)
    # then: nothing written, the stock ledger included
    assert f"orders.csv, line 2: {REFUSED}{message}" in err
    assert _state() == before


def test_the_found_case_every_refusal_is_listed_and_no_other_order_is_written(
    tmp_path, capsys, returned_order
):
    # given: 6 shirts returned of 2 ordered would have become 6 ordered and 10.00 paid
    before = _state()
    capsys.readouterr()
    rewritten = {"amount_paid": "10.00", "email": "max@example.com"}
    new_order = {**SHIRT, "order_number": "20001", "email": "zoe@example.com"}
    # when
    err = _refused(
        tmp_path,
        capsys,
        [{**SHIRT, **rewritten, "quantity": "6"}, {**SOCKS, **rewritten}, new_order],
    )
    # then
    assert f"line 2: {REFUSED}its amount paid cannot change (65.00 -> 10.00)" in err
    assert f"line 2: {REFUSED}its line TS-M cannot change its quantity (2 -> 6)" in err
    assert f"line 2: {REFUSED}its customer cannot change" in err
    assert _state() == before
    assert not Order.objects.filter(number="20001").exists()


def test_reimporting_the_same_file_changes_nothing(tmp_path, capsys, returned_order):
    # given
    before = _state()
    capsys.readouterr()
    # when
    call_command("import_orders", "--apply", _csv(tmp_path, [SHIRT, SOCKS]))
    # then
    assert _state() == before
    assert "0 created, 0 updated, 1 unchanged; stock movements: 0" in capsys.readouterr().out


def test_what_may_still_change_on_an_order_with_returns(tmp_path, capsys, returned_order):
    # given: imported before it was delivered, the shirt already returned
    Order.objects.filter(pk=returned_order.pk).update(
        status=Order.Status.SHIPPED, delivered_at=None
    )
    news = {"first_name": "Léa-Marie", "language": "en"}
    # when: delivered now; the customer's name and the catalogue change too
    call_command(
        "import_orders",
        "--apply",
        _csv(tmp_path, [{**SHIRT, **news, "stock_on_hand": "28"}, {**SOCKS, **news}]),
    )
    # then
    order = Order.objects.get(pk=returned_order.pk)
    assert order.status == Order.Status.DELIVERED
    assert timezone.localdate(order.delivered_at).isoformat() == "2026-10-04"
    assert order.amount_paid == Decimal("65.00")
    customer = Customer.objects.get(email="lea@example.com")
    assert (customer.first_name, customer.language) == ("Léa-Marie", "en")
    assert Variant.objects.get(sku="TS-M").stock_on_hand == 28


def test_an_order_without_returns_is_still_updated_whole(tmp_path, capsys):
    # given
    call_command("import_orders", "--apply", _csv(tmp_path, [SHIRT, SOCKS], name="first.csv"))
    changes = {"amount_paid": "10.00", "email": "max@example.com", "currency": "USD"}
    # when: another customer, other money, one line left with another quantity
    call_command(
        "import_orders", "--apply", _csv(tmp_path, [{**SHIRT, **changes, "quantity": "6"}])
    )
    # then
    order = Order.objects.get(number="10042")
    assert (order.amount_paid, order.currency, order.customer.email) == (
        Decimal("10.00"),
        "USD",
        "max@example.com",
    )
    assert list(order.lines.values_list("variant__sku", "quantity")) == [("TS-M", 6)]


def test_the_refusals_are_in_the_readers_language(returned_order):
    # given
    values = {"amount_paid": Decimal("10.00"), "currency": "EUR"}
    lines = {"TS-M": (2, Decimal("20.00")), "SO-1": (1, Decimal("20.00"))}
    order = lock_order(returned_order.pk)
    # when
    with translation.override("fr"):
        refusals = order_change_refusals(order, values, "lea@example.com", lines)
    # then
    assert refusals == [
        "la commande 10042 a des retours ou des remboursements : le champ « montant payé » ne "
        "peut plus changer (65.00 -> 10.00)"
    ]


def test_an_order_with_returns_is_checked_in_two_queries(returned_order, django_assert_num_queries):
    # given
    lines = {"TS-M": (2, Decimal("20.00")), "SO-1": (1, Decimal("20.00"))}
    order = lock_order(returned_order.pk)
    # when / then: its returns (its refunds are not asked once a return is found), its lines
    with django_assert_num_queries(2):
        assert order_change_refusals(order, {}, "lea@example.com", lines) == []


def test_columns_left_out_keep_the_catalogue_values(tmp_path, capsys):
    # given: a shirt sold by the point of sale, in a category, at its catalogue price
    call_command("import_orders", "--apply", _csv(tmp_path, [SHIRT, SOCKS], name="first.csv"))
    short = [c for c in COLUMNS if c not in ("category", "variant_price", "pos_managed")]
    new_line = {**SHIRT, "order_number": "10043", "sku": "TS-L", "option": "L"}
    new_line["unit_price_paid"] = "18.00"
    # when: an export without those columns, and a new variant in it
    call_command(
        "import_orders",
        "--apply",
        _csv(tmp_path, [{**SHIRT, "order_number": "10043"}, new_line], short),
    )
    # then
    shirt = Variant.objects.get(sku="TS-M")
    assert (shirt.price, shirt.stock_managed_by_pos, shirt.product.category) == (
        Decimal("24.00"),
        True,
        "tops",
    )
    # a new variant: not managed by a point of sale, priced at what was paid
    large = Variant.objects.get(sku="TS-L")
    assert (large.price, large.stock_managed_by_pos) == (Decimal("18.00"), False)


def test_json_keys_left_out_keep_the_catalogue_values(tmp_path):
    # given
    call_command("import_orders", "--apply", _csv(tmp_path, [SHIRT], name="first.csv"))
    document = {
        "orders": [
            {
                "number": "10050",
                "placed_at": "2026-10-10",
                "currency": "EUR",
                "shipping_country": "FR",
                "amount_paid": "19.00",
                "customer": {"email": "lea@example.com", "first_name": "Léa"},
                "lines": [
                    {
                        "sku": "TS-M",
                        "product_name": "T-shirt",
                        "option": "M",
                        "quantity": 1,
                        "unit_price_paid": "19.00",
                        "pos_managed": None,
                    }
                ],
            }
        ]
    }
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    # when
    call_command("import_orders", "--apply", str(path))
    # then
    shirt = Variant.objects.get(sku="TS-M")
    assert (shirt.price, shirt.stock_managed_by_pos, shirt.product.category) == (
        Decimal("24.00"),
        True,
        "tops",
    )


def test_a_given_value_still_updates_the_catalogue(tmp_path):
    # given
    call_command("import_orders", "--apply", _csv(tmp_path, [SHIRT], name="first.csv"))
    # when
    changed = {"category": "t-shirts", "variant_price": "22.00", "pos_managed": "no"}
    call_command("import_orders", "--apply", _csv(tmp_path, [{**SHIRT, **changed}]))
    # then
    shirt = Variant.objects.get(sku="TS-M")
    assert (shirt.price, shirt.stock_managed_by_pos, shirt.product.category) == (
        Decimal("22.00"),
        False,
        "t-shirts",
    )


def test_an_unclear_point_of_sale_flag_is_refused(tmp_path, capsys):
    # when
    with pytest.raises(CommandError):
        call_command(
            "import_orders", "--apply", _csv(tmp_path, [{**SHIRT, "pos_managed": "maybe"}])
        )
    # then
    assert "line 2: pos_managed 'maybe' must be true or false" in capsys.readouterr().err
    assert Variant.objects.count() == 0


def test_customer_columns_left_out_keep_the_customer_values(tmp_path):
    # given: an English customer, with a name and a country
    english = {**SHIRT, "language": "en", "customer_country": "GB"}
    call_command(
        "import_orders",
        "--apply",
        _csv(tmp_path, [english], [*COLUMNS, "customer_country"], "a.csv"),
    )
    short = [c for c in COLUMNS if c not in ("first_name", "last_name", "language")]
    # when: a later export without the customer's columns
    call_command(
        "import_orders", "--apply", _csv(tmp_path, [{**SHIRT, "order_number": "10043"}], short)
    )
    # then
    customer = Customer.objects.get(email="lea@example.com")
    assert (customer.first_name, customer.last_name, customer.language, customer.country) == (
        "Léa",
        "Roux",
        "en",
        "GB",
    )
