"""The scopes of an API key and, in this one place, the permissions each gives its service
user: the services then check an API call exactly as they check a person in the back-office."""

from django.utils.translation import gettext_lazy as _

ORDERS_WRITE = "orders:write"
RETURNS_READ = "returns:read"
RETURNS_WRITE = "returns:write"
RETURNS_PROCESS = "returns:process"
REFUNDS_READ = "refunds:read"
STORE_CREDIT_REDEEM = "store_credit:redeem"

SCOPE_CHOICES = [
    (ORDERS_WRITE, _("Create and update orders")),
    (RETURNS_READ, _("Read orders, returns, reasons and actions")),
    (RETURNS_WRITE, _("Create and cancel returns")),
    (RETURNS_PROCESS, _("Approve, reject, receive and mark returns refunded")),
    (REFUNDS_READ, _("Read refunds")),
    (STORE_CREDIT_REDEEM, _("Check and spend store credit codes")),
]
ALL_SCOPES = [code for code, _label in SCOPE_CHOICES]

SCOPE_PERMISSIONS: dict[str, list[str]] = {
    ORDERS_WRITE: [],
    RETURNS_READ: [],
    RETURNS_WRITE: ["returns.add_return", "returns.cancel_return"],
    RETURNS_PROCESS: [
        "returns.approve_return",
        "returns.receive_return",
        "returns.complete_return",
        "refunds.manage_refund",
    ],
    REFUNDS_READ: [],
    STORE_CREDIT_REDEEM: ["refunds.redeem_storecreditcode"],
}
