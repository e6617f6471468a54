"""The returns overview: filters, search, columns, bulk actions that call the services row by row,
and a number of queries that does not grow with the rows shown."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from refunds.models import Refund
from refunds.quotes import quote_for_return
from refunds.services import refund_settle
from returns.models import Return, ReturnStatus
from returns.services import return_cancel
from tests.factories import CustomerFactory, make_order, sibling_variant, superuser
from tests.fixtures.web import messages_of
from tests.returns.admin.helpers import make_return
from tests.returns.helpers import snapshot, status_history

pytestmark = pytest.mark.django_db

OVERVIEW = "/admin/returns/return/"


def listed(client, query=""):
    response = client.get(f"{OVERVIEW}?{query}")
    assert response.status_code == 200
    return [ret.rma_number for ret in response.context["cl"].result_list]


def test_anonymous_visitors_are_sent_to_the_login_page(anonymous):
    response = anonymous.get(OVERVIEW)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_staff_without_the_permission_are_refused(as_plain_staff):
    assert as_plain_staff.get(OVERVIEW).status_code == 403


def test_the_columns_show_order_customer_status_amount_refund_label_age_and_channel(
    as_agent, order
):
    # given: 2 × 20.00 and 1 × 35.00 with a fee of 5.00, the whole order: its shipping too
    ret = make_return(order, 2, 1, return_fee=Decimal("5.00"))
    Return.objects.filter(pk=ret.pk).update(created_at=timezone.now() - timedelta(days=3, hours=2))
    # when
    response = as_agent.get(OVERVIEW)
    # then
    html = response.content.decode()
    row = response.context["cl"].result_list[0]
    assert row.money.quote_total == Decimal("76.00")
    assert '<span class="badge badge-requested"' in html
    assert "Camille Durand" in html
    assert order.number in html
    assert '<span class="amount" title="' in html
    assert "€76.00" in html
    assert ret.rma_number in html
    assert '<span class="refund-state refund-not_refunded">not refunded</span>' in html
    assert '<span class="label-state label-no_label">no label</span>' in html
    assert "3 days</span>" in html
    assert '<span class="muted cell-line channel">back-office</span>' in html


def test_the_refund_column_is_the_exact_quote_of_each_row(as_agent, manager, customer):
    # given: a mixed page of returns
    # - the whole order back: its original shipping (19.99 + 12.74 + 6.00 - 5.00)
    whole = make_order([(1, "19.99"), (1, "12.74")], shipping="6.00", customer=customer)
    with_shipping = make_return(whole, 1, 1, return_fee=Decimal("5.00"))
    # - an order discount of 10.00 shared over its lines: 20.00 less its share 2.67
    discounted = make_order(
        [(2, "20.00"), (1, "35.00")], shipping="0.00", discount="10.00", customer=customer
    )
    discount_share = make_return(discounted, 1)
    # - 45.00 paid for 60.00 of items: 30.00 refunded on a first return, 15.00 left to the second
    capped_order = make_order([(2, "30.00")], shipping="0.00", customer=customer)
    capped_order.amount_paid = Decimal("45.00")
    capped_order.save()
    refunded = make_return(capped_order, 1, status=ReturnStatus.RECEIVED)
    refund_settle(actor=manager, ret=refunded, reference="TR-1", idempotency_key="k1")
    capped = make_return(capped_order, 1)
    # - an exchange for a dearer item (the customer owes 5.00) and one for store credit
    exchange_order = make_order([(1, "20.00"), (1, "20.00")], shipping="0.00", customer=customer)
    dearer = sibling_variant(exchange_order, price=Decimal("25.00"))
    exchange = make_return(
        exchange_order, 1, refund_mode=Return.RefundMode.EXCHANGE, exchange_variant=dearer
    )
    credit = make_return(exchange_order, 0, 1, refund_mode=Return.RefundMode.STORE_CREDIT)
    # - a cancelled return: its quote stays readable, but nothing is owed
    cancelled_order = make_order([(1, "40.00")], shipping="0.00", customer=customer)
    cancelled = return_cancel(actor=superuser(), ret=make_return(cancelled_order, 1))
    # when
    response = as_agent.get(OVERVIEW)
    # then
    rows = {row.pk: row.money for row in response.context["cl"].result_list}
    expected = {
        with_shipping.pk: ("33.73", "33.73", "0.00"),
        discount_share.pk: ("17.33", "17.33", "0.00"),
        refunded.pk: ("30.00", "0.00", "0.00"),
        capped.pk: ("15.00", "15.00", "0.00"),
        exchange.pk: ("0.00", "0.00", "5.00"),
        credit.pk: ("20.00", "20.00", "0.00"),
        cancelled.pk: ("40.00", "0.00", "0.00"),
    }
    assert {
        pk: (str(state.quote_total), str(state.left_to_refund), str(state.amount_due))
        for pk, state in rows.items()
    } == expected
    assert rows[cancelled.pk].settled
    assert not rows[cancelled.pk].live
    for ret in (with_shipping, discount_share, refunded, capped, exchange, credit, cancelled):
        assert rows[ret.pk].quote == quote_for_return(ret)  # every line, not only the total
    html = response.content.decode()
    assert "€33.73" in html
    assert "€17.33" in html
    assert "€15.00" in html
    assert "€40.00" not in html  # the cancelled return shows that nothing is owed


def test_the_filters(as_agent, customer, reasons, actions, shop_settings):
    # given
    french = make_order([(1, "20.00"), (1, "30.00")], customer=customer)
    belgian = make_order([(1, "20.00")], customer=CustomerFactory(), shipping_country="BE")
    requested = make_return(french, 1, 0, reason="wrong-size")
    approved = make_return(
        french,
        0,
        1,
        reason="defective",
        status=ReturnStatus.APPROVED,
        refund_mode=Return.RefundMode.STORE_CREDIT,
        delivery_option=Return.DeliveryOption.LABEL,
    )
    abroad = make_return(belgian, 1, reason="defective")
    # when / then
    assert listed(as_agent, "status__exact=requested") == [abroad.rma_number, requested.rma_number]
    assert listed(as_agent, "reason=defective") == [abroad.rma_number, approved.rma_number]
    assert listed(as_agent, "refund_mode__exact=store_credit") == [approved.rma_number]
    assert listed(as_agent, "delivery_option__exact=label") == [approved.rma_number]
    assert listed(as_agent, "country=BE") == [abroad.rma_number]
    assert listed(as_agent, "channel__exact=portal") == []
    week_ago = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    since = urlencode({"created_at__gte": str(week_ago - timedelta(days=7))})
    assert listed(as_agent, since) == [abroad.rma_number, approved.rma_number, requested.rma_number]
    Return.objects.filter(pk=requested.pk).update(created_at=timezone.now() - timedelta(days=9))
    assert listed(as_agent, since) == [abroad.rma_number, approved.rma_number]


def test_the_search(as_agent, order):
    # given
    ret = make_return(order, 1)
    other = make_return(
        make_order(
            [(1, "9.00")],
            customer=CustomerFactory(
                email="zoe@example.org", first_name="Zoé", last_name="Lambert"
            ),
        ),
        1,
    )
    # when / then
    assert listed(as_agent, f"q={ret.rma_number}") == [ret.rma_number]
    assert listed(as_agent, f"q={order.number}") == [ret.rma_number]
    assert listed(as_agent, "q=zoe@example.org") == [other.rma_number]
    assert listed(as_agent, "q=Lambert") == [other.rma_number]


def test_an_identifier_is_found_exactly_and_a_fragment_by_substring(as_agent, order):
    # given
    ret = make_return(order, 1)
    make_return(make_order([(1, "9.00")], customer=CustomerFactory()), 1)
    # when / then: the RMA typed in lower case is still an exact (indexed) match
    assert listed(as_agent, f"q={ret.rma_number.lower()}") == [ret.rma_number]
    # a fragment of it is not an identifier: the substring search finds it
    assert listed(as_agent, f"q={ret.rma_number[2:7]}") == [ret.rma_number]
    assert listed(as_agent, "q=R-NOSUCH1") == []


def test_the_search_finds_a_label_tracking_number(as_agent, order):
    # given: a return shipped with a label gets one when approved
    ret = make_return(
        order, 1, status=ReturnStatus.APPROVED, delivery_option=Return.DeliveryOption.LABEL
    )
    make_return(order, 1)
    tracking = ret.labels.get().tracking_number
    # when / then
    assert listed(as_agent, f"q={tracking}") == [ret.rma_number]


# --- bulk actions ----------------------------------------------------------------------------


def act(client, action, returns, **extra):
    return client.post(
        OVERVIEW, {"action": action, "_selected_action": [ret.pk for ret in returns], **extra}
    )


def test_bulk_approve_reports_each_row(as_agent, agent, order):
    # given
    waiting = make_return(order, 1)
    cancelled = return_cancel(actor=agent, ret=make_return(order, 1))
    # when
    response = act(as_agent, "approve_selected", [waiting, cancelled])
    # then
    assert response.status_code == 302
    assert Return.objects.get(pk=waiting.pk).status == ReturnStatus.APPROVED
    assert Return.objects.get(pk=cancelled.pk).status == ReturnStatus.CANCELLED
    assert sorted(messages_of(response)) == sorted(
        [
            ("success", f"{waiting.rma_number}: approved."),
            (
                "error",
                f"{cancelled.rma_number}: Only a requested return can be approved; this one "
                "is cancelled.",
            ),
        ]
    )
    assert status_history(waiting)[-1] == ("requested", "approved")
    assert status_history(cancelled) == [("", "requested"), ("requested", "cancelled")]


def test_bulk_actions_need_their_permission(as_manager, order):
    # given
    ret = make_return(order, 1)
    before = snapshot(ret)
    # when
    page = as_manager.get(OVERVIEW)
    forced = act(as_manager, "approve_selected", [ret])
    # then
    choices = dict(page.context["action_form"].fields["action"].choices)
    assert "approve_selected" not in choices
    assert "mark_refunded_selected" in choices
    assert forced.status_code == 302
    assert messages_of(forced) == [("warning", "No action selected.")]
    assert snapshot(ret) == before


def test_bulk_reject_asks_for_the_reason_then_rejects(as_agent, order):
    # given
    ret = make_return(order, 1)
    # when
    asked = act(as_agent, "reject_selected", [ret])
    empty = act(as_agent, "reject_selected", [ret], apply="1", reason="")
    done = act(as_agent, "reject_selected", [ret], apply="1", reason="Worn item")
    # then
    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    assert empty.status_code == 200
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.REJECTED
    assert done.status_code == 302
    assert Return.objects.get(pk=ret.pk).rejection_reason == "Worn item"


def test_bulk_receive_and_cancel(as_agent, order):
    # given
    approved = make_return(order, 1, status=ReturnStatus.APPROVED)
    requested = make_return(order, 1)
    # when
    act(as_agent, "receive_selected", [approved])
    asked = act(as_agent, "cancel_selected", [requested])
    still_requested = Return.objects.get(pk=requested.pk).status
    act(as_agent, "cancel_selected", [requested], apply="1")
    # then: cancelling is final, so it is confirmed first
    assert asked.status_code == 200
    assert "A cancelled return is final." in asked.content.decode()
    assert still_requested == ReturnStatus.REQUESTED
    assert Return.objects.get(pk=approved.pk).status == ReturnStatus.RECEIVED
    assert Return.objects.get(pk=requested.pk).status == ReturnStatus.CANCELLED


def test_bulk_expire_is_confirmed_then_expires_only_approved_returns(as_agent, order):
    # given
    approved = make_return(order, 1, status=ReturnStatus.APPROVED)
    requested = make_return(order, 1)
    before = (snapshot(approved), snapshot(requested))
    # when: the first post only asks
    asked = act(as_agent, "expire_selected", [approved, requested])
    # then
    assert asked.status_code == 200
    assert (snapshot(approved), snapshot(requested)) == before
    # when: confirmed
    response = act(as_agent, "expire_selected", [approved, requested], apply="1")
    # then
    assert Return.objects.get(pk=approved.pk).status == ReturnStatus.EXPIRED
    assert snapshot(requested) == before[1]
    assert sorted(messages_of(response)) == [
        (
            "error",
            f"{requested.rma_number}: Only an approved return can expire; this one is requested.",
        ),
        ("success", f"{approved.rma_number}: expired."),
    ]


# --- query counts ----------------------------------------------------------------------------

# Session, user, permissions (2), the count (capped), the page's rows with their columns (their
# ids a subquery), the exact quote's included (the countries of the filter are cached, its
# reasons and brands and the shop settings memoised: returns.selectors.backoffice.filter_reasons,
# shop.memo.page_settings).
OVERVIEW_QUERIES = 6


def test_an_empty_page_makes_the_same_queries_as_a_full_one(
    as_agent, customer, reasons, actions, shop_settings, django_assert_num_queries
):
    # given: returns, none of them created today (the created-at filter's "Today")
    for _ in range(3):
        ret = make_return(make_order([(1, "20.00")], customer=customer), 1, 1)
        Return.objects.filter(pk=ret.pk).update(created_at=ret.created_at - timedelta(days=3))
    listed(as_agent)  # fills the cache of the countries filter
    today = timezone.localdate()
    # when / then: the rows' query runs for no row too (bench: 7 queries at 1,000, 8 at 20,000)
    with django_assert_num_queries(OVERVIEW_QUERIES):
        assert listed(as_agent, f"created_at__gte={today}") == []
    with django_assert_num_queries(OVERVIEW_QUERIES):
        assert len(listed(as_agent)) == 3


def test_the_overview_makes_the_same_queries_for_5_or_50_rows(
    as_agent, customer, reasons, actions, shop_settings, django_assert_num_queries
):
    # given
    orders = [make_order([(1, "20.00"), (2, "15.00")], customer=customer) for _ in range(50)]
    for order in orders[:5]:
        make_return(order, 1, 2)
    listed(as_agent)  # fills the cache of the countries filter
    # when / then
    with django_assert_num_queries(OVERVIEW_QUERIES):
        assert len(listed(as_agent)) == 5
    for order in orders[5:]:
        make_return(order, 1, 1)
    with django_assert_num_queries(OVERVIEW_QUERIES):
        assert len(listed(as_agent)) == 50


WORK_LIST = "refund_state=not_refunded&label_state=no_label&channel__exact=backoffice&o=3.-7"


def test_a_filtered_sorted_page_makes_the_same_queries_for_5_or_50_rows(
    as_agent, customer, reasons, actions, shop_settings, django_assert_num_queries
):
    # given: the refund, label and channel filters, sorted by status then age
    orders = [make_order([(1, "20.00"), (2, "15.00")], customer=customer) for _ in range(55)]
    for order in orders[:5]:
        make_return(order, 1, 2)
    listed(as_agent)  # fills the cache of the countries filter
    # when / then
    with django_assert_num_queries(OVERVIEW_QUERIES):
        assert len(listed(as_agent, WORK_LIST)) == 5
    for order in orders[5:]:
        make_return(order, 1, 1)
    with django_assert_num_queries(OVERVIEW_QUERIES):
        assert len(listed(as_agent, WORK_LIST)) == 50
    with django_assert_num_queries(OVERVIEW_QUERIES):  # the second page
        assert len(listed(as_agent, WORK_LIST + "&p=2")) == 5


def test_the_rows_render_no_widget_template(as_agent, order):
    # given: a page of rows, each with its selection box
    for _ in range(2):
        make_return(order, 1, 0)
    # when
    response = as_agent.get(OVERVIEW)
    # then: the boxes are written at once, no widget's template is rendered per row, nor the
    # results table's (written by returns/admin/lean.py results_html)
    names = [template.name for template in response.templates]
    assert "django/forms/widgets/checkbox.html" not in names
    assert "admin/change_list_results.html" not in names
    assert 'id="result_list"' in response.content.decode()
    assert response.content.decode().count('class="action-select"') == 2


def test_anonymous_bulk_actions_are_sent_to_the_login_page(anonymous, order):
    ret = make_return(order, 1)
    response = act(anonymous, "approve_selected", [ret])
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.REQUESTED


def test_an_agent_cannot_mark_returns_refunded_in_bulk(as_agent, order):
    # given
    ret = make_return(order, 1, status=ReturnStatus.RECEIVED)
    before = snapshot(ret)
    # when
    page = as_agent.get(OVERVIEW)
    forced = act(as_agent, "mark_refunded_selected", [ret], apply="1", reference="X", batch="b1")
    # then
    assert "mark_refunded_selected" not in dict(
        page.context["action_form"].fields["action"].choices
    )
    assert forced.status_code == 302
    assert snapshot(ret) == before
    assert Refund.objects.count() == 0


def test_past_the_count_cap_the_overview_says_more_than_the_cap_and_counts_no_further(
    as_agent, order, customer, monkeypatch, django_assert_max_num_queries
):
    # given: four returns, a cap of three
    monkeypatch.setattr("shop.pagination.CappedCountPaginator.CAP", 3)
    make_return(order, 1)
    make_return(order, 1)
    make_return(order, 0, 1)
    make_return(make_order([(1, "10.00")], customer=customer, email=customer.email), 1)
    # when
    with django_assert_max_num_queries(20) as captured:
        page = as_agent.get(OVERVIEW)
    # then: the list says "more than 3" and its count read no more than 4 ids
    assert page.status_code == 200
    assert "more than 3 returns" in page.content.decode()
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(*)" in q["sql"]]
    assert counts
    assert all("LIMIT 4" in sql for sql in counts), counts
    assert len(page.context["cl"].result_list) == 4


def test_a_reason_or_brand_added_or_renamed_shows_in_the_filters_at_once(as_agent, order):
    # given: the filters' choices memoised by a first page
    from returns.models import ReturnReason
    from shop.models import Brand

    make_return(order, 1, 0)
    assert "Smells odd" not in as_agent.get(OVERVIEW).content.decode()
    # when: a reason added
    reason = ReturnReason.objects.create(code="smell", name_fr="Odeur", name_en="Smells odd")
    html = as_agent.get(OVERVIEW).content.decode()
    # then
    assert "?reason=smell" in html
    assert "Smells odd" in html
    # when: renamed
    reason.name_en = "Smells bad"
    reason.save()
    # then
    assert "Smells bad" in as_agent.get(OVERVIEW).content.decode()
    # when: a brand added, then deleted
    brand = Brand.objects.create(code="north", name="North Shop")
    html = as_agent.get(OVERVIEW).content.decode()
    brand.delete()
    # then
    assert "?brand=north" in html
    assert "North Shop" in html
    assert "?brand=north" not in as_agent.get(OVERVIEW).content.decode()


def test_a_reason_renamed_elsewhere_shows_once_the_memo_is_old(
    as_agent, order, filter_choices_clock
):
    # given: the filters' choices memoised; a rename with no signal (another process's save)
    from returns.models import ReturnReason
    from shop.memo import MEMO_SECONDS

    make_return(order, 1, 0)
    as_agent.get(OVERVIEW)
    reason = ReturnReason.objects.order_by("position", "id").first()
    ReturnReason.objects.filter(pk=reason.pk).update(name_en="Renamed elsewhere")
    # when / then: kept while fresh, read again once MEMO_SECONDS old
    assert "Renamed elsewhere" not in as_agent.get(OVERVIEW).content.decode()
    filter_choices_clock.now += MEMO_SECONDS + 0.1
    assert "Renamed elsewhere" in as_agent.get(OVERVIEW).content.decode()
