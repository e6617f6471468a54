"""The back-office home: the queues a returns team works from, each a link to its filtered list,
and the returns of the last 30 days."""

from datetime import timedelta

import pytest
from django.utils import timezone

from refunds.services import refund_create
from returns.models import Return, ReturnStatus
from tests.factories import make_order
from tests.returns.admin.helpers import make_return

pytestmark = pytest.mark.django_db

HOME = "/admin/"


def test_anonymous_visitors_are_sent_to_the_login_page(anonymous):
    response = anonymous.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_the_queues_count_the_returns_and_link_to_the_filtered_lists(as_agent, manager, order):
    # given
    make_return(order, 1)
    make_return(order, 1, status=ReturnStatus.APPROVED)
    received = make_return(order, 0, 1, status=ReturnStatus.RECEIVED)
    refund_create(actor=manager, ret=received, idempotency_key="k-1")
    # when
    page = as_agent.get(HOME)
    # then
    assert page.status_code == 200
    queues = {queue["status"]: (queue["count"], queue["url"]) for queue in page.context["queues"]}
    assert queues == {
        "requested": (1, "/admin/returns/return/?status__exact=requested"),
        "approved": (1, "/admin/returns/return/?status__exact=approved"),
        "in_transit": (0, "/admin/returns/return/?status__exact=in_transit"),
        "received": (1, "/admin/returns/return/?status__exact=received"),
        "refund_pending": (1, "/admin/refunds/refund/?status__exact=pending"),
    }
    assert 'href="/admin/returns/return/?status__exact=requested"' in page.content.decode()


def test_a_queue_past_the_cap_says_more_than_the_cap_and_counts_no_further(
    as_agent, order, customer, monkeypatch, django_assert_num_queries
):
    # given: three requests and one approved return, with a cap of two
    monkeypatch.setattr("config.dashboard.QUEUE_COUNT_CAP", 2)
    make_return(order, 1)
    make_return(order, 1)
    make_return(order, 0, 1)
    other = make_order([(1, "10.00")], customer=customer, email=customer.email)
    make_return(other, 1, status=ReturnStatus.APPROVED)
    # when
    from config.dashboard import work_queues

    with django_assert_num_queries(1) as captured:
        queues = {queue["status"]: (queue["count"], queue["more"]) for queue in work_queues()}
    # then: the full queue stops at the cap and says so; the others are exact
    assert queues == {
        "requested": (2, True),
        "approved": (1, False),
        "in_transit": (0, False),
        "received": (0, False),
        "refund_pending": (0, False),
    }
    # each count reads at most cap + 1 rows
    assert captured.captured_queries[0]["sql"].count("LIMIT 3") == 5
    page = as_agent.get(HOME).content.decode()
    assert '<span class="count">2+</span>' in page
    assert '<span class="count">1</span>' in page


def test_staff_without_the_permission_see_counts_without_links(as_plain_staff, order):
    make_return(order, 1)
    page = as_plain_staff.get(HOME)
    assert page.status_code == 200
    assert [queue["url"] for queue in page.context["queues"]] == [None] * 5
    assert "/admin/returns/return/?status__exact" not in page.content.decode()


def test_the_chart_counts_returns_per_day_and_items_per_reason(as_agent, order):
    # given: two returns today, one 40 days ago (out of the chart)
    make_return(order, 1, reason="wrong-size")
    make_return(order, 0, 1, reason="defective")
    old = make_return(order, 1, reason="defective")
    Return.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    # when
    chart = as_agent.get(HOME).context["chart"]
    # then
    assert chart["total"] == 2
    assert chart["days"][-1]["count"] == 2
    assert [(r["reason__code"], r["n"]) for r in chart["reasons"]] == [
        ("defective", 1),
        ("wrong-size", 1),
    ]


# Session, user, the queues' counts (one query), the agent's permissions (2; no disabled webhook
# endpoints read for who may not manage them); the shop settings come from the per-process memo
# (shop.memo.page_settings), the chart from the cache.
HOME_QUERIES = 5


def test_the_home_reads_the_settings_once_per_process_and_sees_a_change_at_once(
    as_agent, order, shop_settings, django_assert_num_queries
):
    # given: the memo and the chart filled by a first visit
    make_return(order, 1)
    as_agent.get(HOME)
    # when / then: no settings row read again, whatever the queues hold
    with django_assert_num_queries(HOME_QUERIES) as captured:
        page = as_agent.get(HOME)
    assert not any("shop_shopsettings" in query["sql"] for query in captured.captured_queries)
    assert page.context["shop"].returns_allowed is True
    # when: the settings are saved (in this process: the signal empties the memo)
    shop_settings.shop_name = "Atelier Nord"
    shop_settings.returns_allowed = False
    shop_settings.save()
    page = as_agent.get(HOME)
    # then: the header and the settings' panel show the change
    html = page.content.decode()
    assert "Atelier Nord · back-office" in html
    assert "no: customers cannot request returns" in html
