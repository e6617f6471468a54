"""The HTTP suite's create-return POSTs (bench/prepare.py): each line of the list confirms one
order's draft once, and the next list starts again from orders without returns, deleting the
returns the last run made (so the suite's return count and the other pages never see them)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bench import prepare
from notifications.models import Notification
from returns.models import Return
from shop.models import Order
from tests.factories import VariantFactory, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(reasons, shop_settings):
    """A shop's order placed a month ago, and a product the bench's orders use."""
    VariantFactory()
    return make_order([(1, "10.00")], placed_at=timezone.now() - timedelta(days=30))


def _send(line: tuple[str, str, str]):
    """As wrk sends it: the cookies, the body with its CSRF token, checked."""
    cookie, path, body = line
    client = Client(enforce_csrf_checks=True)
    for pair in cookie.split("; "):
        name, value = pair.split("=", 1)
        client.cookies[name] = value
    return client.post(
        path,
        body,
        content_type="application/x-www-form-urlencoded",
        secure=True,
        HTTP_REFERER="https://testserver" + path,
    )


def test_each_request_confirms_its_own_order_once(loaded):
    # when
    lines = prepare.post_requests(3)
    answers = [_send(line) for line in lines]
    again = _send(lines[0])
    # then: a return each, its email queued; a line sent again is sent to its order's page
    # (nothing left to return), which bench/wrk.lua counts as unexpected
    returns = Return.objects.filter(order__customer__email=prepare.POST_EMAIL)
    assert [answer.status_code for answer in answers] == [302, 302, 302]
    assert sorted(answer["Location"] for answer in answers) == sorted(
        f"/returns/{ret.rma_number}/" for ret in returns
    )
    assert sorted(returns.values_list("order__number", flat=True)) == [
        "BENCH-POST-000000",
        "BENCH-POST-000001",
        "BENCH-POST-000002",
    ]
    assert Notification.objects.filter(ret__in=returns, event="requested").count() == 3
    assert (again.status_code, again["Location"]) == (302, "/orders/BENCH-POST-000000/")
    assert returns.count() == 3


def test_a_new_list_deletes_the_last_runs_returns_and_only_those(loaded):
    # given: a run's returns, and the shop's own return
    for line in prepare.post_requests(2):
        _send(line)
    theirs = Return.objects.create(order=loaded, channel=Return.Channel.PORTAL)
    # when
    lines = prepare.post_requests(2)
    # then
    assert list(Return.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert [_send(line).status_code for line in lines] == [302, 302]
    # the bench's orders come after the shop's in the orders list (placed before)
    newest = Order.objects.order_by("-placed_at", "-id").first()
    assert newest == loaded
