"""*Create return* on an order past its window: an agent without the override permission is told
who may override (no reason field to fill in vain); one with it gets the reason field, required,
and the reason is stored on the return's override event."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from notifications.models import Notification
from returns.models import Return, ReturnEvent
from shop.models import User
from shop.roles import role_group
from tests.returns.admin.helpers import make_return
from tests.returns.admin.test_create_return import create_url, form_data

pytestmark = pytest.mark.django_db

WHO_MAY_OVERRIDE = (
    "Only staff allowed to override the return rules can create this return: ask someone in "
    "the group “Shop admin”."
)


@pytest.fixture
def late_order(order):
    order.delivered_at = timezone.now() - timedelta(days=90)
    order.save(update_fields=["delivered_at"])
    return order


def written() -> tuple[int, int, int]:
    return (Return.objects.count(), ReturnEvent.objects.count(), Notification.objects.count())


def test_an_agent_without_the_permission_is_told_who_may_override(as_agent, late_order):
    # when
    page = as_agent.get(create_url(late_order))
    posted = as_agent.post(
        create_url(late_order),
        form_data(late_order, (1, "wrong-size", True), override_reason="Loyal customer"),
    )
    # then: no field to type a reason in; the page and the refusal name the group
    html = page.content.decode()
    assert "override_reason" not in page.context["form"].fields
    assert 'name="override_reason"' not in html
    assert f'<span id="override-refusal">{WHO_MAY_OVERRIDE}</span>' in html
    assert "give the reason" not in html
    assert posted.status_code == 200
    assert posted.context["form"].non_field_errors()[0].endswith(WHO_MAY_OVERRIDE)
    assert written() == (0, 0, 0)


def test_the_group_named_is_the_one_holding_the_permission(as_agent, agent, late_order):
    # given: the shop gave the override to the refunds managers too
    permission = Permission.objects.get(codename="override_return_rules")
    role_group("refunds_manager").permissions.add(permission)
    # when
    page = as_agent.get(create_url(late_order))
    # then
    assert page.context["override_refusal"] == (
        "Only staff allowed to override the return rules can create this return: ask someone "
        "in the group “Refunds manager”, “Shop admin”."
    )


def test_in_french_the_group_is_named_in_french(as_agent, agent, late_order):
    # when
    page = as_agent.get(create_url(late_order), HTTP_ACCEPT_LANGUAGE="fr")
    # then
    assert page.context["override_refusal"] == (
        "Seul le personnel autorisé à passer outre les règles de retour peut créer ce retour : "
        "demandez à un membre du groupe “Administrateur de la boutique”."
    )


@pytest.fixture
def as_overrider(as_agent, agent):
    agent.user_permissions.add(Permission.objects.get(codename="override_return_rules"))
    as_agent.force_login(User.objects.get(pk=agent.pk))
    return as_agent


def test_with_the_permission_the_reason_is_required_and_nothing_is_made_without(
    as_overrider, late_order
):
    # when
    page = as_overrider.get(create_url(late_order))
    posted = as_overrider.post(
        create_url(late_order), form_data(late_order, (1, "wrong-size", True))
    )
    # then
    assert page.context["form"].fields["override_reason"].required is True
    assert 'name="override_reason"' in page.content.decode()
    assert page.context["override_refusal"] == ""
    assert posted.status_code == 200
    assert posted.context["form"].errors["override_reason"] == ["This field is required."]
    assert written() == (0, 0, 0)


def test_with_the_permission_and_a_reason_the_reason_is_on_the_override_event(
    as_overrider, agent, late_order
):
    # when
    posted = as_overrider.post(
        create_url(late_order),
        form_data(late_order, (1, "wrong-size", True), override_reason="  Loyal customer "),
    )
    # then
    assert posted.status_code == 302
    ret = Return.objects.get()
    override = ret.events.get(kind=ReturnEvent.Kind.OVERRIDE)
    assert (override.actor, override.params["reason"]) == (agent, "Loyal customer")
    assert override.text.startswith("Override reason: Loyal customer\nThe return window")


def test_an_order_within_its_window_asks_no_reason(as_overrider, order):
    # when
    page = as_overrider.get(create_url(order))
    # then
    assert page.context["form"].fields["override_reason"].required is False
    assert 'id="rules-warning"' not in page.content.decode()


def test_nothing_left_to_return_asks_no_override_reason(as_overrider, order):
    # given: every unit is already in a return, a refusal no one overrides
    make_return(order, 2, 1)
    # when
    page = as_overrider.get(create_url(order))
    # then
    assert page.context["returnability"].codes == ["nothing_left"]
    assert page.context["form"].fields["override_reason"].required is False
