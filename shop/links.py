"""Links to the site that let a person into an account, made on demand and never stored."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from shop.models import User


def password_reset_link(user: User) -> str:
    """The page where `user` chooses a password. Django's token: it stops working once the
    password changes or the user logs in, and after PASSWORD_RESET_TIMEOUT (one use)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{settings.SITE_URL.rstrip('/')}{path}"
