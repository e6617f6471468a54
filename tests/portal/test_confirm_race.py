"""Eight confirmations of one draft at the same moment, as from two web processes (PostgreSQL):
the draft's key makes one return and one email, whatever each process remembers."""

import pytest

from notifications.models import Notification
from returns.models import Return, ReturnEvent
from tests.fixtures.concurrency import race
from tests.fixtures.web import english_client
from tests.portal.helpers import form_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def same_browser(client, count: int) -> list:
    """`count` browsers holding the client's cookies: one session sending from each."""
    browsers = []
    for _ in range(count):
        browser = english_client()
        for name, morsel in client.cookies.items():
            browser.cookies[name] = morsel.value
        browsers.append(browser)
    return browsers


def test_eight_confirmations_at_once_make_one_return_and_one_email(
    customer_client, order, monkeypatch
):
    # given: one draft (one of the two pairs of socks), its summary open in eight tabs
    monkeypatch.setattr("notifications.services.publish_send", lambda *args, **kwargs: True)
    drafted = customer_client.post(
        f"/orders/{order.number}/return/", form_data(order, (0, ""), (1, "wrong-size"))
    )
    assert drafted.status_code == 302
    confirm = f"/orders/{order.number}/return/confirm/"
    # when
    responses = race(*[lambda b=b: b.post(confirm) for b in same_browser(customer_client, 8)])
    # then: one return; each tab is sent to it, or to the form once the draft is gone
    ret = Return.objects.get()
    assert ret.idempotency_key.startswith("portal:")
    assert {response.status_code for response in responses} == {302}
    assert {response["Location"] for response in responses} <= {
        f"/returns/{ret.rma_number}/",
        f"/orders/{order.number}/return/",
    }
    assert [line.quantity for line in ret.lines.all()] == [1]
    assert ReturnEvent.objects.count() == 1
    assert Notification.objects.count() == 1
