"""*Create return* from an order: a form per order line calling return_create; its refusals are
shown on the form and nothing is saved."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from returns.models import Return, ReturnEvent, ReturnLine, ReturnStatus
from shop.models import User
from tests.fixtures.web import messages_of
from tests.returns.admin.helpers import make_return, page_url

pytestmark = pytest.mark.django_db


def create_url(order):
    return reverse("admin:returns_return_create", args=[order.pk])


def form_data(order, *rows, **extra):
    """rows: (quantity, reason code, restock) per order line, in id order."""
    data = {
        "idempotency_key": uuid.uuid4().hex,  # a new page each time
        "refund_mode": "money_back",
        "delivery_option": "label",
        "start_status": "approved",
        "customer_comment": "",
        "staff_note": "",
        "notify_customer": "on",
        "return_fee": "",
    }
    for line, (quantity, reason, restock) in zip(order.lines.order_by("id"), rows, strict=False):
        data[f"qty_{line.pk}"] = str(quantity)
        data[f"reason_{line.pk}"] = reason
        if restock:
            data[f"restock_{line.pk}"] = "on"
    data.update(extra)
    return data


def test_anonymous_visitors_are_sent_to_the_login_page(anonymous, order):
    response = anonymous.get(create_url(order))
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_staff_without_the_permission_are_refused_and_nothing_is_created(as_manager, order):
    # when
    page = as_manager.get(create_url(order))
    posted = as_manager.post(create_url(order), form_data(order, (1, "wrong-size", True)))
    # then
    assert (page.status_code, posted.status_code) == (403, 403)
    assert Return.objects.count() == 0


def test_the_order_page_offers_the_button_to_those_who_may_create(as_agent, as_manager, order):
    order_url = reverse("admin:shop_order_change", args=[order.pk])
    assert 'id="create-return"' in as_agent.get(order_url).content.decode()
    assert 'id="create-return"' not in as_manager.get(order_url).content.decode()


def test_the_form_has_a_row_per_line_limited_to_what_remains(as_agent, order):
    # given: one of the two units of the first line is already in a return
    make_return(order, 1)
    first, second = order.lines.order_by("id")
    # when
    page = as_agent.get(create_url(order))
    # then
    assert page.status_code == 200
    form = page.context["form"]
    assert form.fields[f"qty_{first.pk}"].max_value == 1
    assert form.fields[f"qty_{second.pk}"].max_value == 1
    assert form.fields["notify_customer"].initial is True
    assert [code for code, _name in form.fields[f"reason_{first.pk}"].choices] == [
        "",
        "defective",
        "wrong-size",
        "changed-mind",
        "other",
    ]


def test_creating_a_return_calls_the_service_and_opens_the_return(as_agent, agent, order, actions):
    # given
    data = form_data(
        order,
        (2, "wrong-size", True),
        (1, "defective", False),
        action=actions["replacement"].pk,
        customer_comment="Sizes run small",
        staff_note="Phoned on Monday",
        return_fee="3.50",
    )
    # when
    response = as_agent.post(create_url(order), data)
    # then
    ret = Return.objects.get()
    assert response.status_code == 302
    assert response.url == page_url(ret)
    assert (ret.channel, ret.status, ret.created_by, ret.action) == (
        Return.Channel.BACKOFFICE,
        ReturnStatus.APPROVED,
        agent,
        actions["replacement"],
    )
    assert (ret.customer_comment, ret.staff_note, ret.return_fee, ret.notify_customer) == (
        "Sizes run small",
        "Phoned on Monday",
        Decimal("3.50"),
        True,
    )
    assert list(ret.lines.order_by("id").values_list("quantity", "reason__code", "restock")) == [
        (2, "wrong-size", True),
        (1, "defective", False),
    ]
    assert list(
        ret.events.filter(kind=ReturnEvent.Kind.STATUS)
        .order_by("id")
        .values_list("from_status", "to_status", "actor")
    ) == [("", "requested", agent.pk), ("requested", "approved", agent.pk)]
    assert messages_of(response) == [("success", f"Return {ret.rma_number} created: approved.")]


def test_the_new_return_appears_in_the_overview(as_agent, order):
    # when
    as_agent.post(
        create_url(order), form_data(order, (1, "wrong-size", True), start_status="requested")
    )
    listing = as_agent.get(reverse("admin:returns_return_changelist") + "?status__exact=requested")
    # then
    ret = Return.objects.get()
    assert list(listing.context["cl"].result_list) == [ret]


def test_a_quantity_above_what_remains_is_a_form_error_and_nothing_is_saved(as_agent, order):
    # when
    response = as_agent.post(create_url(order), form_data(order, (3, "wrong-size", True)))
    # then
    first = order.lines.order_by("id").first()
    assert response.status_code == 200
    assert response.context["form"].errors[f"qty_{first.pk}"] == [
        "Ensure this value is less than or equal to 2."
    ]
    assert Return.objects.count() == 0


def test_a_refusal_of_the_service_is_shown_on_the_form_and_nothing_is_saved(as_agent, order):
    # given: "other" asks for details, none given
    data = form_data(order, (1, "other", True))
    # when
    response = as_agent.post(create_url(order), data)
    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please tell us more about the reason “Other”."
    ]
    assert "Please tell us more about the reason" in response.content.decode()
    assert (Return.objects.count(), ReturnLine.objects.count(), ReturnEvent.objects.count()) == (
        0,
        0,
        0,
    )


def test_no_item_chosen_is_refused(as_agent, order):
    response = as_agent.post(create_url(order), form_data(order))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Choose at least one item to return."]
    assert Return.objects.count() == 0


def test_a_reason_is_needed_for_each_item(as_agent, order):
    response = as_agent.post(create_url(order), form_data(order, (1, "", True)))
    first = order.lines.order_by("id").first()
    assert response.context["form"].errors[f"reason_{first.pk}"] == [
        "Choose the reason for this item."
    ]
    assert Return.objects.count() == 0


def test_stock_managed_by_the_point_of_sale_has_no_restock_choice(as_agent, order):
    # given
    first = order.lines.order_by("id").first()
    first.variant.stock_managed_by_pos = True
    first.variant.save()
    # when
    page = as_agent.get(create_url(order))
    as_agent.post(create_url(order), form_data(order, (1, "wrong-size", True)))
    # then
    assert f'name="restock_{first.pk}"' not in page.content.decode()
    assert Return.objects.get().lines.get().restock is False


def test_past_the_window_an_agent_is_refused(as_agent, order):
    # given
    order.delivered_at = timezone.now() - timedelta(days=90)
    order.save()
    # when
    page = as_agent.get(create_url(order))
    response = as_agent.post(create_url(order), form_data(order, (1, "wrong-size", True)))
    # then
    assert page.context["returnability"].codes == ["window_closed"]
    assert "override_reason" not in page.context["form"].fields
    assert response.status_code == 200
    assert (
        response.context["form"]
        .non_field_errors()[0]
        .startswith("The return window of 30 days after delivery closed on")
    )
    assert Return.objects.count() == 0


def test_past_the_window_staff_allowed_to_override_give_the_reason(as_agent, agent, order):
    # given
    agent.user_permissions.add(Permission.objects.get(codename="override_return_rules"))
    order.delivered_at = timezone.now() - timedelta(days=90)
    order.save()
    client_agent = as_agent
    client_agent.force_login(User.objects.get(pk=agent.pk))
    # when
    response = client_agent.post(
        create_url(order),
        form_data(order, (1, "wrong-size", True), override_reason="Loyal customer"),
    )
    # then
    assert response.status_code == 302
    ret = Return.objects.get()
    override = ret.events.get(kind=ReturnEvent.Kind.OVERRIDE)
    assert override.text.startswith("Override reason: Loyal customer\nThe return window")


def test_the_page_carries_a_new_key_each_time_it_is_shown(as_agent, order):
    # when
    first, second = as_agent.get(create_url(order)), as_agent.get(create_url(order))
    # then
    keys = [page.context["form"]["idempotency_key"].value() for page in (first, second)]
    assert all(keys)
    assert keys[0] != keys[1]
    assert f'<input type="hidden" name="idempotency_key" value="{keys[0]}"' in (
        first.content.decode()
    )


def test_the_page_submitted_twice_makes_one_return_and_one_email(as_agent, order):
    # given: the first submission went through
    data = form_data(order, (2, "wrong-size", True), (1, "defective", False))
    first = as_agent.post(create_url(order), data)
    ret = Return.objects.get()
    before = (ReturnEvent.objects.count(), Notification.objects.count())
    # when: the same page is submitted again (nothing is left to return now)
    again = as_agent.post(create_url(order), data)
    # then: it opens the first return; nothing more was written or sent
    assert first.url == again.url == page_url(ret)
    assert Return.objects.get().pk == ret.pk
    assert (ReturnEvent.objects.count(), Notification.objects.count()) == before
    assert Notification.objects.filter(ret=ret).count() == 1


def test_another_page_makes_another_return(as_agent, order):
    # given
    as_agent.post(create_url(order), form_data(order, (1, "wrong-size", True)))
    # when: a new page (a new key) for the unit left of the first line
    response = as_agent.post(create_url(order), form_data(order, (1, "wrong-size", True)))
    # then
    first, second = Return.objects.order_by("id")
    assert response.url == page_url(second)
    assert first.idempotency_key != second.idempotency_key
