"""Returns: create (as the storefront's customer or as staff), preview the quote, read, list,
cancel, and the staff transitions. Each view parses, calls one service or selector, answers."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from api.auth import Acting, acting
from api.idempotency import idempotent
from api.problems import Problem
from api.scopes import REFUNDS_READ, RETURNS_PROCESS, RETURNS_READ, RETURNS_WRITE
from api.serializers import (
    MarkRefundedSerializer,
    NoteSerializer,
    ProviderRefundRequestSerializer,
    ProviderRefundSerializer,
    QuoteSerializer,
    ReceiveSerializer,
    RefundSerializer,
    RejectSerializer,
    ReturnCreateSerializer,
    ReturnDetailSerializer,
    ReturnLinesJson,
    ReturnListFilterSerializer,
    ReturnPageSerializer,
    ReturnRequestSerializer,
    represent_returns,
    return_rows,
)
from api.views.base import ApiView, checked_number
from refunds.previews import preview_request
from refunds.quotes import order_facts_of, quote_from_facts, with_order_facts
from refunds.services import refund_settle, refund_through_provider
from returns.models import Return, ReturnLine
from returns.selectors.labels import downloadable_label, label_filename
from returns.services import (
    return_approve,
    return_cancel,
    return_create,
    return_receive,
    return_reject,
    return_request,
)
from returns.services.creation import ReturnLineInput
from shop.compiled import CompiledRows, Parameter, db_value
from shop.http import pdf_download
from shop.models import Order, Variant
from shop.scope import OrderScope


def returns_of(who: Acting, returns=None):
    """The returns the caller may see: a storefront's customer's, or all for staff (of
    `returns`, by default with their order, customer and lines)."""
    returns = returns_of_any() if returns is None else returns
    return returns_in(who.scope(), returns)


def returns_in(scope: OrderScope | None, returns):
    """The returns of `returns` in `scope` (None: staff's, every return)."""
    # Staff see every return: no `order IN (every order)` for the database to check.
    return returns if scope is None else returns.filter(order__in=scope.orders().values("pk"))


def return_or_404(request, rma_number: str) -> Return:
    return get_object_or_404(returns_of(acting(request)), rma_number=checked_number(rma_number))


def _detail(ret: Return) -> dict:
    """The return as saved, with its quote (ReturnDetailSerializer's shape)."""
    return _detail_of(Return.objects.filter(pk=ret.pk))


def _detail_of(returns) -> dict:
    """The one return of `returns` read afresh, with its quote: the return with its order,
    its lines and its order's facts (refunds.quotes.with_order_facts) in one query; a 404 if
    none."""
    returns = returns.select_related("order__customer", "replacement_order")
    found = list(with_order_facts(returns).annotate(lines_json=ReturnLinesJson())[:1])
    if not found:
        raise Http404("No Return matches the given query.")
    ret = found[0]
    row = {
        "id": ret.id,
        "rma_number": ret.rma_number,
        "order__number": ret.order.number,
        "order__customer__email": ret.order.customer.email,
        "status": ret.status,
        "channel": ret.channel,
        "refund_mode": ret.refund_mode,
        "delivery_option": ret.delivery_option,
        "return_fee": ret.return_fee,
        "rejection_reason": ret.rejection_reason,
        "created_at": ret.created_at,
        "status_changed_at": ret.status_changed_at,
        "replacement_order__number": ret.replacement_order.number
        if ret.replacement_order
        else None,
        "lines_json": ret.lines_json,
    }
    quote = quote_from_facts(order_facts_of(ret), ret)
    return {**represent_returns([row])[0], "quote": QuoteSerializer(quote).data}


def returns_of_any():
    lines = ReturnLine.objects.select_related(
        "order_line__variant", "reason", "exchange_variant"
    ).order_by("id")
    return Return.objects.select_related("order__customer", "replacement_order").prefetch_related(
        Prefetch("lines", queryset=lines)
    )


def _line_inputs(data: dict) -> list[ReturnLineInput]:
    """The lines asked for, each with the item it wants in exchange (its `exchange_sku`, or
    the request's own for the lines naming none, as before exchanges were per line)."""
    skus = _exchange_variants(data)
    fallback = data.get("exchange_sku") or ""
    return [
        ReturnLineInput(
            order_line_id=line["order_line_id"],
            quantity=line["quantity"],
            reason_code=line["reason"],
            reason_detail=line.get("reason_detail", ""),
            exchange_variant=skus.get(line.get("exchange_sku") or fallback),
        )
        for line in data["lines"]
    ]


def _exchange_variants(data: dict) -> dict[str, Variant]:
    """The items wanted in exchange, by SKU; the services judge whether each may be (the
    policy's exchange_refusal). An unknown SKU is a 422."""
    wanted = {line.get("exchange_sku") or "" for line in data["lines"]}
    wanted.add(data.get("exchange_sku") or "")
    wanted.discard("")
    variants = Variant.objects.select_related("product").in_bulk(wanted, field_name="sku")
    unknown = sorted(wanted - set(variants))
    if unknown:
        raise Problem(
            422,
            "exchange_not_sold",
            gettext("Request refused"),
            gettext("No item has the SKU %(sku)s.") % {"sku": unknown[0]},
        )
    return variants


def _order_of(who: Acting, number: str):
    try:
        return who.orders().select_related("customer").get(number=number)
    except Exception:
        raise Http404(gettext("No such order.")) from None


class ReturnPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"


def _filtered(returns, wanted: dict):
    """The list's filters (ReturnListFilterSerializer's values) on `returns`."""
    if "status" in wanted:
        returns = returns.filter(status=wanted["status"])
    if "order" in wanted:
        returns = returns.filter(order__number=wanted["order"])
    if "customer" in wanted:
        returns = returns.filter(order__customer__email__iexact=wanted["customer"])
    if "updated_since" in wanted:
        returns = returns.filter(status_changed_at__gte=wanted["updated_since"])
    return returns


# The list's page query compiled to SQL once per process and shape (shop.compiled.CompiledRows):
# Django compiled its cursor's filter and the lines' JSON column on every request, which cost
# more than the database's answer. Its parameters are the scope's customer, the filters and the
# cursor's position, each written into the SQL's parameters as the ORM writes it.
_POSITION = f"{ReturnPagination.ordering[0].lstrip('-')}"
_LIST_PARAMETERS = {
    "customer_id": Parameter(-7_340_033, db_value(Order, "customer")),
    "status": Parameter("compiled:status", db_value(Return, "status")),
    "order": Parameter("compiled:order", db_value(Order, "number")),
    # iexact: no field step (the lookup prepares no value), then the database's own escaping.
    "customer": Parameter("compiled:customer", lambda value, c: c.ops.prep_for_iexact_query(value)),
    "updated_since": Parameter(
        datetime(1901, 1, 1, microsecond=1, tzinfo=UTC), db_value(Return, "status_changed_at")
    ),
    "position": Parameter(
        datetime(1901, 1, 1, microsecond=2, tzinfo=UTC), db_value(Return, _POSITION)
    ),
}


def _list_query(shape, stand_ins: dict):
    nobody, ordering, position_lookup = shape
    if nobody:
        scope: OrderScope | None = OrderScope()
    elif "customer_id" in stand_ins:
        scope = OrderScope(customer_id=stand_ins["customer_id"])
    else:
        scope = None
    returns = return_rows(_filtered(returns_in(scope, Return.objects.all()), stand_ins))
    returns = returns.order_by(*ordering)
    if position_lookup:
        returns = returns.filter(**{position_lookup: stand_ins["position"]})
    return returns


# Prepared: planning its joins and the lines' subquery cost PostgreSQL about what running it
# did (1.2 ms each, EXPLAIN ANALYZE at 1,000 returns), on every request.
_LIST = CompiledRows("api.returns_list", _list_query, _LIST_PARAMETERS, prepared=True)


@dataclass(frozen=True)
class _ListRows:
    """What ReturnPagination asks of the list's queryset (its ordering, its cursor's position,
    the page's slice), answered by the compiled query: DRF's cursor logic stays its own."""

    nobody: bool
    values: dict
    ordering: tuple = ()
    position_lookup: str = ""

    def order_by(self, *ordering: str) -> "_ListRows":
        return replace(self, ordering=ordering)

    def filter(self, **lookup) -> "_ListRows":
        ((name, position),) = lookup.items()
        if name not in (f"{_POSITION}__lt", f"{_POSITION}__gt"):
            raise ValueError(f"the list is filtered by its cursor's position only, not {name}")
        return replace(self, values={**self.values, "position": position}, position_lookup=name)

    def __getitem__(self, page: slice) -> list[dict]:
        shape = (self.nobody, self.ordering, self.position_lookup)
        return _LIST.rows(shape, self.values, page.start or 0, page.stop)


def _list_rows(scope: OrderScope | None, wanted: dict) -> _ListRows:
    values = dict(wanted)
    if scope is not None and not scope.is_empty:
        values["customer_id"] = scope.customer_id
    return _ListRows(nobody=scope is not None and scope.is_empty, values=values)


class ReturnsView(ApiView):
    scopes = {"GET": [RETURNS_READ], "POST": [RETURNS_WRITE]}

    @extend_schema(
        operation_id="returns_list",
        parameters=[
            ReturnListFilterSerializer,
            OpenApiParameter("cursor", str, description="The page: from `next` or `previous`."),
            OpenApiParameter("page_size", int, description="1 to 100 returns a page (25)."),
        ],
        responses=ReturnPageSerializer,
        summary="List returns, newest first (cursor pagination)",
    )
    def get(self, request):
        filters = ReturnListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = _list_rows(acting(request).scope(), filters.validated_data)
        paginator = ReturnPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(represent_returns(page))

    @extend_schema(
        operation_id="return_create",
        request=ReturnCreateSerializer,
        responses={201: ReturnDetailSerializer},
        summary="Create a return: as the customer (X-Customer-Email) or as staff",
    )
    @idempotent
    def post(self, request, idempotency_key):
        payload = ReturnCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        who = acting(request)
        order = _order_of(who, data["order"])
        common = {
            "order": order,
            "idempotency_key": idempotency_key,
            "lines": _line_inputs(data),
            "refund_mode": data["refund_mode"],
            "delivery_option": data["delivery_option"],
            "customer_comment": data.get("customer_comment", ""),
            "notify_customer": data.get("notify_customer"),
        }
        if who.for_customer:
            ret = return_request(**common, **who.service_kwargs())
        else:
            ret = return_create(**common, actor=who.user)
        return Response(_detail(ret), status=201)


class ReturnPreviewView(ApiView):
    scopes = {"POST": [RETURNS_READ]}

    @extend_schema(
        operation_id="return_preview",
        request=ReturnRequestSerializer,
        responses=QuoteSerializer,
        summary="The quote a return would get, without saving anything",
    )
    @idempotent
    def post(self, request, idempotency_key):
        payload = ReturnRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        who = acting(request)
        order = _order_of(who, data["order"])
        ids = set(order.lines.values_list("pk", flat=True))
        unknown = [
            line["order_line_id"] for line in data["lines"] if line["order_line_id"] not in ids
        ]
        if unknown:
            raise Problem(
                422,
                "refused",
                gettext("Request refused"),
                gettext("This item is not part of order %(number)s.") % {"number": order.number},
            )
        preview = preview_request(
            order=order,
            quantities={line["order_line_id"]: line["quantity"] for line in data["lines"]},
            reason_codes={line["order_line_id"]: line["reason"] for line in data["lines"]},
            refund_mode=data["refund_mode"],
            channel=Return.Channel.PORTAL if who.for_customer else Return.Channel.BACKOFFICE,
            delivery_option=data["delivery_option"],
            exchange_variants={
                line.order_line_id: line.exchange_variant
                for line in _line_inputs(data)
                if line.exchange_variant is not None
                and data["refund_mode"] == Return.RefundMode.EXCHANGE
            },
        )
        if preview.rules.blocked and who.for_customer:
            raise Problem(
                422,
                "blocked_by_rule",
                gettext("Request refused"),
                " ".join(preview.rules.blocked_messages()),
            )
        return Response(QuoteSerializer(preview.quote).data)


class ReturnDetailView(ApiView):
    scopes = {"GET": [RETURNS_READ]}

    @extend_schema(operation_id="return_retrieve", responses=ReturnDetailSerializer)
    def get(self, request, rma_number):
        returns = returns_of(acting(request), Return.objects.all())
        return Response(_detail_of(returns.filter(rma_number=checked_number(rma_number))))


class _TransitionView(ApiView):
    scopes = {"POST": [RETURNS_PROCESS]}
    serializer_class = NoteSerializer

    def act(self, request, ret: Return, data: dict, idempotency_key: str) -> None:
        raise NotImplementedError

    @idempotent
    def post(self, request, rma_number, idempotency_key):
        ret = return_or_404(request, rma_number)
        payload = self.serializer_class(data=request.data)
        payload.is_valid(raise_exception=True)
        self.act(request, ret, payload.validated_data, idempotency_key)
        return Response(_detail(ret))


def _transition_schema(operation_id: str, serializer, summary: str):
    return extend_schema(
        operation_id=operation_id,
        request=serializer,
        responses=ReturnDetailSerializer,
        summary=summary,
    )


class ReturnCancelView(_TransitionView):
    scopes = {"POST": [RETURNS_WRITE]}

    def act(self, request, ret, data, idempotency_key):
        return_cancel(ret=ret, note=data["note"], **acting(request).service_kwargs())

    @_transition_schema("return_cancel", NoteSerializer, "Cancel a return")
    def post(self, request, rma_number):
        return super().post(request, rma_number)


class ReturnApproveView(_TransitionView):
    def act(self, request, ret, data, idempotency_key):
        return_approve(actor=request.user, ret=ret, note=data["note"])

    @_transition_schema("return_approve", NoteSerializer, "Approve a requested return")
    def post(self, request, rma_number):
        return super().post(request, rma_number)


class ReturnRejectView(_TransitionView):
    serializer_class = RejectSerializer

    def act(self, request, ret, data, idempotency_key):
        return_reject(actor=request.user, ret=ret, reason=data["reason"])

    @_transition_schema("return_reject", RejectSerializer, "Reject a return, with the reason")
    def post(self, request, rma_number):
        return super().post(request, rma_number)


class ReturnReceiveView(_TransitionView):
    serializer_class = ReceiveSerializer

    def act(self, request, ret, data, idempotency_key):
        received = {
            line["line_id"]: (line["quantity"], line["restock"]) for line in data.get("lines", [])
        }
        return_receive(actor=request.user, ret=ret, received=received, note=data["note"])

    @_transition_schema("return_receive", ReceiveSerializer, "Record what came back, per line")
    def post(self, request, rma_number):
        return super().post(request, rma_number)


class ReturnMarkRefundedView(_TransitionView):
    serializer_class = MarkRefundedSerializer

    def act(self, request, ret, data, idempotency_key):
        refund_settle(
            actor=request.user,
            ret=ret,
            reference=data["reference"],
            idempotency_key=idempotency_key,
        )

    @_transition_schema(
        "return_mark_refunded", MarkRefundedSerializer, "Refund what is left and mark it refunded"
    )
    def post(self, request, rma_number):
        return super().post(request, rma_number)


# Refund through the order's payment provider, as staff's "Refund through ..." does
# (refunds.services.refund_through_provider): sent to the provider outside any transaction,
# refunded only once it confirms. The same Idempotency-Key again gets the first answer and
# makes one refund, sent once (the service's own key is the API key's and the client's).
class ReturnRefundView(ApiView):
    scopes = {"POST": [RETURNS_PROCESS]}

    @extend_schema(
        operation_id="return_refund",
        request=ProviderRefundRequestSerializer,
        responses={201: ProviderRefundSerializer},
        summary="Refund through the order's payment provider (pending until it confirms)",
    )
    @idempotent
    def post(self, request, rma_number, idempotency_key):
        ret = return_or_404(request, rma_number)
        payload = ProviderRefundRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        refund = refund_through_provider(
            actor=request.user,
            ret=ret,
            idempotency_key=idempotency_key,
            amount=data.get("amount"),
            mode=data.get("mode"),
            reason=data["reason"],
        )
        refund.refresh_from_db()
        return Response(ProviderRefundSerializer(refund).data, status=201)


class ReturnRefundsView(ApiView):
    scopes = {"GET": [REFUNDS_READ]}

    @extend_schema(operation_id="return_refunds", responses=RefundSerializer(many=True))
    def get(self, request, rma_number):
        ret = return_or_404(request, rma_number)
        return Response(RefundSerializer(ret.refunds.order_by("id"), many=True).data)


class ReturnLabelView(ApiView):
    scopes = {"GET": [RETURNS_READ]}

    @extend_schema(
        operation_id="return_label",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request, rma_number):
        label = downloadable_label(return_or_404(request, rma_number))
        if label is None:
            raise Http404(gettext("This return has no label to download."))
        return pdf_download(bytes(label.pdf), label_filename(label))
