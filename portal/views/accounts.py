"""The portal's accounts: the home page, log in in one's own language, sign up, confirm the
email address, choose the language."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext
from django.views import i18n
from django.views.decorators.http import require_POST

from notifications.account_emails import CONFIRM_MAX_AGE, CONFIRM_SALT
from notifications.accounts import queue_signup_confirmation, queue_signup_notice
from portal.forms.accounts import (
    OutboxPasswordResetForm,
    SignupForm,
    ThrottledAuthenticationForm,
)
from shop.memo import page_settings
from shop.models import User
from shop.services import account_confirm_email, account_signup, user_set_language
from shop.throttle import (
    THROTTLED_EMAILS,
    client_address,
    login_unlock,
    password_reset_attempt,
    signup_attempt,
)

# --- who may see what -------------------------------------------------------------------------


def remember_language(response, user: User):
    """Log in in the customer's own language: the language cookie LocaleMiddleware reads."""
    if user.language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


# --- pages ------------------------------------------------------------------------------------


def home(request):
    return render(request, "home.html", {"shop": page_settings()})


def set_language(request):
    """Django's language switch, which also remembers the choice on the customer's account."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and language != request.user.language
    ):
        user_set_language(user=request.user, language=language)
    return response


class PortalLoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True
    next_page = "orders"  # a URL name: LoginView resolves it

    def form_valid(self, form):
        return remember_language(super().form_valid(form), form.get_user())


def signup(request):
    """Sign up. The answer is the same whether the address has an account or not (an email
    was sent): a new account gets its confirmation, an existing one's owner a notice."""
    if request.user.is_authenticated:
        return redirect("orders")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if signup_attempt(email, client_address(request)) is None:
            form.add_error(None, THROTTLED_EMAILS)
        else:
            # The account and its email together: the email leaves after commit, through the
            # outbox and the worker (a provider that is down fails nothing here).
            with transaction.atomic():
                done = account_signup(
                    email=email,
                    password=form.cleaned_data["password1"],
                    full_name=form.cleaned_data["full_name"],
                    language=(get_language() or settings.LANGUAGE_CODE)[:2],
                )
                if done.new_account is not None:
                    queue_signup_confirmation(user=done.new_account)
                elif done.owner_to_tell is not None:
                    queue_signup_notice(email=done.owner_to_tell.email)
            messages.success(
                request,
                gettext(
                    "Thank you. We sent an email to %(email)s: follow it to finish, then log in. "
                    "It can take a few minutes; look in your spam folder too."
                )
                % {"email": email},
            )
            return redirect("login")
    return render(request, "registration/signup.html", {"form": form})


class PortalPasswordResetView(auth_views.PasswordResetView):
    """Django's reset (the same answer for any address), counted per address and per email;
    the email goes through the outbox (notifications.accounts)."""

    form_class = OutboxPasswordResetForm

    def form_valid(self, form):
        if password_reset_attempt(form.cleaned_data["email"], client_address(self.request)) is None:
            form.add_error(None, THROTTLED_EMAILS)
            return self.form_invalid(form)
        return super().form_valid(form)


class PortalPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choosing a new password through the emailed link also lifts the account's login pause:
    its owner proved they read the address."""

    def form_valid(self, form):
        response = super().form_valid(form)
        login_unlock(form.user.email)
        return response


def confirm_email(request, token):
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
        user = User.objects.get(pk=data["user"], email=data["email"], is_active=True)
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError):
        messages.error(
            request,
            gettext("This confirmation link is not valid any more. Log in to receive a new one."),
        )
        return redirect("orders" if request.user.is_authenticated else "login")
    if account_confirm_email(user=user) is None:
        messages.error(
            request,
            gettext(
                "The orders of this address are already linked to another account. Please "
                "contact us."
            ),
        )
    else:
        messages.success(request, gettext("Thank you, your email address is confirmed."))
    return redirect("orders" if request.user.is_authenticated else "login")


@require_POST
@login_required
def confirm_email_resend(request):
    queue_signup_confirmation(user=request.user)
    messages.success(
        request,
        gettext("We sent the confirmation email again to %(email)s.")
        % {"email": request.user.email},
    )
    return redirect("orders")
