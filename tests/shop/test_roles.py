import pytest

from shop.roles import ROLES, role_group

pytestmark = pytest.mark.django_db


def test_each_role_group_holds_exactly_its_permissions():
    for code, (_label, names) in ROLES.items():
        group = role_group(code)
        held = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert held == set(names), code


def test_a_returns_agent_cannot_refund_and_a_refunds_manager_cannot_approve():
    agent = set(ROLES["returns_agent"][1])
    manager = set(ROLES["refunds_manager"][1])
    assert "refunds.manage_refund" not in agent
    assert "returns.approve_return" in agent
    assert "returns.approve_return" not in manager
    assert "refunds.manage_refund" in manager
