"""The customer portal's pages of the shop app: accounts, My orders, an order, the guest lookup.

Every page reads through a PortalScope (shop/selectors.py): the logged-in customer's orders,
plus the one order a guest proved they know. Anyone else's order is a 404.
"""

import time
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.translation import get_language, gettext
from django.views import i18n
from django.views.decorators.http import require_POST

from returns.portal_selectors import order_returns, return_eligibility

from shop.forms import GuestLookupForm, SignupForm, ThrottledAuthenticationForm
from shop.models import Order, ShopSettings, User
from shop.selectors import PortalScope, customer_orders, order_for_guest, order_lines, portal_order
from shop.services import account_confirm_email, account_signup, user_set_language
from shop.throttle import LOOKUP_PER_ADDRESS, LOOKUP_PER_ORDER, client_address

GUEST_ORDER_KEY = "portal_guest_order"
GUEST_ACCESS_SECONDS = 24 * 3600
CONFIRM_SALT = "shop.confirm-email"
CONFIRM_MAX_AGE = 3 * 24 * 3600
ORDERS_PER_PAGE = 25


# --- who may see what -------------------------------------------------------------------------

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
    customer = getattr(request.user, "customer", None) if request.user.is_authenticated else None
    return PortalScope(customer_id=customer.pk if customer is not None else None,
                       guest_order_id=guest_order_id(request))


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


def remember_language(response, user: User):
    """Log in in the customer's own language: the language cookie LocaleMiddleware reads."""
    if user.language in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language,
                            max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
                            path=settings.LANGUAGE_COOKIE_PATH,
                            domain=settings.LANGUAGE_COOKIE_DOMAIN,
                            secure=settings.LANGUAGE_COOKIE_SECURE,
                            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    return response


# --- pages ------------------------------------------------------------------------------------

def home(request):
    return render(request, "home.html", {"shop": ShopSettings.load()})


def set_language(request):
    """Django's language switch, which also remembers the choice on the customer's account."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if (request.method == "POST" and request.user.is_authenticated
            and language in dict(settings.LANGUAGES) and language != request.user.language):
        user_set_language(user=request.user, language=language)
    return response


class PortalLoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("orders")

    def form_valid(self, form):
        return remember_language(super().form_valid(form), form.get_user())


def signup(request):
    if request.user.is_authenticated:
        return redirect("orders")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = account_signup(email=form.cleaned_data["email"],
                              password=form.cleaned_data["password1"],
                              full_name=form.cleaned_data["full_name"],
                              language=(get_language() or settings.LANGUAGE_CODE)[:2])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        send_confirmation(request, user)
        messages.success(request, gettext(
            "Welcome! We sent you an email: open its link to confirm your address and see "
            "your orders here."))
        return remember_language(redirect("orders"), user)
    return render(request, "registration/signup.html", {"form": form})


def send_confirmation(request, user: User) -> None:
    token = signing.dumps({"user": user.pk, "email": user.email}, salt=CONFIRM_SALT)
    link = request.build_absolute_uri(reverse("confirm_email", args=[token]))
    context = {"link": link, "shop": ShopSettings.load(), "user": user}
    send_mail(subject=render_to_string("registration/confirm_email_subject.txt", context).strip(),
              message=render_to_string("registration/confirm_email.txt", context),
              from_email=None, recipient_list=[user.email])


def confirm_email(request, token):
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
        user = User.objects.get(pk=data["user"], email=data["email"], is_active=True)
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError):
        messages.error(request, gettext(
            "This confirmation link is not valid any more. Log in to receive a new one."))
        return redirect("orders" if request.user.is_authenticated else "login")
    if account_confirm_email(user=user) is None:
        messages.error(request, gettext(
            "The orders of this address are already linked to another account. Please "
            "contact us."))
    else:
        messages.success(request, gettext("Thank you, your email address is confirmed."))
    return redirect("orders" if request.user.is_authenticated else "login")


@require_POST
@login_required
def confirm_email_resend(request):
    send_confirmation(request, request.user)
    messages.success(request, gettext("We sent the confirmation email again to %(email)s.")
                     % {"email": request.user.email})
    return redirect("orders")


@login_required
def orders(request):
    customer = getattr(request.user, "customer", None)
    page = None
    if customer is not None:
        page = Paginator(customer_orders(customer.pk), ORDERS_PER_PAGE).get_page(
            request.GET.get("page"))
    return render(request, "portal/orders.html", {
        "customer": customer, "page": page, "orders": page.object_list if page else []})


def order_or_404(request, number) -> Order:
    """The order `number` in this visitor's portal scope; anyone else's is a 404."""
    try:
        return portal_order(request.portal_scope, number)
    except Order.DoesNotExist:
        raise Http404(gettext("No such order.")) from None


@portal_page
def order_detail(request, number):
    order = order_or_404(request, number)
    shop_settings = ShopSettings.load()
    eligibility = return_eligibility(order, shop_settings)
    lines = order_lines(order)
    for line in lines:
        line.returned = line.quantity - eligibility.returnable.get(line.pk, line.quantity)
    return render(request, "portal/order_detail.html", {
        "order": order, "lines": lines, "returns": list(order_returns(order)),
        "eligibility": eligibility, "shop": shop_settings,
        "is_guest": not request.portal_scope.is_customers_own(order)})


def guest_lookup(request):
    form = GuestLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        number = form.cleaned_data["order_number"].strip().upper()
        if LOOKUP_PER_ADDRESS.blocked(address) or LOOKUP_PER_ORDER.blocked(number):
            form.add_error(None, gettext(
                "Too many attempts. For your security, please wait 15 minutes and try again."))
        else:
            order = order_for_guest(number, form.cleaned_data["email_or_postcode"])
            if order is not None:
                return _open_for_guest(request, order)
            LOOKUP_PER_ADDRESS.fail(address)
            LOOKUP_PER_ORDER.fail(number)
            form.add_error(None, gettext(
                "We could not find an order with these details. Check the order number and "
                "the email address or postcode, as written in your confirmation email."))
    return render(request, "portal/lookup.html", {"form": form})


def _open_for_guest(request, order: Order):
    # A new session key: a session id planted in the browser before must not gain the access.
    request.session.cycle_key()
    request.session[GUEST_ORDER_KEY] = {"order": order.pk,
                                        "until": time.time() + GUEST_ACCESS_SECONDS}
    return redirect("order_detail", number=order.number)


@require_POST
def guest_forget(request):
    request.session.pop(GUEST_ORDER_KEY, None)
    messages.success(request, gettext("Done. The order is closed on this device."))
    return redirect("home")
