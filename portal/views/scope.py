"""Who may see what in the portal: the logged-in customer's orders, or the one order a guest
verified with the lookup (kept in the session for a day). Every order and return page reads in
this scope; anything else is a 404."""

import time
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.utils.translation import gettext

from portal.selectors.orders import PortalScope, customer_of, portal_order
from shop.models import Order

GUEST_ORDER_KEY = "portal_guest_order"
GUEST_ACCESS_SECONDS = 24 * 3600


def guest_order_id(request) -> int | None:
    """The order this browser's session verified with the guest lookup, while still valid."""
    access = request.session.get(GUEST_ORDER_KEY)
    if not access:
        return None
    if access.get("until", 0) < time.time():
        del request.session[GUEST_ORDER_KEY]
        return None
    return access["order"]


def portal_scope(request) -> PortalScope:
    customer = customer_of(request.user) if request.user.is_authenticated else None
    return PortalScope(
        customer_id=customer.pk if customer is not None else None,
        guest_order_id=guest_order_id(request),
    )


def portal_page(view):
    """Pages of one order or return: a visitor with neither account nor verified order is sent
    to log in (the login page links to the guest lookup); everyone else reads in their scope."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scope = portal_scope(request)
        if scope.is_empty and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.portal_scope = scope
        return view(request, *args, **kwargs)

    return wrapper


def order_or_404(request, number) -> Order:
    """The order `number` in this visitor's portal scope; anyone else's is a 404."""
    try:
        return portal_order(request.portal_scope, number)
    except Order.DoesNotExist:
        raise Http404(gettext("No such order.")) from None
