"""What every API view shares: the key, its scopes, the throttle, problems for errors."""

from django.http import Http404
from django.utils.translation import gettext
from rest_framework import throttling
from rest_framework.views import APIView

from api.auth import ApiKeyAuthentication, HasScopes
from api.keys import request_throttle
from shop.limits import unsafe_text


class PerKeyThrottle(throttling.BaseThrottle):
    """Requests per API key and minute, counted in the database (shop.throttle) by the same
    statement that recognised the key (api.keys.key_for_secret): here only compared."""

    def allow_request(self, request, view):
        key = request.auth
        if key is None:
            return True
        return key.throttle_count <= request_throttle().limit

    def wait(self):
        return 60


class ApiView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScopes]
    throttle_classes = [PerKeyThrottle]
    scopes: dict[str, list[str]] = {}


def checked_number(value: str) -> str:
    """An order or RMA number from the path; one no row could hold is simply not found."""
    if len(value) > 40 or unsafe_text(value) is not None:
        raise Http404(gettext("Not found."))
    return value
