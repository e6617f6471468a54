"""Demo returns: every status, believable timelines, idempotent."""

import itertools

import pytest
from django.utils import timezone

from returns.demo.returns import DEMO_MARKER, seed_returns
from returns.models import Return, ReturnEvent, ReturnStatus
from shop.demo import seed_shop
from shop.models import StockMovement
from tests.returns.helpers import status_history

pytestmark = pytest.mark.django_db


def test_demo_returns_cover_every_status_with_coherent_timelines(notifications):
    # given
    seed_shop()
    # when
    created = seed_returns()
    # then
    demo = Return.objects.filter(staff_note__startswith=DEMO_MARKER)
    assert demo.count() == len(created) >= len(ReturnStatus.values)
    assert set(demo.values_list("status", flat=True)) == set(ReturnStatus.values)
    now = timezone.now()
    for ret in demo:
        history = status_history(ret)
        assert history[0][0] == ""
        assert all(left == reached for (_, reached), (left, _) in itertools.pairwise(history))
        assert history[-1][1] == ret.status
        moments = list(ret.events.order_by("id").values_list("created_at", flat=True))
        assert moments == sorted(moments)
        assert ret.created_at == moments[0] < now
        assert ret.order.delivered_at < ret.created_at
        assert (
            ret.status_changed_at
            == ret.events.filter(kind=ReturnEvent.Kind.STATUS).latest("id").created_at
        )


def test_demo_returns_are_seeded_once(notifications):
    # given
    seed_shop()
    seed_returns()
    counts = (Return.objects.count(), ReturnEvent.objects.count(), StockMovement.objects.count())
    # when
    again = seed_returns()
    # then
    assert again == []
    assert (
        Return.objects.count(),
        ReturnEvent.objects.count(),
        StockMovement.objects.count(),
    ) == counts


def test_demo_returns_need_staff_and_delivered_orders(notifications):
    assert seed_returns() == []
    assert Return.objects.count() == 0
