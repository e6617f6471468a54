"""An exchange asked in the portal names its item from the start: the request form offers the
sizes and colours of the products returned, the summary, the return page and the emails show
the item, and the back-office settles it as an exchange (issue 12, break 6b)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from notifications.emails import render_notification
from notifications.models import Notification
from portal.views.returns import DRAFT_KEY
from refunds.models import ExchangeDue, Refund
from refunds.services import exchange_settle
from returns.models import Return, ReturnStatus
from returns.services import return_approve, return_receive
from shop.models import Order, ShopSettings
from tests.factories import VariantFactory
from tests.fixtures.web import logged_in, shown_messages
from tests.portal.helpers import form_data, nothing_written
from tests.portal.test_return_page import RETURN_PAGE_QUERIES

pytestmark = pytest.mark.django_db


def form_url(order):
    return f"/orders/{order.number}/return/"


def confirm_url(order):
    return f"/orders/{order.number}/return/confirm/"


@pytest.fixture
def tshirts(order):
    """Other sizes of the order's T-shirt (M, 12.99): L dearer, S cheaper and out of stock,
    XL no longer sold; and a size of the socks."""
    tshirt, socks = [line.variant for line in order.lines.order_by("id")]
    return {
        "L": VariantFactory(
            product=tshirt.product, option="L", price=Decimal("15.00"), stock_on_hand=3
        ),
        "S": VariantFactory(
            product=tshirt.product, option="S", price=Decimal("10.00"), stock_on_hand=0
        ),
        "XL": VariantFactory(
            product=tshirt.product,
            option="XL",
            price=Decimal("12.99"),
            stock_on_hand=9,
            active=False,
        ),
        "socks-43": VariantFactory(
            product=socks.product, option="43-46", price=Decimal("19.74"), stock_on_hand=1
        ),
    }


def field(order, index):
    """The name of the exchange field of the order's line `index` (in id order)."""
    return f"line-{order.lines.order_by('id')[index].pk}-exchange_variant"


def exchange_data(order, variant, *rows, refund_mode="exchange"):
    """The form with `rows` (quantity, reason) per line; `variant` wanted for every line
    returned, or one per line (a list, None for none)."""
    rows = rows or ((1, "wrong-size"),)
    data = form_data(order, *rows, refund_mode=refund_mode)
    lines = list(order.lines.order_by("id"))
    wanted = variant if isinstance(variant, list) else [variant] * len(lines)
    for line, (quantity, _reason), item in zip(lines, rows, wanted, strict=False):
        if quantity:
            data[f"line-{line.pk}-exchange_variant"] = "" if item is None else str(item.pk)
    return data


def test_the_form_offers_each_returned_products_sizes_in_stock_with_their_price(
    customer_client, order, tshirts
):
    # given
    tshirt, socks = [line.variant for line in order.lines.order_by("id")]
    # when
    response = customer_client.get(form_url(order))
    # then: a choice per line, of its own product's sizes, the item's own size too (at its
    # catalogue price), nothing out of stock or no longer sold
    fields = response.context["form"].fields
    tshirt_field, socks_field = fields[field(order, 0)], fields[field(order, 1)]
    assert [label for _pk, label in tshirt_field.choices[1:]] == ["L · €15.00", "M · €20.00"]
    assert [label for _pk, label in socks_field.choices[1:]] == ["39-42 · €20.00", "43-46 · €19.74"]
    html = response.content.decode()
    assert f'name="{field(order, 0)}"' in html
    assert f'<option value="{tshirts["L"].pk}">L · €15.00</option>' in html
    assert f'value="{tshirts["S"].pk}"' not in html
    assert f'value="{tshirts["XL"].pk}"' not in html
    assert (tshirt.pk, socks.pk) == (tshirt_field.choices[2][0], socks_field.choices[1][0])


def test_no_item_is_asked_when_the_shop_offers_no_exchange(customer_client, order, tshirts):
    # given
    ShopSettings.objects.filter(pk=1).update(offer_exchange=False)
    # when
    response = customer_client.get(form_url(order))
    # then
    assert not [name for name in response.context["form"].fields if "exchange" in name]
    assert "exchange_variant" not in response.content.decode()


def test_a_portal_exchange_is_recorded_with_its_item_and_settled_as_an_exchange(
    customer_client, order, tshirts, staff, manager
):
    """The break replayed: an exchange asked in the portal, approved, received; the return's
    page offers to settle the exchange, not to mark it refunded; settling records what the
    customer owes for the dearer size, no refund; paid, the replacement ships."""
    # given: the customer asks to exchange the T-shirt M (12.99) for an L (15.00)
    larger = tshirts["L"]
    posted = customer_client.post(form_url(order), exchange_data(order, larger))
    drafted = customer_client.session[DRAFT_KEY]["data"][field(order, 0)]
    summary = customer_client.get(confirm_url(order))
    confirmed = customer_client.post(confirm_url(order))
    ret = Return.objects.get()
    portal_page = customer_client.get(f"/returns/{ret.rma_number}/")
    requested_email = render_notification(Notification.objects.get(ret=ret, event="requested"))
    # when: staff approve and receive it, the manager opens its page and settles it
    return_approve(actor=staff, ret=ret)
    return_receive(actor=staff, ret=ret, received={ret.lines.get().pk: (1, False)})
    page = logged_in(manager).get(reverse("admin:returns_return_change", args=[ret.pk]))
    due = exchange_settle(actor=manager, ret=ret, idempotency_key="settle-1")
    # then: recorded with its item from the start
    assert posted.status_code == 302
    assert drafted == str(larger.pk)
    assert [wanted for _row, _reason, wanted in summary.context["chosen"]] == [larger]
    assert "Organic cotton T-shirt · L" in summary.content.decode()
    assert [(line.kind, line.amount) for line in summary.context["quote"].lines] == [
        ("item", Decimal("12.99")),
        ("exchange", Decimal("-15.00")),
        ("due", Decimal("2.01")),
    ]
    assert summary.context["quote"].amount_due == Decimal("2.01")
    assert confirmed.status_code == 302
    assert (ret.refund_mode, ret.lines.get().exchange_variant, ret.is_exchange_for_item) == (
        "exchange",
        larger,
        True,
    )
    assert portal_page.context["lines"][0].exchange_variant == larger
    assert "Organic cotton T-shirt · L" in portal_page.content.decode()
    assert "Souhaité en échange\xa0: Organic cotton T-shirt (L)" in requested_email.text_body
    assert "Souhaité en échange&nbsp;:</strong> Organic cotton T-shirt (L)" in (
        requested_email.html_body
    )
    # ... offered as an exchange once received
    assert page.status_code == 200
    assert page.context["exchange"] is True
    assert page.context["may_mark_refunded"] is False
    html = page.content.decode()
    assert reverse("admin:refunds_refund_for_return", args=[ret.pk]) in html
    assert 'id="mark-refunded"' not in html
    # ... and settled as one: 12.99 returned, 15.00 sent, 2.01 owed, no refund at all
    assert isinstance(due, ExchangeDue)
    assert (due.amount, due.currency, due.status) == (Decimal("2.01"), "EUR", "open")
    assert Refund.objects.count() == 0
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.RECEIVED


def test_a_cheaper_item_is_settled_by_an_exchange_refund_and_ships_the_replacement(
    customer_client, order, tshirts, staff, manager
):
    # given: an exchange of the T-shirt M (12.99) for an S (10.00) put back in stock
    smaller = tshirts["S"]
    smaller.stock_on_hand = 1
    smaller.save()
    customer_client.post(form_url(order), exchange_data(order, smaller))
    customer_client.post(confirm_url(order))
    ret = Return.objects.get()
    return_approve(actor=staff, ret=ret)
    return_receive(actor=staff, ret=ret, received={ret.lines.get().pk: (1, False)})
    # when
    refund = exchange_settle(actor=manager, ret=ret, idempotency_key="settle-1")
    # then: the difference, 2.99, in the exchange mode; not a refund to the original payment
    assert isinstance(refund, Refund)
    assert (refund.amount, refund.mode, refund.status) == (Decimal("2.99"), "exchange", "pending")
    assert list(Refund.objects.values_list("mode", "amount")) == [("exchange", Decimal("2.99"))]
    assert ExchangeDue.objects.count() == 0


def test_an_even_exchange_completes_with_its_replacement_order(
    customer_client, order, tshirts, staff, manager
):
    # given: the socks 39-42 (2 × 19.74) exchanged for the 43-46 at the same price, stock 2
    socks_43 = tshirts["socks-43"]
    socks_43.stock_on_hand = 2
    socks_43.save()
    customer_client.post(
        form_url(order), exchange_data(order, socks_43, (0, ""), (2, "wrong-size"))
    )
    customer_client.post(confirm_url(order))
    ret = Return.objects.get()
    return_approve(actor=staff, ret=ret)
    return_receive(actor=staff, ret=ret, received={ret.lines.get().pk: (2, False)})
    # when
    settled = exchange_settle(actor=manager, ret=ret, idempotency_key="settle-1")
    # then: nothing to settle; completed, 2 × 43-46 shipped at 19.74, stock 2 -> 0
    ret.refresh_from_db()
    assert settled is None
    assert ret.status == ReturnStatus.COMPLETED
    replacement = Order.objects.get(number=f"{order.number}-X1")
    assert ret.replacement_order == replacement
    assert list(replacement.lines.values_list("variant", "quantity", "unit_price_paid")) == [
        (socks_43.pk, 2, Decimal("19.74"))
    ]
    socks_43.refresh_from_db()
    assert socks_43.stock_on_hand == 0
    # held at approval, shipped from what was held
    assert list(socks_43.movements.values_list("kind", "quantity")) == [("exchange_reserved", -2)]
    assert (Refund.objects.count(), ExchangeDue.objects.count()) == (0, 0)


# --- refusals: a form error, nothing saved ---------------------------------------------------


def _refused(customer_client, order, data):
    before = nothing_written()
    response = customer_client.post(form_url(order), data)
    assert response.status_code == 200
    assert nothing_written() == before
    assert DRAFT_KEY not in customer_client.session
    return response.context["form"].errors


def test_an_exchange_without_an_item_is_a_form_error(customer_client, order, tshirts):
    errors = _refused(customer_client, order, exchange_data(order, None))
    assert errors == {
        field(order, 0): ["Choose the item you would like to receive in exchange for each item."]
    }


def test_an_exchange_line_without_its_item_is_a_form_error(customer_client, order, tshirts):
    # given: the T-shirt for its L, the socks for nothing
    data = exchange_data(order, [tshirts["L"], None], (1, "wrong-size"), (1, "wrong-size"))
    errors = _refused(customer_client, order, data)
    assert errors == {
        field(order, 1): ["Choose the item you would like to receive in exchange for each item."]
    }


def test_an_item_chosen_with_a_refund_is_not_asked(customer_client, order, tshirts):
    # given: an L chosen, then money back
    data = exchange_data(order, tshirts["L"], refund_mode="money_back")
    # when
    customer_client.post(form_url(order), data)
    customer_client.post(confirm_url(order))
    # then: a refund, no line names an item
    ret = Return.objects.get()
    assert (ret.refund_mode, ret.lines.get().exchange_variant, ret.is_exchange_for_item) == (
        "money_back",
        None,
        False,
    )


def test_a_size_of_another_product_is_not_offered(customer_client, order, tshirts):
    # given: the T-shirt returned, the socks' other size asked for it
    errors = _refused(customer_client, order, exchange_data(order, tshirts["socks-43"]))
    assert errors == {
        field(order, 0): ["This item is not available in exchange: choose another one."]
    }


def test_two_products_are_exchanged_each_for_its_own_size(customer_client, order, tshirts, staff):
    # given: the T-shirt M (12.99) for the L (15.00), a pair of socks (19.74) for the 43-46
    data = exchange_data(
        order, [tshirts["L"], tshirts["socks-43"]], (1, "wrong-size"), (1, "wrong-size")
    )
    customer_client.post(form_url(order), data)
    # when
    summary = customer_client.get(confirm_url(order))
    customer_client.post(confirm_url(order))
    # then: the difference per line, summed: 12.99 + 19.74 - 15.00 - 19.74 = 2.01 owed
    quote = summary.context["quote"]
    exchanged = [
        (line.order_line_id, line.amount) for line in quote.lines if line.kind == "exchange"
    ]
    tshirt_line, socks_line = order.lines.order_by("id")
    assert exchanged == [(tshirt_line.pk, Decimal("-15.00")), (socks_line.pk, Decimal("-19.74"))]
    assert (quote.exchange_cost, quote.amount_due, quote.total) == (
        Decimal("34.74"),
        Decimal("2.01"),
        Decimal("0.00"),
    )
    html = summary.content.decode()
    assert "you will pay the difference of €2.01." in html
    assert f'id="exchange-item-{socks_line.pk}"' in html
    ret = Return.objects.get()
    assert dict(ret.lines.values_list("order_line_id", "exchange_variant")) == {
        tshirt_line.pk: tshirts["L"].pk,
        socks_line.pk: tshirts["socks-43"].pk,
    }
    # ... held per line once approved
    return_approve(actor=staff, ret=ret)
    held = ret.exchange_reservations.values_list("line__order_line_id", "variant", "quantity")
    assert sorted(held) == sorted(
        [(tshirt_line.pk, tshirts["L"].pk, 1), (socks_line.pk, tshirts["socks-43"].pk, 1)]
    )


def test_an_item_short_of_stock_for_the_units_returned_is_a_form_error(
    customer_client, order, tshirts
):
    # given: both pairs of socks returned, one pair of 43-46 in stock
    data = exchange_data(order, tshirts["socks-43"], (0, ""), (2, "wrong-size"))
    errors = _refused(customer_client, order, data)
    assert errors == {
        field(order, 1): [f"Sorry, “{tshirts['socks-43']}” is out of stock for an exchange."]
    }


@pytest.mark.parametrize("size", ["S", "XL"])
def test_an_item_out_of_stock_or_no_longer_sold_is_not_offered(
    customer_client, order, tshirts, size
):
    errors = _refused(customer_client, order, exchange_data(order, tshirts[size]))
    assert errors == {
        field(order, 0): ["This item is not available in exchange: choose another one."]
    }


def test_an_item_sold_out_between_the_form_and_the_confirmation_makes_no_return(
    customer_client, order, tshirts
):
    # given: the summary shown, then the last L sold
    customer_client.post(form_url(order), exchange_data(order, tshirts["L"]))
    customer_client.get(confirm_url(order))
    tshirts["L"].stock_on_hand = 0
    tshirts["L"].save()
    before = nothing_written()
    # when
    response = customer_client.post(confirm_url(order))
    # then: the draft is checked again, the form says why, nothing is written
    assert response.status_code == 200
    assert shown_messages(response) == [
        "Something changed since you filled in the form: please check it again."
    ]
    assert response.context["form"].errors == {
        field(order, 0): ["This item is not available in exchange: choose another one."]
    }
    assert nothing_written() == before
    assert Return.objects.count() == 0


def test_the_return_page_of_an_exchange_reads_no_query_more(
    customer_client, order, tshirts, django_assert_num_queries
):
    # given
    customer_client.post(form_url(order), exchange_data(order, tshirts["L"]))
    customer_client.post(confirm_url(order))
    ret = Return.objects.get()
    customer_client.get(f"/returns/{ret.rma_number}/")  # once: SQLite's JSON probe, once a process
    # when / then: the queries of any return's page (tests/portal/test_return_page.py)
    with django_assert_num_queries(RETURN_PAGE_QUERIES):
        response = customer_client.get(f"/returns/{ret.rma_number}/")
    assert response.status_code == 200
    assert 'id="exchange-item"' in response.content.decode()


def test_the_emails_name_the_item_in_english_too(customer_client, order, tshirts, staff):
    # given: an English customer's exchange, approved
    order.customer.language = "en"
    order.customer.save()
    customer_client.post(form_url(order), exchange_data(order, tshirts["L"]))
    customer_client.post(confirm_url(order))
    ret = Return.objects.get()
    return_approve(actor=staff, ret=ret)
    # when
    emails = [render_notification(n) for n in Notification.objects.filter(ret=ret).order_by("id")]
    # then: the request's and the approval's emails
    assert [n.event for n in Notification.objects.filter(ret=ret).order_by("id")] == [
        "requested",
        "approved_with_label",
    ]
    for email in emails:
        assert "Wanted in exchange: Organic cotton T-shirt (L)" in email.text_body
        assert "<strong>Wanted in exchange:</strong> Organic cotton T-shirt (L)" in email.html_body


# --- the price difference, told before confirming --------------------------------------------


@pytest.mark.parametrize(
    ("size", "rows", "told"),
    [
        ("L", [(1, "wrong-size")], "you will pay the difference of €2.01."),
        ("S", [(1, "wrong-size")], "we refund you the difference of €2.99."),
        ("socks-43", [(0, ""), (1, "wrong-size")], "costs the same: nothing to pay."),
    ],
)
def test_the_summary_tells_the_difference_before_confirming(
    customer_client, order, tshirts, size, rows, told
):
    # given: the S put back in stock (10.00 for the 12.99 paid)
    tshirts["S"].stock_on_hand = 1
    tshirts["S"].save()
    customer_client.post(form_url(order), exchange_data(order, tshirts[size], *rows))
    # when
    summary = customer_client.get(confirm_url(order))
    # then: said in words above the quote, nothing created yet
    html = summary.content.decode()
    start = html.index('id="exchange-difference"')
    assert told in html[start : html.index("</p>", start)]
    assert Return.objects.count() == 0


def test_the_summary_tells_the_difference_in_french(customer_client, order, tshirts):
    customer_client.post(form_url(order), exchange_data(order, tshirts["L"]))
    customer_client.cookies.load({"django_language": "fr"})
    summary = customer_client.get(confirm_url(order))
    assert "vous paierez la différence de 2,01\xa0€" in summary.content.decode()
