"""Twenty submissions of one *Create return* page at the same moment (PostgreSQL): its hidden
key makes one return and one email."""

import pytest
from django.urls import reverse

from notifications.models import Notification
from returns.models import Return, ReturnEvent, ReturnLabel
from tests.fixtures.concurrency import race
from tests.fixtures.web import logged_in
from tests.returns.admin.test_create_return import form_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_submissions_of_one_page_make_one_return_and_one_email(agent, order):
    # given: one page, approved at once with a label, for one of the two units of the first line
    url = reverse("admin:returns_return_create", args=[order.pk])
    data = form_data(order, (1, "wrong-size", True))
    browsers = [logged_in(agent) for _ in range(20)]
    # when
    responses = race(*[lambda b=b: b.post(url, data) for b in browsers])
    # then: every submission opens the one return
    ret = Return.objects.get()
    assert ret.idempotency_key == data["idempotency_key"]
    assert {response.status_code for response in responses} == {302}
    assert {response.url for response in responses} == {
        reverse("admin:returns_return_change", args=[ret.pk])
    }
    assert ReturnEvent.objects.filter(kind=ReturnEvent.Kind.STATUS).count() == 2
    assert ReturnLabel.objects.count() == 1
    assert Notification.objects.count() == 1
