"""Requesting a return from the portal: the form, the summary with the estimate, confirming."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.views.returns import DRAFT_KEY
from refunds.quotes import quote_for_return
from returns.models import Return, ReturnStatus
from returns.services import ReturnError, ReturnLineInput, return_request
from tests.factories import VariantFactory, make_order
from tests.fixtures.web import english_client, shown_messages
from tests.portal.helpers import form_data, nothing_written

pytestmark = pytest.mark.django_db


def form_url(order):
    return f"/orders/{order.number}/return/"


def confirm_url(order):
    return f"/orders/{order.number}/return/confirm/"


def put_draft(client, order, data):
    """A draft in the session, as if the form had accepted it (or as a forger would)."""
    session = client.session
    session[DRAFT_KEY] = {"order": order.pk, "data": data, "token": "forged"}
    session.save()


def test_a_customer_requests_a_return_through_the_summary(customer_client, order):
    # given
    tshirt, socks = order.lines.order_by("id")
    data = form_data(
        order,
        (1, "wrong-size"),
        (2, "other", "The colour is not the one shown"),
        comment="Thank you",
    )
    # when
    form = customer_client.get(form_url(order))
    posted = customer_client.post(form_url(order), data)
    summary = customer_client.get(confirm_url(order))
    confirmed = customer_client.post(confirm_url(order))
    # then
    assert form.status_code == 200
    assert [row.order_line.pk for row in form.context["rows"]] == [tshirt.pk, socks.pk]
    assert posted.status_code == 302
    assert posted["Location"] == confirm_url(order)
    assert summary.status_code == 200
    ret = Return.objects.get()
    assert confirmed.status_code == 302
    assert confirmed["Location"] == f"/returns/{ret.rma_number}/"
    assert (
        ret.order_id,
        ret.channel,
        ret.status,
        ret.refund_mode,
        ret.delivery_option,
        ret.customer_comment,
        ret.created_by_id,
    ) == (
        order.pk,
        Return.Channel.PORTAL,
        ReturnStatus.REQUESTED,
        "money_back",
        "label",
        "Thank you",
        order.customer.user_id,
    )
    assert list(
        ret.lines.order_by("order_line_id").values_list(
            "order_line_id", "quantity", "reason__code", "reason_detail"
        )
    ) == [
        (tshirt.pk, 1, "wrong-size", ""),
        (socks.pk, 2, "other", "The colour is not the one shown"),
    ]
    assert DRAFT_KEY not in customer_client.session


def test_the_form_offers_only_what_remains_and_the_active_reasons(customer_client, order, reasons):
    # given: one pair of socks already being returned; "arrived late" no longer used
    socks = order.lines.order_by("id")[1]
    return_request(
        idempotency_key=uuid.uuid4().hex,
        actor=order.customer.user,
        order=order,
        refund_mode="money_back",
        delivery_option="label",
        lines=[ReturnLineInput(order_line_id=socks.pk, quantity=1, reason_code="wrong-size")],
    )
    reasons["arrived-late"].active = False
    reasons["arrived-late"].save()
    # when
    response = customer_client.get(form_url(order))
    # then
    form = response.context["form"]
    assert form.fields[f"line-{socks.pk}-quantity"].choices == [(0, "0"), (1, "1")]
    assert [code for code, _label in form.fields[f"line-{socks.pk}-reason"].choices] == [
        "",
        "defective",
        "wrong-size",
        "not-as-described",
        "changed-mind",
        "other",
    ]


def test_the_summary_shows_the_estimate_line_by_line(customer_client, order, shop_settings):
    # given: the worked example, everything returned, a 5.00 return fee (no reason of ours:
    # a defective item would waive it)
    shop_settings.default_return_fee = Decimal("5.00")
    shop_settings.save()
    customer_client.post(form_url(order), form_data(order, (1, "wrong-size"), (2, "changed-mind")))
    # when
    summary = customer_client.get(confirm_url(order))
    # then: items 12.99 + 39.48, shipping 6.00, fee -5.00
    quote = summary.context["quote"]
    assert [(line.kind, line.amount) for line in quote.lines] == [
        ("item", Decimal("12.99")),
        ("item", Decimal("39.48")),
        ("shipping", Decimal("6.00")),
        ("fee", Decimal("-5.00")),
    ]
    assert quote.total == Decimal("53.47")
    assert "€53.47" in summary.content.decode()
    assert Return.objects.count() == 0


@pytest.mark.parametrize(
    ("shipping", "discount", "rows", "mode"),
    [
        ("6.00", "0.00", [(1, "wrong-size"), (2, "defective")], "money_back"),  # all, with shipping
        ("6.00", "10.00", [(0, ""), (1, "changed-mind")], "money_back"),  # partial, discount shared
        ("0.00", "3.33", [(1, "wrong-size"), (1, "wrong-size")], "store_credit"),  # odd cents
        ("6.00", "0.00", [(0, ""), (2, "wrong-size")], "exchange"),  # no shipping back
    ],
)
def test_the_summary_estimate_equals_the_staff_quote_to_the_cent(
    client, customer, reasons, shop_settings, shipping, discount, rows, mode
):
    # given
    shop_settings.default_return_fee = Decimal("2.50")
    shop_settings.save()
    order = make_order(
        [(1, "12.99"), (2, "19.74")],
        shipping=shipping,
        discount=discount,
        customer=customer,
        email=customer.email,
    )
    client.force_login(customer.user)
    data = form_data(order, *rows, refund_mode=mode)
    if mode == "exchange":  # for another size of the socks, cheaper: the difference is refunded
        socks = order.lines.order_by("id").last().variant
        other = VariantFactory(product=socks.product, price=Decimal("15.00"), stock_on_hand=5)
        socks_line = order.lines.order_by("id").last()
        data[f"line-{socks_line.pk}-exchange_variant"] = str(other.pk)
    client.post(form_url(order), data)
    # when
    summary = client.get(confirm_url(order))
    client.post(confirm_url(order))
    # then
    ret = Return.objects.get()
    staff_quote = quote_for_return(ret)
    assert ret.is_exchange_for_item == (mode == "exchange")
    assert summary.context["quote"].to_json() == staff_quote.to_json()
    assert summary.context["quote"].total == staff_quote.total


def test_another_customers_order_is_a_404_and_nothing_is_created(customer_client, other_order):
    # given
    before = nothing_written()
    data = form_data(other_order, (1, "wrong-size"))
    # when
    responses = [
        customer_client.get(form_url(other_order)),
        customer_client.post(form_url(other_order), data),
    ]
    put_draft(customer_client, other_order, data)
    responses += [
        customer_client.get(confirm_url(other_order)),
        customer_client.post(confirm_url(other_order)),
    ]
    # then
    assert [response.status_code for response in responses] == [404, 404, 404, 404]
    assert nothing_written() == before


def test_a_draft_of_another_order_is_not_used_for_this_one(customer_client, order, other_order):
    # given: a forged draft naming the other customer's order
    put_draft(customer_client, other_order, form_data(other_order, (1, "wrong-size")))
    before = nothing_written()
    # when
    response = customer_client.post(confirm_url(order))
    # then
    assert response.status_code == 302
    assert response["Location"] == form_url(order)
    assert nothing_written() == before


def test_returns_switched_off_refuse_the_form_and_a_forged_confirmation(
    customer_client, order, shop_settings
):
    # given: a draft made while returns were on, then the shop switched them off
    data = form_data(order, (1, "wrong-size"))
    customer_client.post(form_url(order), data)
    shop_settings.returns_allowed = False
    shop_settings.save()
    before = nothing_written()
    # when
    confirmed = customer_client.post(confirm_url(order), follow=True)
    posted = customer_client.post(form_url(order), data)
    # then
    assert confirmed.redirect_chain == [(f"/orders/{order.number}/", 302)]
    assert shown_messages(confirmed) == [
        "Returns cannot be requested online at the moment. Please contact us and we will help you."
    ]
    assert posted.status_code == 302
    assert posted["Location"] == f"/orders/{order.number}/"
    assert nothing_written() == before
    assert DRAFT_KEY not in customer_client.session


def test_past_the_window_the_form_and_the_confirmation_are_refused(customer_client, order):
    # given: delivered 31 days ago, a 30-day window
    data = form_data(order, (1, "wrong-size"))
    customer_client.post(form_url(order), data)
    order.delivered_at = timezone.now() - timedelta(days=31)
    order.save()
    before = nothing_written()
    # when
    shown = customer_client.get(form_url(order), follow=True)
    confirmed = customer_client.post(confirm_url(order))
    # then
    assert shown.redirect_chain == [(f"/orders/{order.number}/", 302)]
    assert shown_messages(shown)[0].startswith(
        "The return window of 30 days after delivery closed on "
    )
    assert confirmed.status_code == 302
    assert nothing_written() == before


def test_a_quantity_above_what_remains_is_refused(customer_client, order):
    # given: one of the two pairs of socks is already being returned
    socks = order.lines.order_by("id")[1]
    return_request(
        idempotency_key=uuid.uuid4().hex,
        actor=order.customer.user,
        order=order,
        refund_mode="money_back",
        delivery_option="label",
        lines=[ReturnLineInput(order_line_id=socks.pk, quantity=1, reason_code="wrong-size")],
    )
    before = nothing_written()
    data = form_data(order, (0, ""), (2, "wrong-size"))
    # when
    posted = customer_client.post(form_url(order), data)
    put_draft(customer_client, order, data)  # as a forger would
    confirmed = customer_client.post(confirm_url(order))
    # then
    assert posted.status_code == 200
    assert posted.context["form"].errors == {
        f"line-{socks.pk}-quantity": ["You can return at most 1 of this item."]
    }
    assert confirmed.status_code == 200
    assert confirmed.context["form"].errors == posted.context["form"].errors
    assert nothing_written() == before


def test_an_inactive_reason_is_refused(customer_client, order, reasons):
    # given
    reasons["changed-mind"].active = False
    reasons["changed-mind"].save()
    tshirt = order.lines.order_by("id")[0]
    before = nothing_written()
    # when
    posted = customer_client.post(form_url(order), form_data(order, (1, "changed-mind")))
    # then
    assert posted.status_code == 200
    assert posted.context["form"].errors == {
        f"line-{tshirt.pk}-reason": ["Choose a reason from the list."]
    }
    assert nothing_written() == before
    assert DRAFT_KEY not in customer_client.session


def test_a_reason_needing_details_without_them_is_refused(customer_client, order):
    # given
    tshirt = order.lines.order_by("id")[0]
    # when
    posted = customer_client.post(form_url(order), form_data(order, (1, "other", "  ")))
    # then
    assert posted.context["form"].errors == {
        f"line-{tshirt.pk}-detail": ["Please tell us more about this reason."]
    }
    assert Return.objects.count() == 0


def test_a_refund_mode_the_shop_does_not_offer_is_refused(customer_client, order, shop_settings):
    # given
    shop_settings.offer_store_credit = False
    shop_settings.save()
    before = nothing_written()
    # when
    shown = customer_client.get(form_url(order))
    posted = customer_client.post(
        form_url(order), form_data(order, (1, "wrong-size"), refund_mode="store_credit")
    )
    # then
    assert [mode for mode, _label in shown.context["form"].fields["refund_mode"].choices] == [
        "money_back",
        "exchange",
    ]
    assert posted.context["form"].errors == {"refund_mode": ["This refund option is not offered."]}
    assert nothing_written() == before


def test_in_store_is_refused_when_the_shop_does_not_allow_it(customer_client, order, shop_settings):
    # given
    shop_settings.in_store_returns_allowed = False
    shop_settings.save()
    # when
    posted = customer_client.post(
        form_url(order), form_data(order, (1, "wrong-size"), delivery_option="in_store")
    )
    # then
    assert posted.context["form"].errors == {
        "delivery_option": ["This way of returning items is not offered."]
    }
    assert Return.objects.count() == 0


def test_choosing_no_item_is_refused(customer_client, order):
    # when
    posted = customer_client.post(form_url(order), form_data(order, (0, ""), (0, "")))
    # then
    assert posted.context["form"].non_field_errors() == [
        "Choose at least one item to return, with its quantity."
    ]
    assert DRAFT_KEY not in customer_client.session


def test_a_refusal_of_the_service_is_shown_and_keeps_the_draft(customer_client, order, monkeypatch):
    # given: the service refuses at the last moment (e.g. someone else took the last unit)
    customer_client.post(form_url(order), form_data(order, (1, "wrong-size")))

    def refuse(**kwargs):
        raise ReturnError("You can return at most 0 of “T-shirt”.")

    monkeypatch.setattr("portal.views.returns.return_request", refuse)
    # when
    confirmed = customer_client.post(confirm_url(order), follow=True)
    # then
    assert confirmed.redirect_chain == [(form_url(order), 302)]
    assert shown_messages(confirmed) == ["You can return at most 0 of “T-shirt”."]
    assert customer_client.session[DRAFT_KEY]["order"] == order.pk
    assert Return.objects.count() == 0


def test_a_second_confirmation_of_the_same_draft_shows_the_first_return(customer_client, order):
    # given: the first click of a double click made the return; the second still has the draft
    customer_client.post(form_url(order), form_data(order, (1, "wrong-size")))
    draft = customer_client.session[DRAFT_KEY]
    customer_client.post(confirm_url(order))
    session = customer_client.session
    session[DRAFT_KEY] = draft
    session.save()
    before = nothing_written()
    # when: the second click arrives
    confirmed = customer_client.post(confirm_url(order), follow=True)
    # then: it lands on the first return, and nothing more was written
    ret = Return.objects.get()
    assert ret.idempotency_key == f"portal:{draft['token']}"
    assert confirmed.redirect_chain == [(f"/returns/{ret.rma_number}/", 302)]
    written = {"returns": 1, "lines": 1, "events": 1, "notifications": 1}
    assert nothing_written() == before == written


def test_two_drafts_of_one_order_make_two_returns(customer_client, order):
    # given: a first return of one T-shirt confirmed
    customer_client.post(form_url(order), form_data(order, (1, "wrong-size")))
    customer_client.post(confirm_url(order))
    # when: the customer fills in the form again for the socks
    customer_client.post(form_url(order), form_data(order, (0, ""), (1, "wrong-size")))
    confirmed = customer_client.post(confirm_url(order))
    # then
    first, second = Return.objects.order_by("id")
    assert confirmed["Location"] == f"/returns/{second.rma_number}/"
    assert first.idempotency_key != second.idempotency_key
    assert [line.quantity for line in second.lines.all()] == [1]


def test_a_post_without_csrf_token_is_refused(customer, order):
    # given
    client = english_client(enforce_csrf_checks=True)
    client.force_login(customer.user)
    data = form_data(order, (1, "wrong-size"))
    put_draft(client, order, data)
    before = nothing_written()
    # when
    posted = client.post(form_url(order), data)
    confirmed = client.post(confirm_url(order))
    # then
    assert (posted.status_code, confirmed.status_code) == (403, 403)
    assert nothing_written() == before


def test_a_visitor_without_account_is_sent_to_log_in(client, order):
    # when
    response = client.get(form_url(order))
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={form_url(order)}"
