"""The return window gives the same answer on every surface: the portal's order page and request
form, the back-office's create-return page, and the services return_request and return_create,
for orders delivered just inside and just outside the shop's window (they all ask
returns.policy). The ages are set against timezone.now(), no frozen clock."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from returns import policy
from returns.errors import ReturnError
from returns.models import Return, ReturnEvent
from tests.factories import StaffFactory
from tests.returns.helpers import create, grant, request

pytestmark = pytest.mark.django_db

WINDOW_DAYS = 30
# (age of the delivery, whether the window is still open); N = WINDOW_DAYS. The window is N
# days to the minute: on day N it is open until the time of day the order was delivered.
AGES = {
    "N-1 days": (timedelta(days=WINDOW_DAYS - 1), True),
    "N days less a minute": (timedelta(days=WINDOW_DAYS, minutes=-1), True),
    "N days and a minute": (timedelta(days=WINDOW_DAYS, minutes=1), False),
    "N+1 days": (timedelta(days=WINDOW_DAYS + 1), False),
}


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def portal_order_page(order, staff) -> tuple[bool, str]:
    eligibility = (
        _client(order.customer.user).get(f"/orders/{order.number}/").context["eligibility"]
    )
    return eligibility.returnable, eligibility.reason


def portal_request_form(order, staff) -> tuple[bool, str]:
    response = _client(order.customer.user).get(f"/orders/{order.number}/return/")
    if response.status_code == 200:
        return True, ""
    assert response["Location"] == f"/orders/{order.number}/"
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    return False, message


def backoffice_create_page(order, staff) -> tuple[bool, str]:
    page = _client(staff).get(reverse("admin:returns_return_create", args=[order.pk]))
    answer = page.context["returnability"]
    return answer.returnable, answer.reason


def service_return_request(order, staff) -> tuple[bool, str]:
    try:
        request(order, 1)
    except ReturnError as refusal:
        return False, refusal.message
    return True, ""


def service_return_create(order, staff) -> tuple[bool, str]:
    try:
        create(staff, order, 1)
    except ReturnError as refusal:
        # staff without the permission are told who may override it, after the same words
        return False, refusal.message.removesuffix(
            " Only staff allowed to override the return rules can create this return: ask "
            "someone in the group “Shop admin”."
        )
    return True, ""


SURFACES = [
    portal_order_page,
    portal_request_form,
    backoffice_create_page,
    service_return_request,
    service_return_create,
]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda surface: surface.__name__)
@pytest.mark.parametrize("age", list(AGES), ids=str)
def test_every_surface_gives_the_policys_answer_on_the_window(order, shop_settings, surface, age):
    # given: staff who may create returns but not override the rules
    shop_settings.return_window_days = WINDOW_DAYS
    shop_settings.save()
    delivered_ago, is_open = AGES[age]
    order.delivered_at = timezone.now() - delivered_ago
    order.save(update_fields=["delivered_at"])
    staff = grant(StaffFactory(), "add_return", "view_return")
    closed = policy.returnability(
        order, shop_settings, channel=Return.Channel.PORTAL, remaining={1: 1}
    ).reason
    # when
    answer = surface(order, staff)
    # then
    assert answer == ((True, "") if is_open else (False, closed))
    if not is_open:
        assert closed.startswith("The return window of 30 days after delivery closed on ")
        assert Return.objects.count() == 0
        assert ReturnEvent.objects.count() == 0
