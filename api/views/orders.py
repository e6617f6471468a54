"""Orders: the upsert by number (through the import, so its checks and the immutability of an
order with returns or refunds apply) and what of an order may be returned."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from api.auth import acting
from api.problems import Problem
from api.scopes import ORDERS_WRITE, RETURNS_READ
from api.serializers import OrderSerializer, OrderUpsertSerializer, ReturnabilitySerializer
from api.views.base import ApiView, checked_number
from returns import policy
from returns.models import Return, ReturnReason
from returns.rules import evaluate_rules
from returns.selectors import returnable_quantities
from returns.selectors.exchanges import exchange_offers
from shop.importing import ImportFileError, Row, import_rows
from shop.models import Order, ShopSettings


def _rows(number: str, data: dict) -> list[Row]:
    """The request as the import's rows (one per line, the order's fields on each)."""
    customer = data["customer"]
    order = {
        "order_number": number,
        "placed_at": data["placed_at"].isoformat(),
        "delivered_at": data["delivered_at"].isoformat() if data.get("delivered_at") else "",
        "status": data.get("status", ""),
        "currency": data["currency"],
        "email": customer["email"],
        "first_name": customer.get("first_name", ""),
        "last_name": customer.get("last_name", ""),
        "language": customer.get("language", ""),
        "customer_country": customer.get("country", ""),
        "shipping_country": data["shipping_country"],
        "shipping_postcode": data.get("shipping_postcode", ""),
        "shipping_address": data.get("shipping_address", ""),
        "shipping_cost": str(data.get("shipping_cost", "0")),
        "discount": str(data.get("discount", "0")),
        "amount_paid": str(data["amount_paid"]),
        "outbound_tracking_number": data.get("outbound_tracking_number", ""),
        "brand": data.get("brand", ""),
    }
    return [
        Row(
            where=f"lines[{index}]",
            values={
                **order,
                "sku": line["sku"],
                "product_name": line["product_name"],
                "quantity": str(line["quantity"]),
                "unit_price_paid": str(line["unit_price_paid"]),
                "option": line.get("option", ""),
                "category": line.get("category", ""),
            },
        )
        for index, line in enumerate(data["lines"])
    ]


def _order(number: str) -> Order:
    return (
        Order.objects.select_related("customer")
        .prefetch_related("lines__variant__product")
        .get(number=number)
    )


class OrderView(ApiView):
    scopes = {"PUT": [ORDERS_WRITE]}

    @extend_schema(
        operation_id="order_upsert",
        request=OrderUpsertSerializer,
        responses={200: OrderSerializer, 201: OrderSerializer},
        summary="Create or update an order by its number",
    )
    def put(self, request, number):
        number = checked_number(number)
        payload = OrderUpsertSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            result = import_rows(_rows(number, payload.validated_data))
        except ImportFileError as error:
            raise Problem(
                422,
                "order_refused",
                gettext("Request refused"),
                "; ".join(message for _where, message in error.errors),
                errors=[{"where": where, "message": message} for where, message in error.errors],
            ) from None
        status = 201 if result.counts["created"] else 200
        return Response(OrderSerializer(_order(number)).data, status=status)


class OrderReturnableView(ApiView):
    scopes = {"GET": [RETURNS_READ]}

    @extend_schema(
        operation_id="order_returnable",
        responses=ReturnabilitySerializer,
        summary="What of an order may be returned, how, and why not",
    )
    def get(self, request, number):
        who = acting(request)
        order = get_object_or_404(
            who.orders().select_related("customer"), number=checked_number(number)
        )
        shop = ShopSettings.load()
        # A storefront asks as the portal; staff as the back-office (no online switch).
        channel = Return.Channel.PORTAL if who.for_customer else Return.Channel.BACKOFFICE
        outcome = evaluate_rules(order, channel=channel, shop_settings=shop)
        blocked = outcome.blocked
        answer = policy.returnability(
            order,
            shop,
            channel=channel,
            remaining=returnable_quantities(order),
            blocked=lambda: blocked,
        )
        in_store_only = policy.in_store_only_whatever_chosen(outcome)
        lines = list(order.lines.select_related("variant__product").order_by("id"))
        offered = _exchange_options(lines, shop)
        data = {
            "order": order.number,
            "returnable": answer.returnable,
            "refusals": [{"code": r.code, "message": r.message} for r in answer.refusals],
            "closes_at": answer.closes_at,
            "lines": [
                {
                    "order_line_id": line.pk,
                    "sku": line.variant.sku,
                    "product_name": line.variant.product.name,
                    "ordered": line.quantity,
                    "returnable": 0 if line.pk in blocked else answer.remaining.get(line.pk, 0),
                    "refusal": blocked[line.pk].message if line.pk in blocked else "",
                    "exchange_options": offered.get(line.pk, []),
                }
                for line in lines
            ],
            "reasons": ReturnReason.objects.filter(active=True).order_by("position", "id"),
            "refund_modes": policy.offered_refund_modes(shop),
            "delivery_options": policy.offered_delivery_options(shop, in_store_only=in_store_only),
        }
        return Response(ReturnabilitySerializer(data).data)


def _exchange_options(lines, shop: ShopSettings) -> dict[int, list]:
    """By order line id, the sizes and colours offered in exchange for it (the portal's
    offer), when the shop offers exchanges. One query."""
    if Return.RefundMode.EXCHANGE not in policy.offered_refund_modes(shop):
        return {}
    return dict(exchange_offers(lines))
