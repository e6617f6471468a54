"""My orders, an order's page with its Returns section, and the guest lookup."""

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from portal.forms.accounts import GuestLookupForm
from portal.rows import line_rows, order_rows, return_rows
from portal.selectors.orders import CustomerOrders, customer_of, order_for_guest
from portal.selectors.returns import order_returns, return_eligibility
from portal.views.scope import GUEST_ACCESS_SECONDS, GUEST_ORDER_KEY, order_or_404, portal_page
from returns.rules import page_rules
from returns.selectors import returnable_lines
from shop.memo import page_settings
from shop.models import Order
from shop.sessions import flush_alone
from shop.throttle import THROTTLED_LOOKUP, client_address, lookup_attempt

ORDERS_PER_PAGE = 25


@login_required
def orders(request):
    customer = customer_of(request.user)
    page = None
    if customer is not None:
        page = Paginator(CustomerOrders(customer.pk), ORDERS_PER_PAGE).get_page(
            request.GET.get("page")
        )
    orders = page.object_list if page else []
    return render(
        request,
        "portal/orders.html",
        {"customer": customer, "page": page, "orders": orders, "order_rows": order_rows(orders)},
    )


@portal_page
def order_detail(request, number):
    order = order_or_404(request, number)
    shop_settings = page_settings()
    # The lines with what live returns hold of each, in one query; the domain's readers take
    # them rather than read them again, and the rules from the process's memo: the page only
    # shows them, return_request decides afresh.
    returnable = returnable_lines(order)
    lines = returnable.lines
    eligibility = return_eligibility(
        order, shop_settings, order_lines=lines, rules=page_rules(), remaining=returnable.remaining
    )
    for line in lines:
        line.returned = line.quantity - eligibility.remaining.get(line.pk, line.quantity)
    returns = order_returns(order)
    return render(
        request,
        "portal/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "line_rows": line_rows(lines, order.currency),
            "returns": returns,
            "return_rows": return_rows(returns),
            "eligibility": eligibility,
            "shop": shop_settings,
            "is_guest": not request.portal_scope.is_customers_own(order),
        },
    )


def guest_lookup(request):
    form = GuestLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["order_number"].strip().upper()
        attempt = lookup_attempt(number, client_address(request))
        if attempt is None:
            form.add_error(None, THROTTLED_LOOKUP)
        else:
            order = order_for_guest(number, form.cleaned_data["email_or_postcode"])
            if order is not None:
                attempt.undo()  # only misses count
                return _open_for_guest(request, order)
            form.add_error(
                None,
                gettext(
                    "We could not find an order with these details. Check the order number and "
                    "the email address or postcode, as written in your confirmation email."
                ),
            )
    return render(request, "portal/lookup.html", {"form": form})


def _open_for_guest(request, order: Order):
    """The order opened for this browser, under a new session key: a session id planted in the
    browser before must not gain the access. What the session held is kept (a language, a
    login)."""
    session = request.session
    kept = dict(session.items())
    # The old row deleted now (none for a browser without one), the new key's row written once
    # by the session middleware, the access in it: cycle_key() would write it twice. A crash
    # forgetting the deletion (flush_alone) leaves the old row without the access.
    flush_alone(session)
    access = {"order": order.pk, "until": time.time() + GUEST_ACCESS_SECONDS}
    session.update({**kept, GUEST_ORDER_KEY: access})
    return redirect("order_detail", number=order.number)


@require_POST
def guest_forget(request):
    request.session.pop(GUEST_ORDER_KEY, None)
    messages.success(request, gettext("Done. The order is closed on this device."))
    return redirect("home")
