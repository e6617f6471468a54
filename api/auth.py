"""Who calls: an API key (`Authorization: Bearer <key>`), its scopes, and for a storefront
acting for a customer, that customer (`X-Customer-Email`).

A call with X-Customer-Email reads and acts in that customer's scope exactly as the portal
does for them (shop.scope.OrderScope): another customer's order or return is a 404, and the
services see the customer acting (actor None with the order verified, as for a portal guest).
Without it, the key acts as staff: its service user holds its scopes' permissions
(api/scopes.py), which the services check as for a person.
"""

from dataclasses import dataclass

from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext
from rest_framework import authentication, exceptions, permissions

from api.keys import key_for_secret, request_throttle
from api.models import ApiKey
from api.problems import Problem
from shop.models import Customer, Order, User
from shop.scope import OrderScope

CUSTOMER_HEADER = "X-Customer-Email"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        kind, _, secret = header.partition(" ")
        if kind.lower() != "bearer" or not secret.strip():
            raise exceptions.AuthenticationFailed(gettext("Send the key as: Bearer <key>."))
        key = key_for_secret(secret.strip())  # and this request counted by its throttle
        if key is None:
            raise exceptions.AuthenticationFailed(gettext("This API key is unknown or revoked."))
        # The service user is read when a service needs it, not for every read.
        return SimpleLazyObject(lambda: key.service_user), key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


def api_key(request) -> ApiKey:
    return request.auth


class HasScopes(permissions.BasePermission):
    """The view's `scopes` (by HTTP method) must all be the key's; a missing one is a 403
    naming it."""

    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiKey):
            raise exceptions.NotAuthenticated(gettext("Send an API key: Bearer <key>."))
        needed = getattr(view, "scopes", {}).get(request.method, [])
        missing = [scope for scope in needed if not request.auth.has_scope(scope)]
        if missing:
            # Refused before the throttle, as when it counted after this check: not counted.
            request_throttle().undo(request.auth.prefix)
            raise Problem(
                403,
                "scope_missing",
                gettext("Not allowed"),
                gettext("This API key lacks the scope %(scope)s.") % {"scope": missing[0]},
            )
        return True


@dataclass(frozen=True)
class Acting:
    """Whom a call acts as: staff (the key's service user), or a storefront's customer."""

    user: User
    customer_email: str | None

    @property
    def for_customer(self) -> bool:
        return self.customer_email is not None

    def scope(self) -> OrderScope | None:
        """The customer's orders, or None for staff (every order)."""
        if self.customer_email is None:
            return None
        customer_id = (
            Customer.objects.filter(email__iexact=self.customer_email)
            .values_list("pk", flat=True)
            .first()
        )
        return OrderScope(customer_id=customer_id)

    def orders(self):
        scope = self.scope()
        return Order.objects.all() if scope is None else scope.orders()

    def service_kwargs(self) -> dict:
        """Who the services see: the customer as a verified guest, or the service user."""
        if self.for_customer:
            return {"actor": None, "guest_order_verified": True}
        return {"actor": self.user}


def acting(request) -> Acting:
    email = (request.headers.get(CUSTOMER_HEADER) or "").strip()
    return Acting(user=request.user, customer_email=email or None)
