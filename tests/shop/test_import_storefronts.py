"""Shopify's and WooCommerce's own order exports, imported with --format: the samples under
tests/shop/samples/ are as the storefronts write them (every column, one row per line item)."""

import csv
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from refunds.models import Refund
from shop.models import Customer, Order, OrderLine, Product, StockMovement, Variant
from tests.factories import ReturnFactory, ReturnLineFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
SHOPIFY = SAMPLES / "shopify_orders.csv"
WOOCOMMERCE = SAMPLES / "woocommerce_orders.csv"
PARIS = ZoneInfo("Europe/Paris")
D = Decimal


def _state():
    """Every row the import may write, with all its values."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Customer, Product, Variant, Order, OrderLine, StockMovement)
    }


def _orders():
    """{number: (status, delivered_at, currency, amount_paid, discount, shipping_cost, email,
    postcode, address, [(sku, quantity, unit_price_paid), ...])}."""
    return {
        order.number: (
            order.status,
            order.delivered_at,
            order.currency,
            order.amount_paid,
            order.discount,
            order.shipping_cost,
            order.email,
            order.shipping_postcode,
            order.shipping_address,
            sorted(
                (line.variant.sku, line.quantity, line.unit_price_paid)
                for line in order.lines.all()
            ),
        )
        for order in Order.objects.prefetch_related("lines__variant")
    }


def _rewrite(tmp_path, sample, change):
    """The sample with `change(rows)` applied to its records (a list of dicts), as a file."""
    with open(sample, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames, list(reader)
    change(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, columns)
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / sample.name
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def _refused(capsys, path, file_format):
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_orders", "--apply", path, "--format", file_format)
    return capsys.readouterr().err


# --- Shopify --------------------------------------------------------------------------------


def test_the_shopify_sample_imports_with_exact_totals(capsys):
    # when
    call_command("import_orders", "--apply", str(SHOPIFY), "--format", "shopify")
    # then
    assert _orders() == {
        # 10 % off each line, shared exactly per unit: no order discount left
        "1001": (
            "delivered",
            datetime(2026, 10, 2, 9, 15, 40, tzinfo=PARIS),
            "EUR",
            D("65.65"),
            D("0.00"),
            D("4.90"),
            "lea.roux@example.com",
            "69002",
            "12 rue Mercière\nLyon",
            [("SO-RAY-3942", 1, D("8.55")), ("TS-BIO-M", 2, D("26.10"))],
        ),
        # 10.00 off three units does not share to the cent: it stays the order's discount
        "1002": (
            "delivered",
            datetime(2026, 10, 5, 11, 2, 13, tzinfo=PARIS),
            "EUR",
            D("125.00"),
            D("10.00"),
            D("0.00"),
            "tom.peeters@example.be",
            "1050",
            "Avenue Louise 231\nBoîte 4\nBruxelles",
            [("HO-CAP-L", 3, D("45.00"))],
        ),
        # refunded in full in Shopify: nothing left to refund here
        "1003": (
            "delivered",
            datetime(2026, 10, 7, 16, 30, tzinfo=PARIS),
            "EUR",
            D("0.00"),
            D("0.00"),
            D("6.90"),
            "anna.schmidt@example.de",
            "10117",
            "Friedrichstraße 43\nBerlin",
            [("BELT-CUIR", 1, D("25.00")), ("JE-DR-32", 1, D("79.00"))],
        ),
        # not fulfilled yet; the zip's leading apostrophe is Shopify's spreadsheet guard
        "1004": (
            "placed",
            None,
            "EUR",
            D("62.90"),
            D("0.00"),
            D("4.90"),
            "marc.dupont@example.fr",
            "01000",
            "3 place de la Grenouillère\nBâtiment B\nBourg-en-Bresse",
            [("TS-BIO-S", 2, D("29.00"))],
        ),
        # partly refunded (15.00 of 92.30)
        "1005": (
            "delivered",
            datetime(2026, 10, 26, 14, 0, tzinfo=PARIS),
            "EUR",
            D("77.30"),
            D("0.00"),
            D("4.90"),
            "lea.roux@example.com",
            "69002",
            "12 rue Mercière\nLyon",
            [("BON-COT", 1, D("21.85")), ("PU-MER-M", 1, D("65.55"))],
        ),
    }
    assert Order.objects.get(number="1001").placed_at == datetime(
        2026, 10, 1, 14, 3, 20, tzinfo=PARIS
    )
    customer = Customer.objects.get(email="lea.roux@example.com")
    assert (customer.first_name, customer.last_name, customer.country, customer.language) == (
        "Léa",
        "Roux",
        "FR",
        "fr",
    )
    assert customer.orders.count() == 2
    # the variants take Shopify's price before discounts and the option after the dash; the one
    # name fills both languages
    fields = ("sku", "product__name_fr", "product__name_en", "option_fr", "option_en", "price")
    assert sorted(Variant.objects.values_list(*fields)) == [
        ("BELT-CUIR", "Ceinture cuir", "Ceinture cuir", "", "", D("25.00")),
        ("BON-COT", "Bonnet côtelé", "Bonnet côtelé", "", "", D("23.00")),
        ("HO-CAP-L", "Sweat à capuche", "Sweat à capuche", "L", "L", D("45.00")),
        ("JE-DR-32", "Jean droit", "Jean droit", "32", "32", D("79.00")),
        ("PU-MER-M", "Pull mérinos", "Pull mérinos", "M", "M", D("69.00")),
        ("SO-RAY-3942", "Chaussettes rayées", "Chaussettes rayées", "39-42", "39-42", D("9.50")),
        ("TS-BIO-M", "T-shirt bio", "T-shirt bio", "M", "M", D("29.00")),
        ("TS-BIO-S", "T-shirt bio", "T-shirt bio", "S", "S", D("29.00")),
    ]
    assert Product.objects.count() == 7
    assert StockMovement.objects.count() == 0
    assert "5 created, 0 updated, 0 unchanged" in capsys.readouterr().out


def test_each_shopify_order_adds_up_to_its_total_less_what_was_refunded():
    # given
    call_command("import_orders", "--apply", str(SHOPIFY), "--format", "shopify")
    with open(SHOPIFY, encoding="utf-8", newline="") as handle:
        firsts = {r["Name"].lstrip("#"): r for r in csv.DictReader(handle) if r["Email"]}
    # then: lines less the discount make Shopify's Subtotal; with shipping, its Total
    for order in Order.objects.prefetch_related("lines"):
        items = sum(line.unit_price_paid * line.quantity for line in order.lines.all())
        first = firsts[order.number]
        assert items - order.discount == D(first["Subtotal"]), order.number
        assert items - order.discount + order.shipping_cost == D(first["Total"]), order.number
        assert order.amount_paid == D(first["Total"]) - D(first["Refunded Amount"])


def test_importing_the_shopify_sample_twice_changes_nothing(capsys):
    # given
    call_command("import_orders", "--apply", str(SHOPIFY), "--format", "shopify")
    before = _state()
    capsys.readouterr()
    # when
    call_command("import_orders", "--apply", str(SHOPIFY), "--format", "shopify")
    # then
    assert _state() == before
    assert "0 created, 0 updated, 5 unchanged; stock movements: 0" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [
        (2, "Lineitem quantity", "two", "line 4: Lineitem quantity 'two' must be a whole number"),
        (0, "Total", "65,65", "line 2: Total '65,65' is not an amount"),
        (0, "Currency", "EURO", "line 2: unknown currency 'EURO'"),
        (1, "Lineitem price", "-9.50", "line 3: Lineitem price -9.50 is negative"),
        (0, "Total", "NaN", "line 2: Total 'NaN' is not an amount"),
        (5, "Lineitem price", "29.001", "line 7: Lineitem price 29.001 has more decimals"),
        (0, "Email", "lea.roux", "line 2: 'lea.roux' is not an email address"),
        (0, "Created at", "tomorrow", "line 2: placed_at 'tomorrow' is not a date"),
        (
            0,
            "Subtotal",
            "70.00",
            "line 2: the line items make 60.75, less than the Subtotal 70.00",
        ),
        (
            5,
            "Refunded Amount",
            "100.00",
            "line 7: Refunded Amount 100.00 is more than the Total 62.90",
        ),
        (3, "Lineitem sku", "", "line 5: missing sku"),
    ],
)
def test_a_bad_shopify_row_is_named_by_its_line_and_nothing_is_written(
    tmp_path, capsys, row, column, value, message
):
    # given: one cell of the sample spoilt
    path = _rewrite(tmp_path, SHOPIFY, lambda rows: rows[row].update({column: value}))
    # when
    err = _refused(capsys, path, "shopify")
    # then
    assert f"shopify_orders.csv, {message}" in err
    assert _state() == {name: [] for name in _state()}


def test_a_shopify_file_without_a_column_it_needs_is_refused_whole(tmp_path, capsys):
    path = _rewrite(tmp_path, SHOPIFY, lambda rows: None)
    Path(path).write_text(Path(path).read_text().replace(",Lineitem sku,", ",SKU,", 1))
    err = _refused(capsys, path, "shopify")
    assert "line 1: missing columns: Lineitem sku" in err
    assert Order.objects.count() == 0


def test_every_bad_order_of_a_file_is_listed(tmp_path, capsys):
    def spoil(rows):
        rows[0]["Total"] = "x"
        rows[5]["Currency"] = "?"

    err = _refused(capsys, _rewrite(tmp_path, SHOPIFY, spoil), "shopify")
    assert "line 2: Total 'x' is not an amount" in err
    assert "line 7: unknown currency '?'" in err
    assert Order.objects.count() == 0


# --- an order with returns or refunds ---------------------------------------------------------


@pytest.fixture
def returned_1001(reasons):
    """The Shopify sample imported, one of order 1001's T-shirts returned and refunded."""
    call_command("import_orders", "--apply", str(SHOPIFY), "--format", "shopify")
    order = Order.objects.get(number="1001")
    shirt = order.lines.get(variant__sku="TS-BIO-M")
    ret = ReturnFactory(order=order)
    ReturnLineFactory(ret=ret, order_line=shirt, quantity=1, reason=next(iter(reasons.values())))
    Refund.objects.create(
        ret=ret, order=order, amount=D("26.10"), currency="EUR", quote={}, mode="original_payment"
    )
    return order


def test_an_order_with_returns_is_not_rewritten_by_a_later_export(tmp_path, capsys, returned_1001):
    # given: a later export where Shopify shows the refund it was told of, and a new price
    def later(rows):
        rows[0].update({"Subtotal": "60.30", "Total": "65.20", "Refunded Amount": "26.10"})
        rows[1].update({"Lineitem price": "9.00", "Lineitem discount": "0.90"})

    before = _state()
    capsys.readouterr()
    # when
    err = _refused(capsys, _rewrite(tmp_path, SHOPIFY, later), "shopify")
    # then: named at the order's first row, nothing of the file written
    assert (
        "line 2: order 1001 has returns or refunds: its amount paid cannot change "
        "(65.65 -> 39.10)" in err
    )
    assert "its line SO-RAY-3942 cannot change its unit price paid (8.55 -> 8.10)" in err
    assert _state() == before


def test_the_same_export_again_leaves_an_order_with_returns_alone(capsys, returned_1001):
    before = _state()
    capsys.readouterr()
    call_command("import_orders", "--apply", str(SHOPIFY), "--format", "shopify")
    assert _state() == before
    assert "0 created, 0 updated, 5 unchanged" in capsys.readouterr().out


# --- WooCommerce ----------------------------------------------------------------------------


def test_the_woocommerce_sample_imports_with_exact_totals(capsys):
    # when
    call_command("import_orders", "--apply", str(WOOCOMMERCE), "--format", "woocommerce")
    # then: amounts include WooCommerce's taxes, which the customer paid
    assert _orders() == {
        # a 10 % coupon, shared exactly per unit
        "2001": (
            "delivered",
            datetime(2026, 10, 2, 10, 14, 9, tzinfo=PARIS),
            "EUR",
            D("41.10"),
            D("0.00"),
            D("6.00"),
            "camille.martin@example.fr",
            "44000",
            "8 rue des Lilas\nNantes",
            [("MUG-EM-BL", 2, D("10.80")), ("TOTE-COT", 1, D("13.50"))],
        ),
        # processing: not sent yet; 5.00 off three units stays the order's discount
        "2002": (
            "placed",
            None,
            "EUR",
            D("49.00"),
            D("5.00"),
            D("0.00"),
            "julien.bernard@example.fr",
            "44000",
            "21 quai de la Fosse\nAppartement 12\nNantes",
            [("CARNET-A5", 3, D("18.00"))],
        ),
        # refunded in full in WooCommerce
        "2003": (
            "delivered",
            datetime(2026, 10, 5, 9, 2, 37, tzinfo=PARIS),
            "EUR",
            D("0.00"),
            D("0.00"),
            D("6.00"),
            "sophie.lambert@example.fr",
            "33000",
            "5 allée des Tilleuls\nBordeaux",
            [("BOUG-FIG", 1, D("36.00"))],
        ),
        # shipping 7.50 + 1.58 tax; a gift-wrap fee (2.42) paid, not an item
        "2004": (
            "delivered",
            datetime(2026, 10, 9, 19, 27, 14, tzinfo=PARIS),
            "EUR",
            D("77.00"),
            D("0.00"),
            D("9.08"),
            "lotte.janssens@example.be",
            "2000",
            "Kerkstraat 12\nAntwerpen",
            [("MUG-EM-BL", 1, D("12.10")), ("PLAID-LN", 1, D("53.40"))],
        ),
        "2005": (
            "cancelled",
            None,
            "EUR",
            D("18.00"),
            D("0.00"),
            D("6.00"),
            "camille.martin@example.fr",
            "44000",
            "8 rue des Lilas\nNantes",
            [("TOTE-COT", 1, D("12.00"))],
        ),
    }
    lotte = Customer.objects.get(email="lotte.janssens@example.be")
    assert (lotte.first_name, lotte.last_name, lotte.country) == ("Lotte", "Janssens", "BE")
    assert Customer.objects.count() == 4
    fields = ("sku", "product__name_fr", "product__name_en")
    assert sorted(Variant.objects.values_list(*fields)) == [
        ("BOUG-FIG", "Bougie parfumée figue", "Bougie parfumée figue"),
        ("CARNET-A5", "Carnet ligné A5", "Carnet ligné A5"),
        ("MUG-EM-BL", "Mug émaillé bleu", "Mug émaillé bleu"),
        ("PLAID-LN", "Plaid en laine", "Plaid en laine"),
        ("TOTE-COT", "Tote bag coton", "Tote bag coton"),
    ]
    assert "5 created, 0 updated, 0 unchanged" in capsys.readouterr().out


def test_each_woocommerce_order_adds_up_to_its_total_less_what_was_refunded():
    call_command("import_orders", "--apply", str(WOOCOMMERCE), "--format", "woocommerce")
    with open(WOOCOMMERCE, encoding="utf-8", newline="") as handle:
        firsts = {}
        for record in csv.DictReader(handle):
            firsts.setdefault(record["order_number"], record)
    for order in Order.objects.prefetch_related("lines"):
        first = firsts[order.number]
        items = sum(line.unit_price_paid * line.quantity for line in order.lines.all())
        fees = D(first["fee_total"]) + D(first["fee_tax_total"])
        total = items - order.discount + order.shipping_cost + fees
        assert total == D(first["order_total"]), order.number
        assert order.amount_paid == D(first["order_total"]) - D(first["refunded_total"])


def test_importing_the_woocommerce_sample_twice_changes_nothing(capsys):
    call_command("import_orders", "--apply", str(WOOCOMMERCE), "--format", "woocommerce")
    before = _state()
    capsys.readouterr()
    call_command("import_orders", "--apply", str(WOOCOMMERCE), "--format", "woocommerce")
    assert _state() == before
    assert "0 created, 0 updated, 5 unchanged; stock movements: 0" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("row", "changes", "message"),
    [
        (2, {"item_quantity": "0"}, "line 4: item_quantity '0' must be a whole number"),
        (
            2,
            {"item_subtotal": "45.01"},
            "line 4: item_subtotal 54.01 is not a price per unit for 3 units",
        ),
        (
            0,
            {"order_total": "50.00"},
            "line 2: the items, shipping and fees make 41.10, less than the order_total 50.00",
        ),
        (3, {"item_total": "31.00"}, "line 5: item_total 37.00 is more than item_subtotal 36.00"),
        (0, {"billing_email": ""}, "line 2: missing email"),
        (0, {"shipping_country": "", "billing_country": ""}, "line 2: missing shipping_country"),
        # after a customer note on two lines, the next order is named by the line it starts on
        (6, {"item_sku": ""}, "line 10: missing sku"),
    ],
)
def test_a_bad_woocommerce_row_is_named_by_its_line_and_nothing_is_written(
    tmp_path, capsys, row, changes, message
):
    path = _rewrite(tmp_path, WOOCOMMERCE, lambda rows: rows[row].update(changes))
    err = _refused(capsys, path, "woocommerce")
    assert f"woocommerce_orders.csv, {message}" in err
    assert _state() == {name: [] for name in _state()}


def test_an_unknown_format_is_an_argument_error(capsys):
    with pytest.raises(CommandError, match="invalid choice: 'magento'"):
        call_command("import_orders", "--apply", str(SHOPIFY), "--format", "magento")
    assert Order.objects.count() == 0


def test_a_woocommerce_completed_date_is_the_delivery(tmp_path):
    # given: an export with the completed_date column, filled in for order 2001 only
    with open(WOOCOMMERCE, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = ["completed_date", *(reader.fieldnames or [])], list(reader)
    for row in rows:
        row["completed_date"] = "2026-10-03 12:00:00" if row["order_number"] == "2001" else ""
    path = tmp_path / "woocommerce.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    # when
    call_command("import_orders", "--apply", str(path), "--format", "woocommerce")
    # then: the others are delivered at their order's date
    assert Order.objects.get(number="2001").delivered_at == datetime(2026, 10, 3, 12, tzinfo=PARIS)
    assert Order.objects.get(number="2003").delivered_at == datetime(
        2026, 10, 5, 9, 2, 37, tzinfo=PARIS
    )
