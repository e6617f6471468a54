"""The back-office home: the queues a returns team works from, each a link to its filtered list,
and the returns of the last 30 days."""

from datetime import timedelta

import pytest
from django.utils import timezone

from refunds.services import refund_create
from returns.models import Return, ReturnStatus
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
