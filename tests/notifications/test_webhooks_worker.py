"""An outbound webhook posted by a real Celery worker process on Redis and PostgreSQL, after the
change's commit, to a real local HTTP receiver; signed as Standard Webhooks says."""

import pytest
from standardwebhooks import Webhook

from notifications.models import WebhookDelivery, WebhookEndpoint
from returns.services import return_approve
from tests.factories import bare_return
from tests.notifications.test_worker import empty_broker, wait_until, workers  # noqa: F401
from tests.notifications.webhook_receiver import Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_posts_a_status_change_once(workers, manager):  # noqa: F811
    # given: a worker, a receiver that fails once, and an endpoint for status changes
    receiver = Receiver(503, 200)
    try:
        workers(WEBHOOKS_RETRY_SCHEDULE_SECONDS="1,1")
        hook = WebhookEndpoint.objects.create(url=receiver.url, events=["return.status_changed"])
        ret = bare_return()
        # when: the approval commits
        return_approve(actor=manager, ret=ret, notify=False)
        # then: posted by the worker, retried once, delivered
        delivery = WebhookDelivery.objects.get()
        wait_until(
            lambda: WebhookDelivery.objects.filter(status="delivered").exists(),
            timeout=60,
            message="the webhook was not delivered",
        )
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.response_status) == (2, 200)
        assert len(receiver.requests) == 2
        for request in receiver.requests:
            payload = Webhook(hook.secret).verify(request.body, request.headers)
            assert request.headers["webhook-id"] == delivery.webhook_id
        assert payload["data"]["status"] == "approved"
        assert payload["data"]["previous_status"] == "requested"
    finally:
        receiver.stop()
