"""Sendcloud down when a return is approved: the return stays approved, no email promises a
label, staff get a retry; the retry once Sendcloud is back makes exactly one return parcel."""

import pytest

from returns import policy
from returns.models import LabelAttempt, ReturnLabel, ReturnStatus
from returns.selectors import labels as label_reads
from returns.services import labels, return_approve
from tests.returns.carriers.sendcloud_server import RETURN_ID, Answer
from tests.returns.helpers import request

pytestmark = pytest.mark.django_db

CREATE = ("POST", "/api/v3/returns")
DOWN = Answer(503, {"errors": [{"code": "unavailable", "detail": "Service unavailable"}]})


def test_sendcloud_down_at_approval_then_the_retry_makes_one_parcel(
    sendcloud, staff, order, notifications
):
    # given: Sendcloud answers every create with a 503 (retries included)
    ret = request(order, 1)
    notifications.calls.clear()
    created = sendcloud.answers[CREATE]
    sendcloud.script(*CREATE, DOWN)
    # when
    approved = return_approve(actor=staff, ret=ret)
    # then: approved, no label, the plain approval email, a retry offered with the error
    approved.refresh_from_db()
    attempt = label_reads.latest_label_attempt(approved.pk)
    assert approved.status == ReturnStatus.APPROVED
    assert ReturnLabel.objects.count() == 0
    assert notifications.events == ["approved"]
    assert attempt is not None
    assert attempt.status == "failed"
    assert policy.label_actions(approved, None, staff, attempt).create is True
    tried = len(sendcloud.made(*CREATE))
    assert tried == 4  # the first try and three retries of the 5xx

    # when: Sendcloud is back and staff retry
    sendcloud.script(*CREATE, *created)
    notifications.calls.clear()
    label = labels.label_create(actor=staff, ret=approved, expected_status="approved")
    # then: one more create request, one parcel, one label, one email
    assert len(sendcloud.made(*CREATE)) == tried + 1
    assert list(ReturnLabel.objects.values_list("pk", flat=True)) == [label.pk]
    assert label.carrier == "sendcloud"
    assert label.carrier_reference.startswith(f"{RETURN_ID}:")
    assert notifications.events == ["label_resent"]
    assert list(LabelAttempt.objects.order_by("id").values_list("status", flat=True)) == [
        "failed",
        "succeeded",
    ]
