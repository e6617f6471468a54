"""Two staff clicking Retry the label at the same moment (PostgreSQL, a thread and a
connection each): one asks the carrier, the other is refused; one label, one email."""

import time

import pytest

from returns.carriers import CarrierError
from returns.carriers.offline import OfflineCarrier
from returns.errors import ReturnError
from returns.models import LabelAttempt, ReturnLabel
from returns.services import labels, return_approve
from tests.fixtures.concurrency import race
from tests.returns.helpers import request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_retries_at_once_make_one_label(staff, order, monkeypatch, notifications):
    # given: the carrier was down at approval; now it is back, and slow
    ret = request(order, 1)
    with monkeypatch.context() as patch:

        def down(self, ret, *, method=None):
            raise CarrierError("service unavailable")

        patch.setattr(OfflineCarrier, "create_label", down)
        return_approve(actor=staff, ret=ret)
    asked = []
    make = OfflineCarrier.create_label

    def slow(self, ret, *, method=None):
        asked.append(ret.pk)
        time.sleep(0.5)  # the other click arrives while this one is at the carrier's
        return make(self, ret, method=method)

    monkeypatch.setattr(OfflineCarrier, "create_label", slow)
    notifications.calls.clear()
    # when
    outcomes = race(
        lambda: labels.label_create(actor=staff, ret=ret, expected_status="approved"),
        lambda: labels.label_create(actor=staff, ret=ret, expected_status="approved"),
    )
    # then
    made = [outcome for outcome in outcomes if isinstance(outcome, ReturnLabel)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ReturnError)]
    assert (len(made), len(refused)) == (1, 1)
    assert refused[0].message == f"The label of return {ret.rma_number} is being made right now."
    assert asked == [ret.pk]
    assert list(ReturnLabel.objects.values_list("pk", flat=True)) == [made[0].pk]
    assert sorted(LabelAttempt.objects.values_list("status", flat=True)) == [
        "failed",
        "succeeded",
    ]
    assert notifications.events == ["label_resent"]
