"""The carrier is asked after the approval commits, never inside a transaction: real commits
here (a transactional test), and a carrier that looks at its connection when asked."""

import pytest
from django.db import connection

from returns.carriers.offline import OfflineCarrier
from returns.models import LabelAttempt, Return, ReturnLabel, ReturnRule, ReturnStatus
from returns.services import return_approve
from tests.returns.helpers import request
from tests.returns.rules.helpers import rule

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watching_carrier(monkeypatch):
    """What the carrier saw when asked: in a transaction or not, the return approved or not
    (read on its own, committed)."""
    seen = []
    make = OfflineCarrier.create_label

    def create_label(self, ret, *, method=None):
        status = Return.objects.values_list("status", flat=True).get(pk=ret.pk)
        seen.append((connection.in_atomic_block, status))
        return make(self, ret, method=method)

    monkeypatch.setattr(OfflineCarrier, "create_label", create_label)
    return seen


def test_the_carrier_is_asked_after_the_approval_commits(
    staff, order, watching_carrier, notifications
):
    # given
    ret = request(order, 1)
    notifications.calls.clear()
    # when
    return_approve(actor=staff, ret=ret, expected_status="requested")
    # then
    assert watching_carrier == [(False, ReturnStatus.APPROVED)]
    label = ReturnLabel.objects.get(ret=ret)
    assert LabelAttempt.objects.get(ret=ret).label == label
    assert notifications.events == ["approved_with_label"]


def test_a_rule_approving_at_request_asks_the_carrier_after_commit(
    order, watching_carrier, notifications
):
    # given
    rule(ReturnRule.Action.AUTO_APPROVE, name="Everything")
    # when
    ret = request(order, 1)
    # then
    assert watching_carrier == [(False, ReturnStatus.APPROVED)]
    assert ReturnLabel.objects.filter(ret=ret).count() == 1
    assert notifications.events == ["approved_with_label"]
