"""What the API reads and writes. Input serializers only check shapes and limits (lengths,
ranges, choices); every rule is the services' and the policy's."""

import json
from datetime import UTC

from django.db import models
from django.db.models import Expression, TextField
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from refunds.models import Refund, RefundMode
from returns.models import Return, ReturnAction, ReturnLine, ReturnReason, ReturnStatus
from shop.limits import datetime_out_of_range
from shop.models import Order, OrderLine, Variant

MAX_QUANTITY = 100_000


@extend_schema_field(
    {"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$", "example": "19.90"}
)
class AmountField(serializers.DecimalField):
    """An amount sent as a string of at most 10 digits and 2 decimals, never negative."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, min_value=0, **kwargs)


class UtcDateTimeField(serializers.DateTimeField):
    """Answers in UTC: a local zone's offset of old dates (+00:09:21) is no RFC 3339 offset."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcDateTimeField,
    }


class StorableDateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if datetime_out_of_range(moment):
            raise serializers.ValidationError(gettext("This date is out of range."))
        return moment


# --- orders ------------------------------------------------------------------------------------


class OrderCustomerSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=["fr", "en"], required=False)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False)


class OrderLineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    product_name = serializers.CharField(max_length=200)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price_paid = AmountField()
    option = serializers.CharField(max_length=100, required=False, allow_blank=True)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)


class OrderUpsertSerializer(serializers.Serializer):
    placed_at = StorableDateTimeField()
    delivered_at = StorableDateTimeField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Order.Status.choices, required=False)
    currency = serializers.ChoiceField(choices=Order._meta.get_field("currency").choices)
    customer = OrderCustomerSerializer()
    shipping_country = serializers.RegexField(r"^[A-Za-z]{2}$")
    shipping_postcode = serializers.CharField(max_length=20, required=False, allow_blank=True)
    shipping_address = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    shipping_cost = AmountField(required=False)
    discount = AmountField(required=False)
    amount_paid = AmountField()
    outbound_tracking_number = serializers.CharField(
        max_length=64, required=False, allow_blank=True
    )
    lines = serializers.ListField(child=OrderLineInSerializer(), min_length=1, max_length=200)
    # A brand's code (shop.Brand); left out or blank: the order keeps its brand, or the default.
    brand = serializers.SlugField(max_length=40, required=False, allow_blank=True)


# Quantities as the API states them, the same on every database: a model serializer would take
# the column's range from the database in use (64-bit on SQLite, 32-bit on PostgreSQL), and the
# committed schema would then depend on where it was generated.
def _quantity_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY, **kwargs)


class OrderLineSerializer(ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    # In the request's language (Accept-Language), the other when the merchant left it blank.
    product_name = serializers.CharField(source="variant.product.name")
    product_name_fr = serializers.CharField(source="variant.product.name_fr")
    product_name_en = serializers.CharField(source="variant.product.name_en")
    option = serializers.CharField(source="variant.option")
    quantity = _quantity_field()

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "sku",
            "product_name",
            "product_name_fr",
            "product_name_en",
            "option",
            "quantity",
            "unit_price_paid",
        ]


class OrderSerializer(ModelSerializer):
    customer_email = serializers.EmailField(source="customer.email")
    brand = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    lines = OrderLineSerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "placed_at",
            "delivered_at",
            "currency",
            "customer_email",
            "shipping_country",
            "shipping_postcode",
            "shipping_cost",
            "discount",
            "amount_paid",
            "brand",
            "lines",
        ]


# --- eligibility -------------------------------------------------------------------------------


class RefusalSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ReasonSerializer(ModelSerializer):
    name = serializers.CharField()

    class Meta:
        model = ReturnReason
        fields = ["code", "name", "name_fr", "name_en", "needs_detail", "restock_by_default"]


class ActionSerializer(ModelSerializer):
    name = serializers.CharField()

    class Meta:
        model = ReturnAction
        fields = ["code", "name", "name_fr", "name_en"]


class ExchangeOptionSerializer(serializers.Serializer):
    """A size or colour the customer may get in exchange (returns.selectors.exchanges)."""

    sku = serializers.CharField()
    option = serializers.CharField()
    price = serializers.DecimalField(max_digits=14, decimal_places=2)
    stock = serializers.IntegerField(source="stock_on_hand")


class ReturnableLineSerializer(serializers.Serializer):
    order_line_id = serializers.IntegerField()
    sku = serializers.CharField()
    product_name = serializers.CharField()
    ordered = serializers.IntegerField()
    returnable = serializers.IntegerField()
    refusal = serializers.CharField(allow_blank=True)
    exchange_options = ExchangeOptionSerializer(many=True)


class ReturnabilitySerializer(serializers.Serializer):
    order = serializers.CharField()
    returnable = serializers.BooleanField()
    refusals = RefusalSerializer(many=True)
    closes_at = UtcDateTimeField(allow_null=True)
    lines = ReturnableLineSerializer(many=True)
    reasons = ReasonSerializer(many=True)
    refund_modes = serializers.ListField(child=serializers.CharField())
    delivery_options = serializers.ListField(child=serializers.CharField())


# --- returns -----------------------------------------------------------------------------------


class ReturnLineInSerializer(serializers.Serializer):
    order_line_id = serializers.IntegerField(min_value=1, max_value=2**62)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    reason = serializers.SlugField(max_length=50)
    reason_detail = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    exchange_sku = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=(
            "For an exchange: the SKU wanted for this line, another size or colour of its "
            "product (one of the line's `exchange_options`). Every line of an exchange names one."
        ),
    )


class ReturnRequestSerializer(serializers.Serializer):
    order = serializers.CharField(max_length=40)
    lines = serializers.ListField(child=ReturnLineInSerializer(), min_length=1, max_length=200)
    refund_mode = serializers.ChoiceField(choices=Return.RefundMode.choices)
    delivery_option = serializers.ChoiceField(
        choices=Return.DeliveryOption.choices, default=Return.DeliveryOption.LABEL
    )
    exchange_sku = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=(
            "Deprecated: the SKU wanted for every line that names none, as before exchanges "
            "were per line. Prefer `lines[].exchange_sku`."
        ),
    )


class ReturnCreateSerializer(ReturnRequestSerializer):
    customer_comment = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    notify_customer = serializers.BooleanField(required=False, allow_null=True, default=None)


class QuoteLineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    quantity = serializers.IntegerField(allow_null=True)
    unit_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    order_line_id = serializers.IntegerField(allow_null=True)


class QuoteSerializer(serializers.Serializer):
    currency = serializers.CharField()
    basis = serializers.CharField()
    lines = QuoteLineSerializer(many=True)
    items_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    shipping = serializers.DecimalField(max_digits=14, decimal_places=2)
    fee = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    exchange_cost = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount_due = serializers.DecimalField(max_digits=14, decimal_places=2)


class ReturnLineSerializer(ModelSerializer):
    order_line_id = serializers.IntegerField()
    quantity = _quantity_field()
    received_quantity = _quantity_field(allow_null=True, required=False)
    sku = serializers.CharField(source="order_line.variant.sku")
    reason = serializers.CharField(source="reason.code")
    exchange_sku = serializers.CharField(source="exchange_variant.sku", allow_null=True)

    class Meta:
        model = ReturnLine
        fields = [
            "id",
            "order_line_id",
            "sku",
            "quantity",
            "reason",
            "reason_detail",
            "received_quantity",
            "exchange_sku",
        ]


class ReturnSerializer(ModelSerializer):
    order = serializers.CharField(source="order.number")
    customer_email = serializers.EmailField(source="order.customer.email")
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    lines = ReturnLineSerializer(many=True)
    updated_at = UtcDateTimeField(source="status_changed_at")
    replacement_order = serializers.CharField(source="replacement_order.number", allow_null=True)

    class Meta:
        model = Return
        fields = [
            "rma_number",
            "order",
            "customer_email",
            "status",
            "channel",
            "refund_mode",
            "delivery_option",
            "return_fee",
            "rejection_reason",
            "created_at",
            "updated_at",
            "replacement_order",
            "lines",
        ]


class ReturnDetailSerializer(ReturnSerializer):
    quote = QuoteSerializer()

    class Meta(ReturnSerializer.Meta):
        fields = [*ReturnSerializer.Meta.fields, "quote"]


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReceivedLineSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1, max_value=2**62)
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)
    restock = serializers.BooleanField(required=False, allow_null=True, default=None)


class ReceiveSerializer(NoteSerializer):
    lines = serializers.ListField(child=ReceivedLineSerializer(), required=False, max_length=200)


class MarkRefundedSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=100)


class RefundSerializer(ModelSerializer):
    class Meta:
        model = Refund
        fields = [
            "id",
            "amount",
            "currency",
            "mode",
            "status",
            "is_partial",
            "reference",
            "created_at",
        ]


class ProviderRefundRequestSerializer(serializers.Serializer):
    """A refund through the order's payment provider: what is left of the quote, or `amount`
    (a partial refund, with its `reason`)."""

    amount = AmountField(
        required=False, help_text="Less than what is left: a partial refund (give the reason)."
    )
    reason = serializers.CharField(
        max_length=1000, required=False, default="", help_text="Why the refund is partial."
    )
    mode = serializers.ChoiceField(
        choices=RefundMode.choices,
        required=False,
        help_text="How it is paid; by default as the customer asked.",
    )


class ProviderRefundSerializer(RefundSerializer):
    """A refund with where it stands at its payment provider: pending until the provider
    confirms it (refunded) or refuses it (failed, with its words)."""

    class Meta(RefundSerializer.Meta):
        fields = [*RefundSerializer.Meta.fields, "provider", "provider_state", "provider_message"]


class ReturnListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReturnStatus.choices, required=False)
    order = serializers.CharField(max_length=40, required=False)
    customer = serializers.EmailField(max_length=254, required=False)
    updated_since = StorableDateTimeField(required=False)


class ReturnPageSerializer(serializers.Serializer):
    """A page of the list: `next` and `previous` are the URLs of the pages around it (cursor)."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReturnSerializer(many=True)


class StoreCreditCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    currency = serializers.CharField()
    balance = AmountField()
    expires_at = UtcDateTimeField(allow_null=True)
    expired = serializers.BooleanField()


class RedeemSerializer(serializers.Serializer):
    amount = AmountField()
    currency = serializers.CharField(min_length=3, max_length=3)
    reference = serializers.CharField(
        max_length=100, help_text="The storefront's order the credit pays for: one spend each."
    )


class RedemptionSerializer(serializers.Serializer):
    amount = AmountField()
    reference = serializers.CharField()
    created_at = UtcDateTimeField()
    credit = StoreCreditCodeSerializer()


# --- returns, read fast ------------------------------------------------------------------------
# The list and a return's answers are ReturnSerializer's shape (the schema's), written from one
# values() query (the returns' columns, their lines as a JSON column of it) in one pass: no
# serializer per row and per line. tests/api/test_return_representation.py holds them equal to
# ReturnSerializer's.

RETURN_COLUMNS = (
    "id",
    "rma_number",
    "order__number",
    "order__customer__email",
    "status",
    "channel",
    "refund_mode",
    "delivery_option",
    "return_fee",
    "rejection_reason",
    "created_at",
    "status_changed_at",
    "replacement_order__number",
)
# A line's values in its JSON array, in this order.
LINE_KEYS = (
    "id",
    "order_line_id",
    "sku",
    "quantity",
    "reason",
    "reason_detail",
    "received_quantity",
    "exchange_sku",
)
_MOMENT = UtcDateTimeField()
_MONEY = serializers.DecimalField(max_digits=12, decimal_places=2)


class ReturnLinesJson(Expression):
    """A return's lines as one JSON text, `[[LINE_KEYS' values], ...]` in no order (SQLite's
    json_group_array takes none), null or `[]` without lines: a column of the returns' own
    query, where a query more per page cost as much as the page's. Written as SQL once (the
    tables' names from the models): Django would compile the same subquery on every request."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):  # SQLite
        return _lines_sql(compiler, connection, "json_group_array(json_array({}))"), []

    def as_postgresql(self, compiler, connection, **extra_context):
        return _lines_sql(compiler, connection, "json_agg(json_build_array({}))::text"), []


def _lines_sql(compiler, connection, aggregate: str) -> str:
    name = connection.ops.quote_name

    def table(model) -> str:
        return name(model._meta.db_table)

    def column(alias: str, model, field: str) -> str:
        return f"{alias}.{name(model._meta.get_field(field).column)}"

    outer = compiler.quote_name_unless_alias(compiler.query.base_table)
    values = ", ".join(
        (
            column("l", ReturnLine, "id"),
            column("l", ReturnLine, "order_line"),
            column("v", Variant, "sku"),
            column("l", ReturnLine, "quantity"),
            column("r", ReturnReason, "code"),
            column("l", ReturnLine, "reason_detail"),
            column("l", ReturnLine, "received_quantity"),
            # A subquery, not a join: PostgreSQL planned the join as a hash join over the whole
            # variants table, scanned again for each return of the page; the list's query ran
            # in 1.9 ms against 1.3 with the subquery (EXPLAIN ANALYZE, median of 15, a million
            # returns).
            f"(SELECT {column('x', Variant, 'sku')} FROM {table(Variant)} x "
            f"WHERE x.{name(Variant._meta.pk.column)} = "
            f"{column('l', ReturnLine, 'exchange_variant')})",
        )
    )
    pk = name(Return._meta.pk.column)
    return (
        f"(SELECT {aggregate.format(values)} FROM {table(ReturnLine)} l "
        f"LEFT JOIN {table(OrderLine)} o ON o.{name(OrderLine._meta.pk.column)} = "
        f"{column('l', ReturnLine, 'order_line')} "
        f"LEFT JOIN {table(Variant)} v ON v.{name(Variant._meta.pk.column)} = "
        f"{column('o', OrderLine, 'variant')} "
        f"LEFT JOIN {table(ReturnReason)} r ON r.{name(ReturnReason._meta.pk.column)} = "
        f"{column('l', ReturnLine, 'reason')} "
        f"WHERE {column('l', ReturnLine, 'ret')} = {outer}.{pk})"
    )


def return_rows(returns) -> models.QuerySet:
    """`returns` as the rows represent_returns writes: one query, lines included."""
    return returns.values(*RETURN_COLUMNS, lines_json=ReturnLinesJson())


def represent_lines(text: str | None) -> list[dict]:
    """The lines of a ReturnLinesJson column, by id, as the API answers them."""
    lines = sorted(json.loads(text) if text else [], key=lambda line: line[0])
    return [dict(zip(LINE_KEYS, line, strict=True)) for line in lines]


def represent_returns(rows: list[dict]) -> list[dict]:
    """The returns of `rows` (return_rows' values), each with its lines, as the API answers
    them."""
    moment = _MOMENT.to_representation
    return [
        {
            "rma_number": row["rma_number"],
            "order": row["order__number"],
            "customer_email": row["order__customer__email"],
            "status": row["status"],
            "channel": row["channel"],
            "refund_mode": row["refund_mode"],
            "delivery_option": row["delivery_option"],
            "return_fee": _MONEY.to_representation(row["return_fee"]),
            "rejection_reason": row["rejection_reason"],
            "created_at": moment(row["created_at"]),
            "updated_at": moment(row["status_changed_at"]),
            "replacement_order": row["replacement_order__number"],
            "lines": represent_lines(row["lines_json"]),
        }
        for row in rows
    ]
