"""A headless storefront's whole flow, end to end: it upserts the order through the API, asks
what is returnable, previews the quote (the portal's own, to the cent), creates the return with
an Idempotency-Key sent twice, receives `return.requested` at its webhook receiver; then staff
approve on the back-office's return page, and the storefront reads the new status and receives
`return.status_changed`. Signatures are verified by the Standard Webhooks library."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from standardwebhooks import Webhook

from notifications.models import WebhookDelivery, WebhookEndpoint, WebhookEventType
from notifications.webhook_delivery import deliver_webhook
from returns.models import Return, ReturnStatus
from shop.models import Customer
from tests.api.test_orders import order_body
from tests.factories import UserFactory
from tests.fixtures.api import ApiClient, make_key
from tests.fixtures.backoffice import with_role
from tests.fixtures.returns import seed_reasons
from tests.fixtures.web import logged_in
from tests.notifications.webhook_receiver import Receiver
from tests.portal.helpers import form_data
from tests.returns.admin.helpers import page_url
from tests.returns.rules.helpers import fee

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    made = Receiver(200)
    yield made
    made.stop()


def deliver_queued() -> list[str]:
    """What the worker does with the queued deliveries (posts them), here at once."""
    queued = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.QUEUED).order_by("id")
    return [
        deliver_webhook(delivery_id=pk, publish_email=lambda pk: None).status
        for pk in queued.values_list("pk", flat=True)
    ]


def verified(endpoint: WebhookEndpoint, request) -> dict:
    """The payload, once the reference library has checked its signature (raises if wrong)."""
    return Webhook(endpoint.secret).verify(request.body, request.headers)


def portal_quote_total(order_number: str, line_id: int, quantity: int) -> Decimal:
    """The total the portal's confirmation page shows the customer for the same items."""
    customer = Customer.objects.get(email="lea@example.com")
    customer.user = UserFactory(email=customer.email)  # Léa signs up on the portal
    customer.save(update_fields=["user"])
    browser = logged_in(customer.user)
    order = customer.orders.get(number=order_number)
    data = form_data(order, (quantity, "wrong-size"))
    assert browser.post(reverse("return_request", args=[order_number]), data).status_code == 302
    page = browser.get(reverse("return_confirm", args=[order_number]))
    assert page.status_code == 200
    assert line_id == order.lines.order_by("id").first().pk
    return page.context["quote"].total


def test_a_storefront_drives_a_return_through_the_api_and_hears_of_it(receiver):
    # given: a shop with a postage fee, a storefront's key and its webhook endpoint
    seed_reasons()
    fee("4.50", name="Postage")
    endpoint = WebhookEndpoint.objects.create(
        url=receiver.url,
        events=[WebhookEventType.RETURN_REQUESTED, WebhookEventType.RETURN_STATUS_CHANGED],
    )
    _key, secret = make_key()
    backend = ApiClient(secret)
    storefront = ApiClient(secret, customer="lea@example.com")
    # when: the order, what is returnable, the preview, the return sent twice
    upserted = backend.put("/api/v1/orders/W-7", order_body())
    returnable = storefront.get("/api/v1/orders/W-7/returnable").json()
    tee = returnable["lines"][0]
    request = {
        "order": "W-7",
        "refund_mode": "money_back",
        "lines": [{"order_line_id": tee["order_line_id"], "quantity": 2, "reason": "wrong-size"}],
    }
    preview = storefront.post("/api/v1/returns/preview", request)
    portal_total = portal_quote_total("W-7", tee["order_line_id"], 2)
    first = storefront.post("/api/v1/returns", request, key="W-7-return")
    second = storefront.post("/api/v1/returns", request, key="W-7-return")
    requested_posts = deliver_queued()
    # then: one return, the preview equal to the portal's quote, one signed webhook
    assert upserted.status_code == 201
    assert (returnable["returnable"], tee["returnable"]) == (True, 2)
    assert (preview.status_code, first.status_code, second.status_code) == (200, 201, 201)
    assert first.json() == second.json()
    assert Return.objects.count() == 1
    assert preview.json()["total"] == first.json()["quote"]["total"] == "35.50"
    assert portal_total == Decimal("35.50")
    rma = first.json()["rma_number"]
    assert requested_posts == ["delivered"]
    requested = verified(endpoint, receiver.requests[0])
    assert requested["type"] == "return.requested"
    assert (requested["data"]["rma_number"], requested["data"]["status"]) == (rma, "requested")

    # when: staff approve on the back-office's return page
    ret = Return.objects.get(rma_number=rma)
    agent = logged_in(with_role("returns_agent"))
    saved = agent.post(page_url(ret), {"seen_status": ret.status, "next_status": "approved"})
    seen = storefront.get(f"/api/v1/returns/{rma}").json()
    changed_posts = deliver_queued()
    # then: the storefront reads the new status and hears of it, once
    assert saved.status_code == 302
    assert seen["status"] == ReturnStatus.APPROVED == "approved"
    assert changed_posts == ["delivered"]
    assert len(receiver.requests) == 2
    changed = verified(endpoint, receiver.requests[1])
    assert changed["type"] == "return.status_changed"
    assert (changed["data"]["rma_number"], changed["data"]["status"]) == (rma, "approved")
    assert json.loads(receiver.requests[1].body) == changed
