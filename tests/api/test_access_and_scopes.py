"""Who may call what: a key's scopes, a revoked key, a storefront's customer scope."""

import pytest

from api.keys import api_key_revoke
from api.models import ApiKey
from api.scopes import RETURNS_READ, RETURNS_WRITE
from notifications.models import Notification
from returns.models import Return, ReturnEvent
from shop.models import ThrottleCounter
from tests.fixtures.api import ApiClient, make_key

pytestmark = pytest.mark.django_db


def request_body(order, quantity=1, reason="wrong-size"):
    line = order.lines.order_by("id").first()
    return {
        "order": order.number,
        "refund_mode": "money_back",
        "lines": [{"order_line_id": line.pk, "quantity": quantity, "reason": reason}],
    }


def test_a_key_without_returns_process_gets_403_on_approve_and_nothing_changes(order):
    # given: a return requested through a key that may create returns, not process them
    _key, secret = make_key([RETURNS_READ, RETURNS_WRITE])
    api = ApiClient(secret)
    rma = api.post("/api/v1/returns", request_body(order)).json()["rma_number"]
    events = ReturnEvent.objects.count()
    emails = Notification.objects.count()
    # when
    response = api.post(f"/api/v1/returns/{rma}/approve")
    # then
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "scope_missing"
    assert response.json()["detail"] == "This API key lacks the scope returns:process."
    assert Return.objects.get().status == "requested"
    assert ReturnEvent.objects.count() == events
    assert Notification.objects.count() == emails


def test_a_customer_scoped_call_for_another_customers_order_is_a_404(order, other_order):
    # given: a storefront acting for the other customer
    _key, secret = make_key()
    api = ApiClient(secret, customer=other_order.customer.email)
    # when
    returnable = api.get(f"/api/v1/orders/{order.number}/returnable")
    created = api.post("/api/v1/returns", request_body(order))
    # then: the order is not found, and no return was made
    assert returnable.status_code == 404
    assert created.status_code == 404
    assert created.json()["code"] == "not_found"
    assert Return.objects.count() == 0


def test_a_customer_scoped_call_does_not_see_another_customers_return(order, other_order):
    # given: a return of the first customer's order, made by staff
    _key, secret = make_key()
    rma = ApiClient(secret).post("/api/v1/returns", request_body(order)).json()["rma_number"]
    other = ApiClient(secret, customer=other_order.customer.email)
    own = ApiClient(secret, customer=order.customer.email)
    # when / then
    assert other.get(f"/api/v1/returns/{rma}").status_code == 404
    assert other.post(f"/api/v1/returns/{rma}/cancel").status_code == 404
    assert other.get("/api/v1/returns").json()["results"] == []
    assert own.get(f"/api/v1/returns/{rma}").status_code == 200
    assert Return.objects.get().status == "requested"


def test_a_revoked_key_gets_401(order):
    # given
    key, secret = make_key()
    api_key_revoke(key)
    # when
    response = ApiClient(secret).get("/api/v1/reasons")
    # then
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "authentication_failed"
    assert response.json()["detail"] == "This API key is unknown or revoked."


def test_no_key_or_a_wrong_key_gets_401(db):
    assert ApiClient("rk_00000000_nope").get("/api/v1/reasons").status_code == 401
    anonymous = ApiClient("x")
    anonymous.headers.pop("Authorization")
    response = anonymous.get("/api/v1/reasons")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_key_is_stored_hashed_and_its_use_recorded(db):
    # given
    _key, secret = make_key()
    # when
    ApiClient(secret).get("/api/v1/reasons")
    # then
    stored = ApiKey.objects.get()
    assert secret not in (stored.prefix, stored.hashed_secret)
    assert secret.startswith(f"rk_{stored.prefix}_")
    assert stored.last_used_at is not None
    assert not stored.service_user.has_usable_password()
    assert not stored.service_user.is_staff


def test_a_storefront_customer_creates_and_cancels_their_own_return(order):
    # given
    _key, secret = make_key()
    api = ApiClient(secret, customer=order.customer.email.upper())
    # when
    created = api.post("/api/v1/returns", request_body(order))
    cancelled = api.post(f"/api/v1/returns/{created.json()['rma_number']}/cancel")
    # then: asked as the portal asks (the portal's channel), then cancelled as its customer
    assert created.status_code == 201
    assert created.json()["channel"] == "portal"
    assert cancelled.status_code == 200
    assert Return.objects.get().status == "cancelled"


def test_requests_per_key_are_throttled(db, settings):
    # given
    settings.API_REQUESTS_PER_MINUTE = 2
    _key, secret = make_key()
    api = ApiClient(secret)
    # when
    answers = [api.get("/api/v1/reasons").status_code for _ in range(3)]
    # then
    assert answers == [200, 200, 429]


# The throttle is counted by the statement that recognises the key (api.keys.key_for_secret):
# what it counts must be what it counted when it was a step of its own after the scopes.


def test_a_key_revoked_after_use_gets_401_and_its_requests_stop_counting(db, settings):
    # given: a key used once
    settings.API_REQUESTS_PER_MINUTE = 2
    key, secret = make_key()
    api = ApiClient(secret)
    assert api.get("/api/v1/reasons").status_code == 200
    counted = ThrottleCounter.objects.get().count
    # when
    api_key_revoke(key)
    answers = [api.get("/api/v1/reasons").status_code for _ in range(3)]
    # then: refused at once, and nothing more counted
    assert answers == [401, 401, 401]
    assert counted == 1
    assert list(ThrottleCounter.objects.values_list("count", flat=True)) == [1]


def test_a_wrong_secret_with_a_keys_prefix_counts_nothing(db, settings):
    # given
    settings.API_REQUESTS_PER_MINUTE = 2
    key, secret = make_key()
    forged = f"rk_{key.prefix}_{'x' * 43}"
    # when
    refused = [ApiClient(forged).get("/api/v1/reasons").status_code for _ in range(3)]
    answers = [ApiClient(secret).get("/api/v1/reasons").status_code for _ in range(3)]
    # then: the forged calls did not eat the key's minute
    assert refused == [401, 401, 401]
    assert answers == [200, 200, 429]


def test_a_call_refused_for_a_missing_scope_is_not_counted(db, settings):
    # given
    settings.API_REQUESTS_PER_MINUTE = 2
    _key, secret = make_key(scopes=[RETURNS_READ])
    api = ApiClient(secret)
    # when: creating a return asks returns:write
    refused = [api.post("/api/v1/returns", {}).status_code for _ in range(3)]
    answers = [api.get("/api/v1/reasons").status_code for _ in range(3)]
    # then
    assert refused == [403, 403, 403]
    assert answers == [200, 200, 429]
    assert list(ThrottleCounter.objects.values_list("count", flat=True)) == [3]


def test_each_key_has_its_own_minute(db, settings):
    # given
    settings.API_REQUESTS_PER_MINUTE = 1
    first, second = ApiClient(make_key()[1]), ApiClient(make_key()[1])
    # when
    answers = [api.get("/api/v1/reasons").status_code for api in (first, second, first, second)]
    # then
    assert answers == [200, 200, 429, 429]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_in_autocommit_the_key_is_recognised_and_throttled_as_inside_a_transaction(settings):
    # given: no transaction around the requests (as served), the key's hit committed at once
    # without the flush wait (shop.throttle)
    settings.API_REQUESTS_PER_MINUTE = 2
    key, secret = make_key()
    forged = f"rk_{key.prefix}_{'x' * 43}"
    # when
    refused = [ApiClient(forged).get("/api/v1/reasons").status_code for _ in range(2)]
    answers = [ApiClient(secret).get("/api/v1/reasons").status_code for _ in range(3)]
    # then
    assert refused == [401, 401]
    assert answers == [200, 200, 429]
    assert list(ThrottleCounter.objects.values_list("count", flat=True)) == [3]
