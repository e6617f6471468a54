"""The overview's page query compiled once per connection and ordering (shop.compiled.CompiledPage
in returns.selectors.backoffice.overview_rows): the rows it gives are the ORM's, for any page,
filter, search and sort, and never those of an earlier page."""

import pytest
from django.db import connections
from django.db.models import Q

from refunds.services import refund_create
from returns.models import Return, ReturnStatus
from returns.selectors import backoffice
from shop import compiled
from tests.factories import make_order
from tests.returns.admin.helpers import make_return

pytestmark = pytest.mark.django_db

COLUMNS = ("exchange_items_named", "live_label_id", "live_tracking_number", "has_cancelled_label")


def as_read(rows: list[Return]) -> list[tuple]:
    """What the overview shows of its rows: the return, its order and customer, its columns."""
    return [
        (
            ret.pk,
            ret.rma_number,
            ret.status,
            ret.created_at,
            ret.order.number,
            ret.order.customer.email if ret.order.customer else None,
            tuple(getattr(ret, name) for name in COLUMNS),
            tuple(getattr(ret, name) for name in ("due_paid", "repaid")),
            ret._state.adding,
        )
        for ret in rows
    ]


def by_the_orm(page) -> list[Return]:
    return list(backoffice._overview_query(page.values("pk")).order_by(*page.query.order_by))


@pytest.fixture
def returns(order, customer, manager):
    made = [make_return(order, 1)]
    other = make_order([(1, "10.00"), (2, "5.00")], customer=customer, email=customer.email)
    made.append(make_return(other, 1, 2, status=ReturnStatus.APPROVED))
    received = make_return(order, 0, 1, status=ReturnStatus.RECEIVED)
    refund_create(actor=manager, ret=received, idempotency_key="k-1")
    made.append(received)
    return made


@pytest.mark.parametrize(
    "pages",
    [
        lambda qs: qs.order_by("-created_at", "-id")[:2],
        lambda qs: qs.order_by("-created_at", "-id")[2:4],  # the last page
        lambda qs: qs.order_by("-created_at", "-id")[10:12],  # past the end: empty
        lambda qs: qs.order_by("rma_number", "-id")[:50],
        lambda qs: qs.filter(status=ReturnStatus.RECEIVED).order_by("status", "-id")[:50],
        # a search's page: distinct, its ordering's columns selected besides the id
        lambda qs: (
            qs.filter(Q(order__number__icontains="") | Q(lines__isnull=False))
            .distinct()
            .order_by("created_at", "id")[:50]
        ),
    ],
)
def test_a_page_read_compiled_is_the_page_the_orm_reads(returns, pages):
    # given
    page = pages(Return.objects.all())
    # when
    rows = backoffice.overview_rows(page)
    # then
    assert as_read(rows) == as_read(by_the_orm(page))
    assert all(ret.order.customer_id == ret.order.customer.pk for ret in rows)


def test_it_is_compiled_once_per_ordering_and_reads_the_rows_afresh(
    returns, manager, monkeypatch, django_assert_num_queries
):
    # given
    compiles = []
    compile_page = compiled.CompiledPage._compile

    def counted(self, order_by, using):
        compiles.append(tuple(order_by))
        return compile_page(self, order_by, using)

    monkeypatch.setattr(compiled.CompiledPage, "_compile", counted)
    connections["default"].__dict__.pop("_compiled_pages", None)  # this connection's compiled
    newest_first = Return.objects.order_by("-created_at", "-id")
    # when
    with django_assert_num_queries(1):
        first = backoffice.overview_rows(newest_first[:2])
    backoffice.overview_rows(newest_first[1:3])
    backoffice.overview_rows(Return.objects.order_by("rma_number", "-id")[:50])
    requested = returns[0]
    refund_create(actor=manager, ret=returns[1], idempotency_key="k-2")
    Return.objects.filter(pk=requested.pk).update(status=ReturnStatus.APPROVED)
    again = backoffice.overview_rows(newest_first[:50])
    # then
    assert compiles == [("-created_at", "-id"), ("rma_number", "-id")]
    assert [ret.pk for ret in first] == [ret.pk for ret in by_the_orm(newest_first[:2])]
    assert as_read(again) == as_read(by_the_orm(newest_first[:50]))
    assert {ret.pk: ret.status for ret in again}[requested.pk] == ReturnStatus.APPROVED
