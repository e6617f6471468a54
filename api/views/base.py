"""What every API view shares: the key, its scopes, the throttle, problems for errors."""

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import throttling
from rest_framework.views import APIView

from api.auth import ApiKeyAuthentication, HasScopes
from shop.limits import unsafe_text
from shop.throttle import Throttle


class PerKeyThrottle(throttling.BaseThrottle):
    """Requests per API key and minute, counted in the database (shop.throttle), one short
    transaction before the view runs."""

    def allow_request(self, request, view):
        key = request.auth
        if key is None:
            return True
        throttle = Throttle("api_key", settings.API_REQUESTS_PER_MINUTE, 60)
        return throttle.hit(str(key.pk)) <= throttle.limit

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
