"""What the OpenAPI schema says of every operation besides its own body: the Bearer key, the
optional X-Customer-Email, the Idempotency-Key of every POST, and the problem answers."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from api.auth import CUSTOMER_HEADER
from api.idempotency import HEADER, MAX_LENGTH
from api.problems import PROBLEM_CONTENT_TYPE


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key: rk_..."}


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(allow_blank=True)
    code = serializers.CharField()
    errors = serializers.JSONField(required=False)


PROBLEM_STATUSES = {
    "GET": (400, 401, 403, 404, 406, 429),
    "PUT": (400, 401, 403, 404, 406, 415, 422, 429),
    "POST": (400, 401, 403, 404, 406, 409, 415, 422, 429),
}


class ApiAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = (
            []
            if self.method == "PUT"
            else [
                OpenApiParameter(
                    CUSTOMER_HEADER,
                    OpenApiTypes.EMAIL,
                    OpenApiParameter.HEADER,
                    description="Act for this customer (a storefront): only their orders are seen.",
                )
            ]
        )
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    HEADER,
                    {"type": "string", "minLength": 1, "maxLength": MAX_LENGTH},
                    OpenApiParameter.HEADER,
                    required=True,
                    description="Unique per request; a retry with it gets the first answer.",
                )
            )
        return [*parameters, *super().get_override_parameters()]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in PROBLEM_STATUSES.get(self.method, ()):
            responses.setdefault(
                str(status),
                self._get_response_for_code(
                    ProblemSerializer, str(status), [PROBLEM_CONTENT_TYPE], direction
                ),
            )
        return responses
