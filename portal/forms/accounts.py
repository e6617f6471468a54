"""Forms of the portal's accounts (login, signup) and the guest lookup: what a person
typed, validated."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from notifications.accounts import queue_password_reset
from shop.models import User
from shop.throttle import THROTTLED_LOGIN, LoginThrottleMixin


class ThrottledAuthenticationForm(LoginThrottleMixin, AuthenticationForm):
    """The portal's login: Django's form, throttled, in the shop's words."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("This email address and password do not match. Please try again."),
        "throttled": THROTTLED_LOGIN,
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Email address")
        self.fields["username"].widget.attrs.update(autocomplete="email", inputmode="email")
        self.fields["password"].label = _("Password")


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's password reset form, whose email goes through the outbox and the worker: a
    provider that is down loses nothing and fails nothing here. The link is made when the email
    is sent (notifications/account_emails.py), so it is stored nowhere."""

    def save(self, *args, **kwargs) -> None:
        # Django's own choice of accounts: active, with a usable password, this address.
        for user in self.get_users(self.cleaned_data["email"]):
            queue_password_reset(user=user)


class SignupForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,  # User.email's column
        help_text=_("Use the address of your orders to see them here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        max_length=4096,  # no password anyone types is longer; hashing it costs
        label=_("Password"),
        strip=False,
        help_text=_("At least 8 characters, not only digits, not too common."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        max_length=4096,
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self):
        # Whether an account uses the address is not said here: signing up answers the same.
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            candidate = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class GuestLookupForm(forms.Form):
    order_number = forms.CharField(
        label=_("Order number"),
        max_length=40,
        help_text=_("As written in your order confirmation email."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    email_or_postcode = forms.CharField(
        label=_("Email address or postcode"),
        max_length=254,
        help_text=_("The email address of the order, or its delivery postcode."),
    )
