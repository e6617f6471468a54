"""The surfaces ask the returns policy: a cancelled order is refused by the services as on the
portal, the create-return page offers the policy's choices and shows its refusals, and the
customer's cancel button follows the policy."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from returns.errors import ReturnError, ReturnPermissionError
from returns.events import render_event
from returns.models import Return, ReturnEvent
from returns.services import return_approve, return_mark_in_transit
from shop.models import Order
from tests.factories import StaffFactory
from tests.returns.helpers import create, grant, request

pytestmark = pytest.mark.django_db

CANCELLED = "This order was cancelled: there is nothing to return."
OVERRIDE_HINT = "To create the return anyway, give the reason for overriding this rule."
WHO_MAY_OVERRIDE = (
    "Only staff allowed to override the return rules can create this return: ask someone in "
    "the group “Shop admin”."
)


def _cancel(order):
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status"])


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def create_page(user, order):
    return _client(user).get(reverse("admin:returns_return_create", args=[order.pk]))


# --- a cancelled order -------------------------------------------------------------------------


def test_a_customer_cannot_request_a_return_of_a_cancelled_order(order, notifications):
    # given
    _cancel(order)
    # when
    with pytest.raises(ReturnError) as refused:
        request(order, 1)
    # then
    assert refused.value.message == CANCELLED
    assert Return.objects.count() == 0
    assert ReturnEvent.objects.count() == 0
    assert notifications.calls == []


def test_staff_need_an_override_for_a_cancelled_order(order, notifications):
    # given
    _cancel(order)
    creator = grant(StaffFactory(), "add_return")
    # when
    with pytest.raises(ReturnPermissionError) as refused:
        create(creator, order, 1)
    with pytest.raises(ReturnPermissionError):
        create(creator, order, 1, override_reason="Cancelled by mistake")
    # then: told who may override, never asked for a reason
    assert refused.value.message == f"{CANCELLED} {WHO_MAY_OVERRIDE}"
    assert Return.objects.count() == 0
    assert notifications.calls == []


def test_staff_allowed_to_override_create_it_with_the_reason_recorded(staff, order):
    # given
    _cancel(order)
    # when
    with pytest.raises(ReturnError) as no_reason:
        create(staff, order, 1)
    ret = create(staff, order, 1, override_reason="Cancelled by mistake")
    # then
    assert no_reason.value.message == f"{CANCELLED} {OVERRIDE_HINT}"
    override = ret.events.get(kind=ReturnEvent.Kind.OVERRIDE)
    assert override.text == f"Override reason: Cancelled by mistake\n{CANCELLED}"


# --- the create-return page --------------------------------------------------------------------


def test_the_create_page_offers_staff_only_what_the_shop_offers(order, shop_settings):
    # given: staff who may not override the rules
    shop_settings.offer_store_credit = False
    shop_settings.in_store_returns_allowed = False
    shop_settings.save()
    agent = grant(StaffFactory(), "add_return")
    # when
    form = create_page(agent, order).context["form"]
    # then
    assert [value for value, _ in form.fields["refund_mode"].choices] == [
        "money_back",
        "exchange",
    ]
    assert [value for value, _ in form.fields["delivery_option"].choices] == ["label"]
    assert (form["refund_mode"].initial, form["delivery_option"].initial) == ("money_back", "label")


def test_the_create_page_offers_every_choice_to_staff_who_may_override(staff, order, shop_settings):
    # given
    shop_settings.offer_money_back = False
    shop_settings.in_store_returns_allowed = False
    shop_settings.save()
    # when
    form = create_page(staff, order).context["form"]
    # then
    assert [value for value, _ in form.fields["refund_mode"].choices] == [
        "money_back",
        "store_credit",
        "exchange",
    ]
    assert [value for value, _ in form.fields["delivery_option"].choices] == ["label", "in_store"]


def test_the_create_page_shows_the_policys_refusals_and_how_to_override_them(staff, order):
    # given
    order.delivered_at = None
    order.save(update_fields=["delivered_at"])
    # when
    page = create_page(staff, order)
    # then
    answer = page.context["returnability"]
    assert answer.codes == ["not_delivered"]
    html = page.content.decode()
    assert "This order has not been delivered yet. You can return items once they arrive." in html
    assert "give the reason for overriding the rule below" in html


def test_the_create_page_offers_no_override_when_nothing_is_left(staff, order):
    # given: every item already in a return
    create(staff, order, 3, 2)
    # when
    page = create_page(staff, order)
    # then
    assert page.context["returnability"].codes == ["nothing_left"]
    html = page.content.decode()
    assert "Every item of this order has already been returned or is being returned." in html
    assert "give the reason for overriding the rule below" not in html


def test_an_order_in_its_window_shows_no_warning(staff, order):
    page = create_page(staff, order)
    assert page.context["returnability"].returnable is True
    assert 'id="rules-warning"' not in page.content.decode()


# --- the customer's cancel button --------------------------------------------------------------


@pytest.mark.parametrize(("shipped", "shown"), [(False, True), (True, False)])
def test_the_cancel_button_is_offered_until_the_parcel_ships(staff, order, shipped, shown):
    # given
    ret = request(order, 1)
    if shipped:
        return_approve(actor=staff, ret=ret)
        ret.refresh_from_db()
        return_mark_in_transit(actor=staff, ret=ret)
    # when
    page = _client(order.customer.user).get(f"/returns/{ret.rma_number}/")
    # then
    assert page.context["can_cancel"] is shown


def test_an_override_reads_in_its_readers_language_whoever_wrote_it(staff, order):
    # given: a French agent creates a return of a cancelled order, overriding the refusal
    _cancel(order)
    with translation.override("fr"):
        ret = create(staff, order, 1, override_reason="Erreur de saisie")
    override = ret.events.get(kind=ReturnEvent.Kind.OVERRIDE)
    # when / then: the refusal is stored by its code, and worded for each reader
    assert override.params["then"] == [{"code": "refusal.order_cancelled", "params": {}}]
    assert override.note == ""
    with translation.override("en"):
        assert render_event(override) == f"Override reason: Erreur de saisie\n{CANCELLED}"
    with translation.override("fr"):
        assert render_event(override) == (
            "Motif de la dérogation\u00a0: Erreur de saisie\n"
            "Cette commande a été annulée\u00a0: il n'y a rien à retourner."
        )
