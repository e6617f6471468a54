"""The reasons and actions a return may carry (data staff keep in the back-office)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from api.scopes import RETURNS_READ
from api.serializers import ActionSerializer, ReasonSerializer
from api.views.base import ApiView
from returns.models import ReturnAction, ReturnReason


class ReasonsView(ApiView):
    scopes = {"GET": [RETURNS_READ]}

    @extend_schema(operation_id="reasons_list", responses=ReasonSerializer(many=True))
    def get(self, request):
        reasons = ReturnReason.objects.filter(active=True).order_by("position", "id")
        return Response(ReasonSerializer(reasons, many=True).data)


class ActionsView(ApiView):
    scopes = {"GET": [RETURNS_READ]}

    @extend_schema(operation_id="actions_list", responses=ActionSerializer(many=True))
    def get(self, request):
        actions = ReturnAction.objects.filter(active=True).order_by("position", "id")
        return Response(ActionSerializer(actions, many=True).data)
