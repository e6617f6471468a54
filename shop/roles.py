"""Staff roles as groups of permissions. The back-office shows each button only to a role that
may use it, and the services check the same permissions again."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

_READ = [
    "shop.view_order",
    "shop.view_customer",
    "shop.view_product",
    "shop.view_variant",
    "shop.view_stockmovement",
    "returns.view_return",
    "returns.view_returnevent",
    "returns.view_returnreason",
    "returns.view_returnaction",
    "refunds.view_refund",
    "notifications.view_notification",
    "returns.view_returnrule",
    "returns.view_shippingmethod",
    "returns.view_returnlabel",
    "returns.view_trackingevent",
    "shop.view_brand",
]

ROLES: dict = {
    # process returns, no refunds
    "returns_agent": (
        _("Returns agent"),
        [
            *_READ,
            "returns.add_return",
            "returns.change_return",
            "returns.approve_return",
            "returns.receive_return",
            "returns.cancel_return",
            "returns.expire_return",
            "notifications.resend_notification",
            "returns.resend_label",
            "returns.cancel_label",
        ],
    ),
    # refunds, store credit and amounts due
    "refunds_manager": (
        _("Refunds manager"),
        [
            *_READ,
            "refunds.manage_refund",
            "refunds.view_storecreditmovement",
            "refunds.view_storecreditcode",
            "refunds.view_exchangedue",
            "refunds.view_repayment",
            "returns.complete_return",
        ],
    ),
    # the shop's settings, reasons, actions, email templates, overrides
    "shop_admin": (
        _("Shop admin"),
        [
            *_READ,
            "shop.view_shopsettings",
            "shop.change_shopsettings",
            "shop.add_brand",
            "shop.change_brand",
            "returns.add_returnreason",
            "returns.change_returnreason",
            "returns.add_returnaction",
            "returns.change_returnaction",
            "returns.override_return_rules",
            "returns.add_returnrule",
            "returns.change_returnrule",
            "returns.delete_returnrule",
            "returns.add_shippingmethod",
            "returns.change_shippingmethod",
            "notifications.view_emailtemplate",
            "notifications.add_emailtemplate",
            "notifications.change_emailtemplate",
            # The storefront integration's API keys (api/): created, scoped and revoked here.
            "api.view_apikey",
            "api.add_apikey",
            "api.change_apikey",
            # Outbound webhooks: the endpoints (their secrets) and their deliveries.
            "notifications.view_webhookendpoint",
            "notifications.add_webhookendpoint",
            "notifications.change_webhookendpoint",
            "notifications.delete_webhookendpoint",
            "notifications.view_webhookdelivery",
            "notifications.resend_webhookdelivery",
        ],
    ),
}

# Group names are stored in English; the back-office shows the translated label.
GROUP_NAMES = {
    "returns_agent": "Returns agent",
    "refunds_manager": "Refunds manager",
    "shop_admin": "Shop admin",
}


def _permissions(names):
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(query)


def ensure_staff_roles(**kwargs):
    """Create or complete the role groups (a post_migrate receiver: idempotent)."""
    for code, (_label, names) in ROLES.items():
        group, _created = Group.objects.get_or_create(name=GROUP_NAMES[code])
        group.permissions.add(*_permissions(names))


def role_group(code: str) -> Group:
    return Group.objects.get(name=GROUP_NAMES[code])


def roles_with_permission(permission: str) -> list[str]:
    """The names, in the active language, of the role groups holding `permission` ("app.codename"),
    so that a person refused an action is told whom to ask (superusers hold every permission)."""
    app_label, codename = permission.split(".")
    names = (
        Group.objects.filter(
            permissions__content_type__app_label=app_label, permissions__codename=codename
        )
        .order_by("name")
        .values_list("name", flat=True)
    )
    labels = {GROUP_NAMES[code]: label for code, (label, _names) in ROLES.items()}
    return [str(labels.get(name, name)) for name in names]
