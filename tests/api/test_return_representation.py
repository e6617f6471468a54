"""The list and a return's answers are written flat (api.serializers.represent_returns), not by
ReturnSerializer per row: for varied returns (requested, approved, rejected with its reason,
received in part, refunded, an exchange with its replacement order, a fee, French names) they
are the JSON that ReturnSerializer and the quote's serializer gave before, to the character;
and the list's queries are as many at 5 rows as at 50."""

import json
from decimal import Decimal

import pytest
from django.utils import translation

from api.serializers import QuoteSerializer, ReturnSerializer
from api.views.returns import returns_of_any
from refunds.quotes import quote_for_return
from returns.models import Return
from returns.services import return_approve, return_receive
from tests.api.test_access_and_scopes import request_body
from tests.api.test_exchanges import exchange_body
from tests.factories import VariantFactory, bare_return
from tests.fixtures.api import ApiClient, make_key

pytestmark = pytest.mark.django_db


def _reference_list() -> list[dict]:
    """What the list answered before: ReturnSerializer over the prefetched returns."""
    returns = returns_of_any().order_by("-created_at", "-id")
    return json.loads(json.dumps(ReturnSerializer(returns, many=True).data))


def _reference_detail(ret: Return) -> dict:
    """What a return's page answered before (the view's former `_detail`)."""
    ret = returns_of_any().get(pk=ret.pk)
    data = {**ReturnSerializer(ret).data, "quote": QuoteSerializer(quote_for_return(ret)).data}
    return json.loads(json.dumps(data))


@pytest.fixture
def varied(order, staff, shop_settings):
    order.amount_paid = Decimal("136.00")
    order.save(update_fields=["amount_paid"])
    shop_settings.default_return_fee = Decimal("4.50")
    shop_settings.save()
    staff_api = ApiClient(make_key()[1])
    customer_api = ApiClient(make_key()[1], customer=order.customer.email)
    product = order.lines.order_by("id").first().variant.product
    VariantFactory(product=product, sku="A-L", option="L", price=Decimal("24.50"), stock_on_hand=2)

    def made(response) -> str:
        assert response.status_code == 201, response.content
        return response.json()["rma_number"]

    made(customer_api.post("/api/v1/returns", request_body(order, 1)))
    approved = made(staff_api.post("/api/v1/returns", request_body(order, 1, "changed-mind")))
    staff_api.post(f"/api/v1/returns/{approved}/approve")
    rejected = made(staff_api.post("/api/v1/returns", request_body(order, 1)))
    staff_api.post(f"/api/v1/returns/{rejected}/reject", {"reason": "Porté, taché « ici »"})
    received = Return.objects.get(rma_number=approved)
    line = received.lines.get()
    staff_api.post(
        f"/api/v1/returns/{approved}/receive", {"lines": [{"line_id": line.pk, "quantity": 1}]}
    )
    second = order.lines.order_by("id")[1]
    body = {
        "order": order.number,
        "refund_mode": "money_back",
        "lines": [{"order_line_id": second.pk, "quantity": 2, "reason": "wrong-size"}],
    }
    partial = made(staff_api.post("/api/v1/returns", body))
    staff_api.post(f"/api/v1/returns/{partial}/approve")
    line = Return.objects.get(rma_number=partial).lines.get()
    staff_api.post(
        f"/api/v1/returns/{partial}/receive", {"lines": [{"line_id": line.pk, "quantity": 1}]}
    )
    staff_api.post(f"/api/v1/returns/{partial}/mark-refunded", {"reference": "PSP-1"})
    exchange = made(customer_api.post("/api/v1/returns", exchange_body(order, "A-L")))
    ret = Return.objects.get(rma_number=exchange)
    return_approve(actor=staff, ret=ret)
    return_receive(actor=staff, ret=Return.objects.get(pk=ret.pk))
    assert Return.objects.get(pk=ret.pk).replacement_order is not None
    return staff_api


def test_the_list_answers_as_returnserializer_did(varied):
    # when
    answer = varied.get("/api/v1/returns", {"page_size": 100})
    # then
    assert answer.status_code == 200
    expected = _reference_list()
    assert len(expected) == 5
    assert json.loads(answer.content)["results"] == expected


def test_a_return_answers_as_before_with_its_quote(varied):
    for ret in Return.objects.order_by("id"):
        answer = varied.get(f"/api/v1/returns/{ret.rma_number}")
        assert answer.status_code == 200
        assert json.loads(answer.content) == _reference_detail(ret)


def test_a_return_answers_in_french_as_before(varied, order):
    french = ApiClient(make_key()[1], customer=order.customer.email, language="fr")
    ret = Return.objects.order_by("id").first()
    answer = french.get(f"/api/v1/returns/{ret.rma_number}")
    assert answer.status_code == 200
    with translation.override("fr"):
        assert json.loads(answer.content) == _reference_detail(ret)


def test_an_unknown_or_another_customers_return_is_a_404(varied, other_order):
    other = ApiClient(make_key()[1], customer=other_order.customer.email)
    ret = Return.objects.order_by("id").first()
    assert other.get(f"/api/v1/returns/{ret.rma_number}").status_code == 404
    assert varied.get("/api/v1/returns/R-NOPE").status_code == 404


def test_the_lists_queries_are_as_many_at_5_and_at_50_rows(db, django_assert_num_queries):
    # given: 50 returns of two lines each, as bare rows
    for _ in range(50):
        bare_return(items=(("Linen shirt", "L", 2), ("Wool socks", "M", 1)))
    api = ApiClient(make_key()[1])
    api.get("/api/v1/returns")  # the key's first use and throttle counter written
    # the key and its throttle (one statement), the returns with their lines (one)
    for rows in (5, 50):
        with django_assert_num_queries(2):
            answer = api.get("/api/v1/returns", {"page_size": rows})
        assert len(answer.json()["results"]) == rows


def test_a_returns_queries_are_fixed(varied, django_assert_num_queries):
    ret = Return.objects.order_by("id").last()
    # the key and its throttle (one statement), the return with its lines and its order's facts
    with django_assert_num_queries(2):
        assert varied.get(f"/api/v1/returns/{ret.rma_number}").status_code == 200
