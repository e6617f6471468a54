"""Run once per bench database, after generate_load_data (`DATABASE_URL=... python -m
bench.prepare`): the people the suite logs in as (staff, a customer with a return sent back
with a label), an API key, and the pages to load, printed as JSON for bench/__main__.py.

The overview's filters and sortable columns are read from its admin (a ChangeList built for the
staff user), so a filter or column added later is measured without touching the bench."""

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
STAFF_EMAIL = "bench-staff@bench.example"
CUSTOMER_PASSWORD = "bench-customer-password"
STAFF_PASSWORD = "bench-staff-password-2026"


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _staff():
    from shop.models import User

    user = User.objects.filter(email=STAFF_EMAIL).first()
    return user or User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)


def _customer_return():
    """The newest return sent back with a live label; its customer gets an account."""
    from returns.models import LabelStatus, Return, ReturnStatus
    from shop.models import User

    ret = (
        Return.objects.filter(status=ReturnStatus.APPROVED, labels__status=LabelStatus.CREATED)
        .select_related("order__customer")
        .order_by("-created_at", "-id")
        .first()
    )
    customer = ret.order.customer
    if customer.user_id is None:
        customer.user = User.objects.create_user(customer.email, CUSTOMER_PASSWORD)
        customer.save(update_fields=["user"])
    return ret


def _changelist(model, staff, query: dict[str, str]):
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/", query)
    request.user = staff
    return admin.site._registry[model].get_changelist_instance(request)


def _overview_pages(staff, newest) -> dict[str, str]:
    """The overview: default, each filter's first choice, a search by RMA, its last page, each
    sortable column."""
    from returns.models import Return

    base = "/admin/returns/return/"
    pages = {"overview": base, "overview, search RMA": f"{base}?q={newest.rma_number}"}
    changelist = _changelist(Return, staff, {})
    for spec in changelist.filter_specs:
        choices = [c for c in spec.choices(changelist) if not c.get("selected")]
        if choices:
            pages[f"overview, filter {spec.title}"] = base + choices[0]["query_string"]
    # The last page the list offers (its count may be capped: shop/pagination.py).
    last = changelist.paginator.num_pages
    pages["overview, last page"] = f"{base}?{urlencode({'p': last})}"
    sortable_by = changelist.sortable_by
    for index, name in enumerate(changelist.list_display):
        if (sortable_by is None or name in sortable_by) and _sortable(changelist, name):
            pages[f"overview, sort {name}"] = f"{base}?o={index}"
    return pages


def _sortable(changelist, name: str) -> bool:
    """A column the changelist can order by: a field, or a method naming its order field."""
    from django.core.exceptions import FieldDoesNotExist

    if name == "action_checkbox":
        return False
    try:
        changelist.lookup_opts.get_field(name)
    except FieldDoesNotExist:
        attr = getattr(changelist.model_admin, name, None)
        return bool(getattr(attr, "ordering", None) or getattr(attr, "admin_order_field", None))
    return True


def main() -> None:
    _setup()
    from django.utils import translation

    translation.activate("en")  # the pages' names in English (the filters' titles)
    from api.keys import api_key_create
    from api.scopes import ALL_SCOPES
    from returns.models import Return
    from shop.models import Order

    staff = _staff()
    newest = Return.objects.order_by("-created_at", "-id").first()
    mine = _customer_return()
    guest = Order.objects.exclude(customer=mine.order.customer).order_by("-placed_at").first()
    _key, secret = api_key_create(name="bench", scopes=list(ALL_SCOPES), created_by=staff)
    staff_pages = {
        "back-office home": "/admin/",
        **_overview_pages(staff, newest),
        "orders list": "/admin/shop/order/",
        "orders, search number": f"/admin/shop/order/?q={newest.order.number}",
        "a return's page": f"/admin/returns/return/{newest.pk}/change/",
        "analytics": "/admin/insights/analytics/",
        "minimal (staff)": "/bench/minimal/",
    }
    customer_pages = {
        "portal My orders": "/orders/",
        "portal an order": f"/orders/{mine.order.number}/",
        "portal a return": f"/returns/{mine.rma_number}/",
        "portal label": f"/returns/{mine.rma_number}/label/",
        "minimal (customer)": "/bench/minimal/",
    }
    api_pages = {
        "API returns list": "/api/v1/returns",
        "API a return": f"/api/v1/returns/{newest.rma_number}",
    }
    json.dump(
        {
            "staff": [STAFF_EMAIL, STAFF_PASSWORD],
            "customer": [mine.order.customer.email, CUSTOMER_PASSWORD],
            "api_key": secret,
            "guest": {"order_number": guest.number, "email_or_postcode": guest.email},
            "pages": {"staff": staff_pages, "customer": customer_pages, "api": api_pages},
            "returns": Return.objects.count(),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
