"""Store credit codes for storefronts: check a code's balance, and spend part of it for an order
(refunds.credit holds every rule; this only reads the request and shapes the answer)."""

from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from api.idempotency import idempotent
from api.scopes import STORE_CREDIT_REDEEM
from api.serializers import RedeemSerializer, RedemptionSerializer, StoreCreditCodeSerializer
from api.views.base import ApiView
from refunds import credit
from refunds.models import StoreCreditCode


def _code_or_404(typed: str) -> StoreCreditCode:
    # An unknown code and a malformed one answer alike: nothing to learn by probing.
    found = credit.code_by_typed(typed) if len(typed) <= 40 else None
    if found is None:
        raise Http404(gettext("There is no such store credit code."))
    return found


def _shown(code: StoreCreditCode) -> dict:
    return {
        "code": code.code,
        "currency": code.currency,
        "balance": code.balance,
        "expires_at": code.expires_at,
        "expired": code.is_expired(),
    }


class StoreCreditCodeView(ApiView):
    scopes = {"GET": [STORE_CREDIT_REDEEM]}

    @extend_schema(
        operation_id="store_credit_retrieve",
        responses=StoreCreditCodeSerializer,
        summary="A store credit code's balance and expiry (any case, dashes optional)",
    )
    def get(self, request, code):
        return Response(StoreCreditCodeSerializer(_shown(_code_or_404(code))).data)


class StoreCreditRedeemView(ApiView):
    scopes = {"POST": [STORE_CREDIT_REDEEM]}

    @extend_schema(
        operation_id="store_credit_redeem",
        request=RedeemSerializer,
        responses={201: RedemptionSerializer},
        summary="Spend part of a code for an order; the same reference again spends nothing more",
    )
    @idempotent
    def post(self, request, code, idempotency_key):
        found = _code_or_404(code)
        payload = RedeemSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        done = credit.credit_code_redeem(
            actor=request.user,
            code=found.code,
            amount=data["amount"],
            currency=data["currency"],
            reference=data["reference"],
        )
        answer = {
            "amount": -done.movement.amount,
            "reference": done.movement.reference,
            "created_at": done.movement.created_at,
            "credit": _shown(done.code),
        }
        return Response(RedemptionSerializer(answer).data, status=201)
