"""The settings as one page (shop admins only), and the reasons and actions staff edit."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from returns.errors import ReturnError
from returns.models import ReturnAction, ReturnReason
from shop.models import ShopSettings
from tests.fixtures.web import messages_of

pytestmark = pytest.mark.django_db

SETTINGS = "/admin/shop/shopsettings/"
REASONS = "/admin/returns/returnreason/"
ACTIONS = "/admin/returns/returnaction/"


def settings_form(**changes):
    """The settings form as the page shows it (every setting), with `changes`; None unchecks."""
    data = {}
    for field in ShopSettings._meta.fields:
        if not field.editable or field.primary_key:
            continue
        value = getattr(ShopSettings.load(), field.name)
        if isinstance(value, bool):
            value = "on" if value else None
        data[field.name] = value
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def change_url():
    return reverse("admin:shop_shopsettings_change", args=[ShopSettings.load().pk])


def test_anonymous_visitors_are_sent_to_the_login_page(anonymous, shop_settings):
    response = anonymous.get(SETTINGS)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_an_agent_cannot_open_or_change_the_settings(as_agent, shop_settings):
    # when
    listed = as_agent.get(SETTINGS)
    posted = as_agent.post(change_url(), settings_form(returns_allowed=None))
    # then
    assert (listed.status_code, posted.status_code) == (403, 403)
    assert ShopSettings.load().returns_allowed is True


def test_the_settings_list_opens_the_single_settings_page(as_shop_admin, shop_settings):
    # when
    response = as_shop_admin.get(SETTINGS)
    page = as_shop_admin.get(change_url())
    # then
    assert response.status_code == 302
    assert response.url == change_url()
    html = page.content.decode()
    assert page.status_code == 200
    for field in (
        "returns_allowed",
        "return_window_days",
        "offer_money_back",
        "offer_store_credit",
        "offer_exchange",
        "in_store_returns_allowed",
        "default_return_fee",
        "notify_customers_by_default",
    ):
        assert f'name="{field}"' in html, field
    assert reverse("admin:returns_returnreason_changelist") in html
    assert reverse("admin:returns_returnaction_changelist") in html


def test_switching_returns_off_stops_customers_requesting_returns(as_shop_admin, order):
    # when
    response = as_shop_admin.post(
        change_url(),
        settings_form(
            returns_allowed=None,
            return_window_days="14",
            default_return_fee="4.90",
            offer_exchange=None,
        ),
    )
    # then
    assert response.status_code == 302
    assert messages_of(response) == [("success", "The settings were saved.")]
    settings = ShopSettings.load()
    assert (
        settings.returns_allowed,
        settings.return_window_days,
        settings.default_return_fee,
        settings.offer_exchange,
    ) == (False, 14, Decimal("4.90"), False)
    from returns.services import ReturnLineInput, return_request

    line = order.lines.order_by("id").first()
    with pytest.raises(ReturnError, match="Returns cannot be requested online"):
        return_request(
            idempotency_key=uuid.uuid4().hex,
            actor=order.customer.user,
            order=order,
            lines=[ReturnLineInput(order_line_id=line.pk, quantity=1, reason_code="wrong-size")],
            refund_mode="money_back",
            delivery_option="label",
        )


def test_a_negative_fee_is_refused_and_nothing_changes(as_shop_admin, shop_settings):
    # when
    response = as_shop_admin.post(change_url(), settings_form(default_return_fee="-1"))
    # then
    assert response.status_code == 200
    assert ShopSettings.load().default_return_fee == Decimal("0.00")


# --- reasons and actions ---------------------------------------------------------------------


def test_a_shop_admin_creates_renames_deactivates_and_reorders_reasons(as_shop_admin, reasons):
    # when: create
    created = as_shop_admin.post(
        f"{REASONS}add/",
        {
            "code": "stained",
            "name_fr": "Taché",
            "name_en": "Stained",
            "position": "5",
            "active": "on",
            "restock_by_default": "",
        },
    )
    # then
    assert created.status_code == 302
    stained = ReturnReason.objects.get(code="stained")
    assert (stained.name_en, stained.restock_by_default) == ("Stained", False)
    # when: rename both languages, deactivate one, reorder, from the list
    rows = list(ReturnReason.objects.order_by("position", "id"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for index, reason in enumerate(rows):
        data.update(
            {
                f"form-{index}-id": reason.pk,
                f"form-{index}-name_fr": reason.name_fr,
                f"form-{index}-name_en": reason.name_en,
                f"form-{index}-position": reason.position,
            }
        )
        if reason.restock_by_default:
            data[f"form-{index}-restock_by_default"] = "on"
        if reason.needs_detail:
            data[f"form-{index}-needs_detail"] = "on"
        if reason.active and reason.code != "changed-mind":
            data[f"form-{index}-active"] = "on"
        if reason.code == "stained":
            data.update(
                {
                    f"form-{index}-name_fr": "Tache",
                    f"form-{index}-name_en": "Stain",
                    f"form-{index}-position": "99",
                }
            )
    listed = as_shop_admin.post(REASONS, data)
    # then
    assert listed.status_code == 302
    stained.refresh_from_db()
    assert (stained.name_fr, stained.name_en, stained.position) == ("Tache", "Stain", 99)
    assert ReturnReason.objects.get(code="changed-mind").active is False
    assert ReturnReason.objects.get(code="wrong-size").active is True


def test_reasons_are_never_deleted_and_their_code_stays(as_shop_admin, reasons):
    reason = reasons["wrong-size"]
    assert as_shop_admin.get(f"{REASONS}{reason.pk}/delete/").status_code == 403
    page = as_shop_admin.get(f"{REASONS}{reason.pk}/change/")
    assert 'name="code"' not in page.content.decode()


def test_an_agent_sees_the_reasons_but_cannot_change_them(as_agent, reasons):
    # when
    listed = as_agent.get(REASONS)
    added = as_agent.post(
        f"{REASONS}add/", {"code": "x", "name_fr": "x", "name_en": "x", "position": "1"}
    )
    # then
    assert listed.status_code == 200
    assert added.status_code == 403
    assert not ReturnReason.objects.filter(code="x").exists()


def test_a_shop_admin_creates_an_action(as_shop_admin, actions):
    response = as_shop_admin.post(
        f"{ACTIONS}add/",
        {
            "code": "repair-in-shop",
            "name_fr": "Réparer en boutique",
            "name_en": "Repair in shop",
            "position": "3",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert ReturnAction.objects.get(code="repair-in-shop").name_fr == "Réparer en boutique"
