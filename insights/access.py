"""Who may see the exports and the analytics: staff who may view returns and refunds (every role
of shop/roles.py; plain staff may not)."""

from typing import Any

INSIGHT_PERMISSIONS = ("returns.view_return", "refunds.view_refund")


def may_see_insights(user: Any) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perms(INSIGHT_PERMISSIONS))
