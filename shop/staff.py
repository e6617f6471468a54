"""Staff accounts made from the command line (`manage.py create_staff`).

A staff account holds exactly one role group (shop/roles.py); running the command again with
another role moves it. It never gets a password from the command line (it would stay in shell
histories): a new account has none, and the person chooses one through a one-time link.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from shop.models import User
from shop.roles import GROUP_NAMES, role_group

# The command's short names for the role codes of shop.roles.
ROLE_OPTIONS = {"agent": "returns_agent", "refunds": "refunds_manager", "admin": "shop_admin"}


class StaffError(ValueError):
    """The staff account cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class StaffPlan:
    """What `staff_upsert` does for an address and a role: "create", "update" or "unchanged"."""

    email: str
    role: str  # a code of shop.roles.ROLES
    outcome: str
    changes: tuple[str, ...]


def staff_plan(email: str, role: str) -> StaffPlan:
    """What making `email` a staff member of `role` (a ROLE_OPTIONS key) would change; writes
    nothing. Raises StaffError for a bad address or role, or a customer's account."""
    email = User.objects.normalize_email(email.strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise StaffError(f"{email!r} is not an email address") from None
    if role not in ROLE_OPTIONS:
        raise StaffError(f"role {role!r} is not one of {', '.join(ROLE_OPTIONS)}")
    code = ROLE_OPTIONS[role]
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return StaffPlan(email, code, "create", (f"create the account in {GROUP_NAMES[code]}",))
    if not user.is_staff:
        # A customer's account would reach every order; staff get an address of their own.
        raise StaffError(f"{email} is a customer's account, not staff: use another address")
    held = set(user.groups.filter(name__in=GROUP_NAMES.values()).values_list("name", flat=True))
    changes = [f"leave {name}" for name in sorted(held - {GROUP_NAMES[code]})]
    if GROUP_NAMES[code] not in held:
        changes.append(f"join {GROUP_NAMES[code]}")
    if not user.is_active:
        changes.append("reactivate the account")
    return StaffPlan(user.email, code, "update" if changes else "unchanged", tuple(changes))


def staff_upsert(plan: StaffPlan) -> User:
    """Carry out a plan from `staff_plan`: the account, active, staff, in its one role group;
    all or nothing."""
    with transaction.atomic():
        user = User.objects.filter(email__iexact=plan.email).first()
        if user is None:
            user = User.objects.create_user(plan.email, None, is_staff=True)
        elif not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
        others = Group.objects.filter(name__in=GROUP_NAMES.values()).exclude(
            name=GROUP_NAMES[plan.role]
        )
        user.groups.remove(*others)
        user.groups.add(role_group(plan.role))
    return user
