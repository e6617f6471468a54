"""The overview as a work list: the exact amount owed (the money state, the same figure as
quote_for_return) for every demo return, the refund and label states with their filters, the
channel and delivery filters, and the bulk "mark refunded" confirmation (each amount, the total,
a warning for parcels not received yet; nothing changed before it is confirmed)."""

import importlib
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import escape

from refunds.models import Refund
from refunds.money import RefundState, money_for_return, refund_state
from refunds.quotes import quote_for_return
from refunds.services import refund_create, refund_settle
from returns.demo.returns import DEMO_MARKER, seed_returns
from returns.label_state import LabelState
from returns.models import Return, ReturnStatus
from returns.services import return_cancel
from returns.services.labels import label_cancel
from shop.demo import seed_shop
from shop.templatetags.money import money
from tests.factories import make_order, superuser
from tests.returns.admin.helpers import make_return
from tests.returns.helpers import request, snapshot

pytestmark = pytest.mark.django_db

OVERVIEW = "/admin/returns/return/"
LABEL = Return.DeliveryOption.LABEL


def listed(client, query=""):
    response = client.get(f"{OVERVIEW}?{query}")
    assert response.status_code == 200
    return sorted(ret.rma_number for ret in response.context["cl"].result_list)


def cell(html: str, ret: Return, field: str) -> str:
    """The overview's cell `field` on the row of `ret`."""
    row = re.search(rf"<tr>(?:(?!</tr>).)*>{ret.rma_number}</a>.*?</tr>", html, re.S).group(0)
    return re.search(rf'<td class="field-{field}"[^>]*>(.*?)</td>', row, re.S).group(1)


# --- the amount owed -------------------------------------------------------------------------


def test_the_amount_owed_is_the_quote_of_every_demo_return(as_agent):
    # given: the demo shop and its returns in every status
    defaults = importlib.import_module("returns.migrations.0002_default_reasons_and_actions")
    defaults.seed(apps, None)
    seed_shop()
    seed_returns()
    demo = list(Return.objects.filter(staff_note__startswith=DEMO_MARKER))
    assert len(demo) >= len(ReturnStatus.values)
    # when
    response = as_agent.get(OVERVIEW)
    # then
    html = response.content.decode()
    rows = {row.pk: row for row in response.context["cl"].result_list}
    assert set(rows) >= {ret.pk for ret in demo}
    for ret in demo:
        quote = quote_for_return(ret)
        state = rows[ret.pk].money
        assert state.quote == quote
        assert state.quote_total == quote.total
        assert (state.left_to_refund, state.refunded) == (
            money_for_return(ret).left_to_refund,
            money_for_return(ret).refunded,
        )
        shown = cell(html, ret, "amount_owed")
        if state.live:
            assert f'<span class="amount" title="{quote.summary()}">' in shown
            assert money(quote.total, quote.currency) in shown
        else:
            assert ">—</span>" in shown


def test_the_amount_title_is_its_quote_summary_in_each_language_written_or_memoised(
    as_agent, order
):
    # given: two returns of different quotes, their summaries written by a first page in each
    # language (returns.admin.returns._summary keeps them by language and quote)
    one, two = make_return(order, 1, 0), make_return(order, 0, 1, return_fee=Decimal("5.00"))
    for language in ("en", "fr", "en", "fr"):
        # when
        html = as_agent.get(OVERVIEW, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        # then
        with translation.override(language):
            for ret in (one, two):
                title = escape(quote_for_return(ret).summary())
                assert f'<span class="amount" title="{title}">' in cell(html, ret, "amount_owed")
    # when: a quote changes (the fee waived), its new summary is shown at once
    Return.objects.filter(pk=two.pk).update(return_fee=Decimal("0.00"), fees=[])
    html = as_agent.get(OVERVIEW).content.decode()
    summary = quote_for_return(two).summary()
    # then
    assert "fee" not in summary
    assert f'<span class="amount" title="{escape(summary)}">' in cell(html, two, "amount_owed")


# --- the refund state ------------------------------------------------------------------------


@pytest.fixture
def refund_cases(order, manager):
    """One return in each refund state: 1 × 20.00 twice and 1 × 35.00 of the order, 1 × 35.00
    of another."""
    nothing = make_return(order, 1, 0, status=ReturnStatus.RECEIVED)
    pending = make_return(order, 1, 0, status=ReturnStatus.RECEIVED)
    refund_create(actor=manager, ret=pending, idempotency_key="pending-1")
    early = make_return(order, 0, 1, status=ReturnStatus.APPROVED, delivery_option=LABEL)
    refund_settle(actor=manager, ret=early, reference="EARLY", idempotency_key="early-1")
    other = make_order([(1, "35.00")], shipping="0.00", customer=order.customer)
    refunded = make_return(other, 1, status=ReturnStatus.RECEIVED)
    refund_settle(actor=manager, ret=refunded, reference="DONE", idempotency_key="done-1")
    return {
        RefundState.NOT_REFUNDED: nothing,
        RefundState.PENDING: pending,
        RefundState.BEFORE_RECEIPT: early,
        RefundState.REFUNDED: refunded,
    }


def test_the_refund_column_says_each_state(as_agent, refund_cases):
    # when
    response = as_agent.get(OVERVIEW)
    # then
    html = response.content.decode()
    words = {
        RefundState.NOT_REFUNDED: "not refunded",
        RefundState.PENDING: "refund pending",
        RefundState.BEFORE_RECEIPT: "refunded before receipt",
        RefundState.REFUNDED: "refunded",
    }
    for state, ret in refund_cases.items():
        assert refund_state(money_for_return(ret)) == state
        assert cell(html, ret, "refund_state") == (
            f'<span class="refund-state refund-{state.value}">{words[state]}</span>'
        )
    assert Return.objects.get(pk=refund_cases[RefundState.REFUNDED].pk).status == "completed"


def test_the_refund_filter_agrees_with_the_column(as_agent, refund_cases):
    for state, ret in refund_cases.items():
        assert listed(as_agent, f"refund_state={state.value}") == [ret.rma_number]
    assert len(listed(as_agent, "refund_state=nonsense")) == 4  # an unknown value: no filter


def test_the_refund_state_in_french(agent, refund_cases):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(agent)
    html = client.get(OVERVIEW).content.decode()
    for french in ("non remboursé", "remboursement en attente", "remboursé avant réception"):
        assert f">{french}</span>" in html
    assert ">remboursé</span>" in html


# --- the label -------------------------------------------------------------------------------


@pytest.fixture
def label_cases(order):
    in_store = make_return(order, 1, 0)
    not_yet = make_return(order, 1, 0, delivery_option=LABEL)
    live = make_return(order, 0, 1, status=ReturnStatus.APPROVED, delivery_option=LABEL)
    other = make_order([(1, "35.00"), (1, "9.00")], shipping="0.00", customer=order.customer)
    cancelled = make_return(other, 1, 0, status=ReturnStatus.APPROVED, delivery_option=LABEL)
    label_cancel(actor=superuser(), ret=cancelled, note="wrong address")
    # Received by carrier without a label of ours (the customer sent it their own way).
    sent_own_way = make_return(other, 0, 1, status=ReturnStatus.RECEIVED)
    Return.objects.filter(pk=sent_own_way.pk).update(delivery_option=LABEL)
    # Kept by the customer (a keep-the-item rule): no parcel, whatever the delivery option.
    third = make_order([(1, "4.00")], shipping="0.00", customer=order.customer)
    kept = make_return(third, 1, status=ReturnStatus.RECEIVED, delivery_option=LABEL)
    Return.objects.filter(pk=kept.pk).update(keep_item=True)
    return {
        LabelState.KEPT: [kept],
        LabelState.NO_LABEL: [in_store, sent_own_way],
        LabelState.NOT_YET: [not_yet],
        LabelState.CREATED: [live],
        LabelState.CANCELLED: [cancelled],
    }


def test_the_label_column_says_each_state_and_links_the_tracking_number(as_agent, label_cases):
    # when
    html = as_agent.get(OVERVIEW).content.decode()
    # then
    [live] = label_cases[LabelState.CREATED]
    label = live.labels.get()
    assert cell(html, live, "label") == (
        '<span class="label-state label-created">label created</span>'
        '<span class="cell-line"><a class="tracking-link" '
        f'href="/admin/returns/returnlabel/{label.pk}/change/">{label.tracking_number}</a></span>'
    )
    for state, words in [
        (LabelState.KEPT, "kept: nothing to send back"),
        (LabelState.NO_LABEL, "no label"),
        (LabelState.NOT_YET, "no label yet"),
        (LabelState.CANCELLED, "label cancelled"),
    ]:
        for ret in label_cases[state]:
            assert cell(html, ret, "label") == (
                f'<span class="label-state label-{state.value}">{words}</span>'
            )


def test_an_in_store_return_says_sans_etiquette_in_french(agent, label_cases):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(agent)
    html = client.get(OVERVIEW).content.decode()
    assert cell(html, label_cases[LabelState.NO_LABEL][0], "label") == (
        '<span class="label-state label-no_label">sans étiquette</span>'
    )
    assert ">étiquette créée</span>" in html


def test_the_label_filter_agrees_with_the_column(as_agent, label_cases):
    for state, returns in label_cases.items():
        assert listed(as_agent, f"label_state={state.value}") == sorted(
            ret.rma_number for ret in returns
        )


def test_the_channel_and_delivery_filters(as_agent, order):
    # given
    in_store = make_return(order, 1, 0)
    by_carrier = make_return(order, 1, 0, delivery_option=LABEL)
    from_portal = request(order, 0, 1)
    # when / then
    assert listed(as_agent, "channel__exact=portal") == [from_portal.rma_number]
    assert listed(as_agent, "channel__exact=backoffice") == sorted(
        [in_store.rma_number, by_carrier.rma_number]
    )
    assert listed(as_agent, "delivery_option__exact=in_store") == [in_store.rma_number]
    assert listed(as_agent, "delivery_option__exact=label") == sorted(
        [by_carrier.rma_number, from_portal.rma_number]
    )
    html = as_agent.get(OVERVIEW).content.decode()
    assert cell(html, from_portal, "age") == (
        f'<span class="age" title="{date_format(from_portal.created_at)}">today</span>'
        '<span class="muted cell-line channel">customer portal</span>'
    )


# --- the bulk confirmation -------------------------------------------------------------------


def test_the_bulk_confirmation_lists_each_amount_the_total_and_warns_before_receipt(
    as_manager, order, manager
):
    # given: 1 × 20.00 received, 1 × 35.00 approved (its parcel not here yet), and 1 × 20.00
    # with a pending partial refund of 15.00
    received = make_return(order, 1, 0, status=ReturnStatus.RECEIVED)
    awaited = make_return(order, 0, 1, status=ReturnStatus.APPROVED, delivery_option=LABEL)
    partial = make_return(order, 1, 0, status=ReturnStatus.RECEIVED)
    refund_create(actor=manager, ret=partial, idempotency_key="p1", amount="15.00", reason="box")
    selected = [received, awaited, partial]
    before = [snapshot(ret) for ret in selected]
    selection = {"action": "mark_refunded_selected", "_selected_action": [r.pk for r in selected]}
    # when
    asked = as_manager.post(OVERVIEW, selection)
    # then: each return with what it is paid now, the total, the warning; nothing changed
    assert asked.status_code == 200
    html = asked.content.decode()
    amounts = {ret.pk: amount for ret, _state, amount in asked.context["settle_rows"]}
    assert amounts == {
        received.pk: Decimal("20.00"),
        awaited.pk: Decimal("35.00"),
        partial.pk: Decimal("15.00"),
    }
    assert asked.context["totals"] == [("EUR", Decimal("70.00"))]
    for ret, shown in [(received, "€20.00"), (awaited, "€35.00"), (partial, "€15.00")]:
        row = re.search(rf'<tr data-return="{ret.pk}">.*?</tr>', html, re.S).group(0)
        assert f'data-currency="EUR"><strong>{shown}</strong></td>' in row
    total = re.search(r'<tr class="settle-total" data-currency="EUR">.*?</tr>', html, re.S)
    assert "Total in EUR" in total.group(0)
    assert "<strong>€70.00</strong>" in total.group(0)
    warning = re.search(r'<div class="bo-warning" role="alert".*?</div>', html, re.S).group(0)
    assert "Not received yet: 1 of these returns." in warning
    assert awaited.rma_number in warning
    assert received.rma_number not in warning
    assert [snapshot(ret) for ret in selected] == before
    assert Refund.objects.count() == 1
    # when: confirmed
    key = asked.context["form"]["idempotency_key"].value()
    seen = {f"seen_{ret.pk}": ret.status for ret in selected}
    done = as_manager.post(
        OVERVIEW,
        {**selection, **seen, "apply": "1", "reference": "BATCH-7", "idempotency_key": key},
    )
    # then: each return paid what the page said
    assert done.status_code == 302
    paid = {r.ret_id: r.amount for r in Refund.objects.filter(status=Refund.Status.REFUNDED)}
    assert paid == amounts
    assert Return.objects.get(pk=received.pk).status == ReturnStatus.COMPLETED
    assert Return.objects.get(pk=awaited.pk).status == ReturnStatus.APPROVED


def test_the_bulk_confirmation_pays_nothing_where_nothing_may_be_refunded(as_manager, order):
    # given: a requested return (not refundable yet) and one cancelled (owes nothing)
    requested = make_return(order, 1, 0)
    cancelled = return_cancel(actor=superuser(), ret=make_return(order, 0, 1))
    selection = {
        "action": "mark_refunded_selected",
        "_selected_action": [requested.pk, cancelled.pk],
    }
    # when
    asked = as_manager.post(OVERVIEW, selection)
    # then
    amounts = {ret.pk: amount for ret, _state, amount in asked.context["settle_rows"]}
    assert amounts == {requested.pk: Decimal("0"), cancelled.pk: Decimal("0")}
    assert asked.context["totals"] == [("EUR", Decimal("0"))]
    assert asked.context["not_received"] == []
    assert 'id="not-received-warning"' not in asked.content.decode()
    assert Refund.objects.count() == 0


def test_the_bulk_confirmation_in_french(manager, order):
    # given
    awaited = make_return(order, 0, 1, status=ReturnStatus.APPROVED, delivery_option=LABEL)
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(manager)
    # when
    html = client.post(
        OVERVIEW, {"action": "mark_refunded_selected", "_selected_action": [awaited.pk]}
    ).content.decode()
    # then
    assert "Pas encore reçus : 1 de ces retours." in html
    assert "Les marquer remboursés les rembourse avant l'arrivée de leur colis" in html
    assert "Total en EUR" in html
    assert "<strong>35,00\xa0€</strong>" in html
    assert Refund.objects.count() == 0
