"""Password rules beyond Django's validators (settings.AUTH_PASSWORD_VALIDATORS).

Staff and superusers reach every customer's order and refund: their passwords are longer
(settings.STAFF_PASSWORD_MIN_LENGTH, 12). Customers keep Django's minimum (8).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def is_staff_account(user) -> bool:
    """Whether the stricter staff password and session rules apply to this user."""
    return bool(user is not None and (user.is_staff or user.is_superuser))


class StaffMinimumLengthValidator:
    """A staff (or superuser) password has at least `min_length` characters."""

    def __init__(self, min_length: int = 12):
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        if is_staff_account(user) and len(password) < self.min_length:
            raise ValidationError(
                ngettext(
                    "A staff password must contain at least %(min_length)d character.",
                    "A staff password must contain at least %(min_length)d characters.",
                    self.min_length,
                ),
                code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self) -> str:
        return _("A staff password must contain at least %(min_length)d characters.") % {
            "min_length": self.min_length
        }
