"""The list's page query is compiled once per connection and shape (api.views.returns._LIST,
shop.compiled.CompiledRows): for every shape (staff or a customer's scope or nobody's, each
filter, the cursor's position either way, offsets) its rows are those of the ORM's queryset,
in the same order with the same values; and a second request of a shape compiles nothing."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from api.serializers import return_rows
from api.views import returns as views
from returns.models import Return
from shop.compiled import CompiledRows, Parameter
from shop.models import Order
from shop.scope import OrderScope
from tests.factories import bare_return
from tests.fixtures.api import ApiClient, make_key

pytestmark = pytest.mark.django_db

ORDERING = ("-created_at", "-id")
REVERSED = ("created_at", "id")


@pytest.fixture
def returns():
    """Eight returns: two customers (one with `_` in the address), two at the same instant,
    statuses and status changes apart."""
    now = timezone.now()
    made = [bare_return() for _ in range(8)]
    for first, others, email in ((0, (1, 2), "a_b@example.com"), (3, (4, 5), "axb@example.com")):
        customer = made[first].order.customer
        customer.email = email
        customer.save(update_fields=["email"])
        for n in others:
            Order.objects.filter(pk=made[n].order_id).update(customer=customer)
    for n, ret in enumerate(made):
        Return.objects.filter(pk=ret.pk).update(
            created_at=now - timedelta(hours=n if n != 5 else 4),  # 4 and 5 tie
            status_changed_at=now - timedelta(minutes=10 * n),
            status="approved" if n % 3 == 0 else "requested",
        )
    return Return.objects.order_by("id")


def _reference(scope, wanted: dict, ordering, position_lookup, position, low, high) -> list:
    """The rows as the view read them before: the ORM's queryset, compiled each time."""
    returns = Return.objects.all()
    if scope is not None:
        returns = returns.filter(order__in=scope.orders().values("pk"))
    returns = return_rows(views._filtered(returns, wanted)).order_by(*ordering)
    if position_lookup:
        returns = returns.filter(**{position_lookup: position})
    return list(returns[low:high])


def _compiled(scope, wanted: dict, ordering, position_lookup, position, low, high) -> list:
    rows = views._list_rows(scope, wanted).order_by(*ordering)
    if position_lookup:
        rows = rows.filter(**{position_lookup: position})
    return rows[low:high]


def test_every_shape_reads_the_rows_the_orm_read(returns):
    # given
    first = returns[0]
    customer_id = first.order.customer_id
    middle = str(Return.objects.order_by("-created_at")[4].created_at)  # the tie's instant
    since = timezone.now() - timedelta(minutes=35)
    scopes = [None, OrderScope(customer_id=customer_id), OrderScope(), OrderScope(customer_id=0)]
    filters = [
        {},
        {"status": "approved"},
        {"order": first.order.number},
        {"customer": "A_B@EXAMPLE.COM"},  # `_` is no wildcard: axb@ is another customer
        {"updated_since": since},
        {"status": "requested", "updated_since": since, "customer": "axb@example.com"},
    ]
    cursors = [("", None), ("created_at__lt", middle), ("created_at__gt", middle)]
    slices = [(0, 3), (0, 26), (2, 5), (1, None)]
    checked = 0
    for scope in scopes:
        for wanted in filters:
            for ordering in (ORDERING, REVERSED):
                for lookup, position in cursors:
                    for low, high in slices:
                        arguments = (scope, wanted, ordering, lookup, position, low, high)
                        # when / then
                        assert _compiled(*arguments) == _reference(*arguments), arguments
                        checked += 1
    assert checked == 4 * 6 * 2 * 3 * 4
    # and the rows are whole: the JSON column of lines, money, dates
    row = _compiled(None, {}, ORDERING, "", None, 0, 1)[0]
    assert row["lines_json"]
    assert row["return_fee"] is not None
    assert row["created_at"].tzinfo is not None


def test_a_shape_is_compiled_once_then_only_bound(returns, django_assert_num_queries):
    # given: a shape read once
    wanted = {"status": "approved"}
    _compiled(None, wanted, ORDERING, "", None, 0, 3)
    # when: the same shape with other values
    wrapped = mock.patch.object(views._LIST, "build", wraps=views._LIST.build)
    with wrapped as build, django_assert_num_queries(1):
        rows = _compiled(None, {"status": "requested"}, ORDERING, "", None, 1, 4)
    # then
    assert build.call_count == 0
    assert rows == _reference(None, {"status": "requested"}, ORDERING, "", None, 1, 4)


def test_nobodys_scope_reads_nothing_and_asks_the_database_nothing(
    returns, django_assert_num_queries
):
    # when
    with django_assert_num_queries(0):
        rows = _compiled(OrderScope(), {}, ORDERING, "", None, 0, 26)
    # then
    assert rows == []


def test_the_list_for_an_unknown_customer_is_empty(returns):
    # given
    api = ApiClient(make_key()[1], customer="nobody@example.com")
    # when
    answer = api.get("/api/v1/returns")
    # then
    assert answer.status_code == 200
    assert answer.json() == {"next": None, "previous": None, "results": []}


def test_a_query_that_drops_a_parameter_is_refused(returns):
    # given: a build that ignores its status
    def build(shape, stand_ins) -> QuerySet:
        return Return.objects.values("id")

    compiled = CompiledRows(
        "test.dropped", build, {"status": Parameter("x:status", lambda value, connection: value)}
    )
    # when / then
    with pytest.raises(ValueError, match="does not take"):
        compiled.rows(None, {"status": "requested"})


@pytest.mark.postgres
def test_on_postgresql_the_list_is_a_prepared_statement_and_still_counted(
    returns, django_assert_num_queries
):
    # given: the shape read once (prepared then), its slice one no other test reads
    from django.db import connection

    _compiled(None, {"status": "approved"}, ORDERING, "", None, 0, 7)
    # when: read again with another value, and the ORM's own query beside it
    with django_assert_num_queries(2):  # Django's wrapper sees the prepared one too
        rows = _compiled(None, {"status": "requested"}, ORDERING, "", None, 0, 7)
        plain = list(Return.objects.values_list("id", flat=True))
    # then: one statement prepared, run twice with its plan kept; the ORM's not prepared
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        prepared = cursor.fetchall()
    ours = [(statement, runs) for statement, runs in prepared if statement.endswith("LIMIT 7")]
    assert len(ours) == 1
    statement, runs = ours[0]
    assert '"returns_return"."status" = $1' in statement
    assert runs == 2
    assert not [statement for statement, _runs in prepared if "$" not in statement]
    assert rows == _reference(None, {"status": "requested"}, ORDERING, "", None, 0, 7)
    assert [row["status"] for row in rows] == ["requested"] * 5
    assert len(plain) == 8
