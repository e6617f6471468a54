"""What an account email says (sign-up confirmation, password reset, a sign-up attempt with an
address that has an account): its template context, built by the worker when it sends it.

Nothing secret is stored in the outbox. The row holds the user, the event and the address; the
confirmation and reset links are made here, at send time, from the user as they are then (a
reset token is Django's: it stops working once the password changes or a login happens, and
after PASSWORD_RESET_TIMEOUT). So the link exists only in the email itself, not in the database,
the back-office (whose staff can read every outbox row), the broker or the logs. The cost: a
resend carries a new link (the old one stays valid until it expires), and an email that could
not be sent for longer than the link's lifetime is not sent at all (the person asks again).
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from notifications.events import NotificationEvent
from notifications.models import WebhookEndpoint
from shop.brands import sender_of
from shop.links import password_reset_link
from shop.models import ShopSettings, User

# The confirmation link (portal/views/accounts.py confirm_email reads it back).
CONFIRM_SALT = "shop.confirm-email"
CONFIRM_MAX_AGE = 3 * 24 * 3600


class AccountEmailNotSendable(Exception):
    """The account email must not be sent any more (the message says why); not retried."""


def confirmation_token(user: User) -> str:
    return signing.dumps({"user": user.pk, "email": user.email}, salt=CONFIRM_SALT)


def _site_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _refusal(notification) -> str | None:
    user = notification.user
    if not user.is_active:
        return "the account is no longer active"
    if user.email.casefold() != notification.recipient.casefold():
        # The link would go to an address the account no longer has.
        return "the account's email address changed since the email was queued"
    if notification.event == NotificationEvent.PASSWORD_RESET:
        if not user.has_usable_password():
            return "the account has no password to reset"
        asked = timezone.now() - notification.created_at
        if asked > timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT):
            return "the reset was asked longer ago than a reset link lasts; the person asks again"
    return None


def account_context(notification) -> dict:
    """The variables of the account email templates, for the notification's user, now.

    Raises AccountEmailNotSendable when the email must not go (see `_refusal`)."""
    refusal = _refusal(notification)
    if refusal is not None:
        raise AccountEmailNotSendable(refusal)
    user = notification.user
    shop_name = ShopSettings.load().shop_name
    context = {
        "shop_name": shop_name,
        "from_email": sender_of(None, settings.DEFAULT_FROM_EMAIL, shop_name),
        "customer_first_name": user.full_name.strip().partition(" ")[0],
        "email": user.email,
        "login_url": _site_url(reverse("login")),
        "password_reset_url": _site_url(reverse("password_reset")),
        "policy_url": _site_url(reverse("return_policy")),
    }
    if notification.event == NotificationEvent.ACCOUNT_CONFIRM:
        context["link"] = _site_url(reverse("confirm_email", args=[confirmation_token(user)]))
        context["valid_days"] = CONFIRM_MAX_AGE // (24 * 3600)
    elif notification.event == NotificationEvent.PASSWORD_RESET:
        context["link"] = password_reset_link(user)
        context["valid_hours"] = settings.PASSWORD_RESET_TIMEOUT // 3600
    elif notification.event == NotificationEvent.WEBHOOK_DISABLED:
        # The endpoints disabled when the email leaves (one enabled again meanwhile is not named).
        context["endpoints"] = [
            endpoint.url
            for endpoint in WebhookEndpoint.objects.filter(active=False, disabled_at__isnull=False)
        ]
        context["link"] = _site_url(reverse("admin:notifications_webhookendpoint_changelist"))
        context["failures"] = settings.WEBHOOKS_DISABLE_AFTER_FAILURES
    return context
