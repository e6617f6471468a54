"""Run once per bench database, after generate_load_data (`DATABASE_URL=... python -m
bench.prepare`): the people the suite logs in as (staff, a customer with a return sent back
with a label), an API key, and the pages to load, printed as JSON for bench/__main__.py.

The portal's create-return POST (the confirm of a draft: it makes a return and enqueues its
email) needs an order with a returnable unit and a session holding its draft for every request.
A customer of its own (POST_EMAIL, so no other page reads its data) has POST_ORDERS delivered
orders of one line each, placed before every loaded order (last in the orders list, never the
guest lookup's), delivered yesterday (the window open whatever the day). `--post FILE` then
deletes that customer's returns and writes one request a line to FILE (cookie, path, body: a
fresh session with a draft for each order): bench/wrk.lua sends them in turn, each the same
work at any size, and bench/__main__.py runs it again after every run so that the suite's
return count (`_returns_in`) and the other pages never see the bench's returns.

The overview's filters and sortable columns are read from its admin (a ChangeList built for the
staff user), so a filter or column added later is measured without touching the bench."""

import json
import os
import sys
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parents[1]
STAFF_EMAIL = "bench-staff@bench.example"
CUSTOMER_PASSWORD = "bench-customer-password"
STAFF_PASSWORD = "bench-staff-password-2026"
POST_EMAIL = "bench-post@bench.example"
POST_PASSWORD = "bench-post-password-2026"
POST_ORDERS = 1000  # enough for one run of --seconds 2 at 500 requests/s
POST_ORDER_PREFIX = "BENCH-POST-"
# Made up: Django accepts a 32-character secret as both the cookie and the form's token.
POST_CSRF = "benchpostcsrftoken0123456789abcd"
POST_SESSION_PREFIX = "benchpost"  # the sessions a reset deletes


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
            pages[f"overview, filter {spec.title}"] = base + _choice(spec, choices, changelist)
    # The last page the list offers (its count may be capped: shop/pagination.py).
    last = changelist.paginator.num_pages
    pages["overview, last page"] = f"{base}?{urlencode({'p': last})}"
    sortable_by = changelist.sortable_by
    for index, name in enumerate(changelist.list_display):
        if (sortable_by is None or name in sortable_by) and _sortable(changelist, name):
            pages[f"overview, sort {name}"] = f"{base}?o={index}"
    return pages


def _choice(spec, choices: list[dict], changelist) -> str:
    """The query string of a filter's first choice; of a date filter's, its widest range (this
    year): its first, today, holds 3 returns at a thousand and a full page at a million, and
    the two pages would differ by their rows, not by the data's size. Of a field's choices, the
    value most rows hold, for the same reason: the status filter's first, "requested", holds 19
    returns at a thousand (one page of 19 rows) and a full page of 50 at a million (its p95 was
    1.40 times as long there, as the overview's 50 rows are against 19); the other fields'
    first choices are their most held ones already."""
    from django.contrib.admin.filters import ChoicesFieldListFilter, DateFieldListFilter

    if isinstance(spec, ChoicesFieldListFilter):
        return _most_held(spec, choices, changelist)
    if not isinstance(spec, DateFieldListFilter):
        return choices[0]["query_string"]

    def days(choice: dict) -> int:
        values = dict(parse_qsl(choice["query_string"].lstrip("?")))
        since = values.get(spec.lookup_kwarg_since)
        until = values.get(spec.lookup_kwarg_until)
        if not since or not until:
            return -1  # "no date", "has date": not a range
        return (date.fromisoformat(until[:10]) - date.fromisoformat(since[:10])).days

    return max(choices, key=days)["query_string"]


def _most_held(spec, choices: list[dict], changelist) -> str:
    """The query string of the choice of a field filter whose value most rows hold (ties: the
    first); one GROUP BY."""
    from django.db.models import Count

    held = dict(
        changelist.root_queryset.order_by()
        .values_list(spec.field_path)
        .annotate(n=Count("pk"))
        .values_list(spec.field_path, "n")
    )

    def rows(choice: dict) -> int:
        values = dict(parse_qsl(choice["query_string"].lstrip("?")))
        return held.get(values.get(spec.lookup_kwarg), -1)

    return max(choices, key=rows)["query_string"]


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


def _post_customer():
    from shop.models import Customer, User

    user = User.objects.filter(email=POST_EMAIL).first() or User.objects.create_user(
        POST_EMAIL, POST_PASSWORD
    )
    customer, _ = Customer.objects.get_or_create(
        email=POST_EMAIL, defaults={"user": user, "language": "en", "country": "FR"}
    )
    return customer


def _post_orders(count: int) -> list:
    """The POST customer's orders, made up to `count` (idempotent), delivered yesterday."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import transaction
    from django.db.models import Min
    from django.utils import timezone

    from shop.models import Order, OrderLine, Variant

    customer = _post_customer()
    orders = customer.orders.all()
    have = orders.count()
    yesterday = timezone.now() - timedelta(days=1)
    if have < count:
        first = Order.objects.exclude(customer=customer).aggregate(at=Min("placed_at"))["at"]
        placed = (first or yesterday) - timedelta(days=1)
        variant = Variant.objects.order_by("id").first()
        price = Decimal("20.00")
        with transaction.atomic():
            made = Order.objects.bulk_create(
                Order(
                    number=f"{POST_ORDER_PREFIX}{index:06d}",
                    customer=customer,
                    email=POST_EMAIL,
                    status=Order.Status.DELIVERED,
                    shipping_country="FR",
                    shipping_postcode="75001",
                    shipping_address="1 rue du Banc",
                    placed_at=placed,
                    delivered_at=yesterday,
                    amount_paid=price,
                )
                for index in range(have, count)
            )
            OrderLine.objects.bulk_create(
                OrderLine(order=order, variant=variant, quantity=1, unit_price_paid=price)
                for order in made
            )
    orders.update(delivered_at=yesterday)
    return list(orders.order_by("number").prefetch_related("lines")[:count])


def _post_reason() -> str:
    """A reason the form accepts without a detail or photos."""
    from returns.models import ReturnReason

    reasons = ReturnReason.objects.filter(active=True, needs_detail=False, needs_photos=False)
    return reasons.order_by("position", "id").values_list("code", flat=True)[0]


def post_reset(customer):
    """The POST customer's returns (with their lines, events and emails) and sessions deleted;
    its user."""
    from django.contrib.sessions.models import Session

    from returns.models import Return

    Return.objects.filter(order__customer=customer).delete()
    Session.objects.filter(session_key__startswith=POST_SESSION_PREFIX).delete()
    return customer.user


def post_requests(count: int) -> list[tuple[str, str, str]]:
    """The POST customer's returns deleted (a run's), then one confirm an order: its session (a
    fresh one, logged in, holding the order's draft), its path and its form's body."""
    from datetime import timedelta

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from portal.views.returns import DRAFT_KEY
    from returns.models import Return

    orders = _post_orders(count)
    user = post_reset(orders[0].customer)
    reason, store = _post_reason(), SessionStore()
    expire = timezone.now() + timedelta(days=1)
    sessions, lines = [], []
    for order in orders:
        line = order.lines.all()[0]
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            DRAFT_KEY: {
                "order": order.pk,
                "data": {
                    "refund_mode": Return.RefundMode.MONEY_BACK,
                    "delivery_option": Return.DeliveryOption.LABEL,
                    "customer_comment": "",
                    f"line-{line.pk}-quantity": "1",
                    f"line-{line.pk}-reason": reason,
                    f"line-{line.pk}-detail": "",
                },
                "token": "bench-post-draft-" + get_random_string(16),
            },
        }
        key = POST_SESSION_PREFIX + get_random_string(23, "abcdefghijklmnopqrstuvwxyz0123456789")
        sessions.append(
            Session(session_key=key, session_data=store.encode(data), expire_date=expire)
        )
        cookie = f"csrftoken={POST_CSRF}; sessionid={key}"
        lines.append(
            (cookie, f"/orders/{order.number}/return/confirm/", f"csrfmiddlewaretoken={POST_CSRF}")
        )
    Session.objects.bulk_create(sessions)
    return lines


def main(post_orders: int = POST_ORDERS) -> None:
    _setup()
    from django.utils import translation

    translation.activate("en")  # the pages' names in English (the filters' titles)
    from api.keys import api_key_create
    from api.scopes import ALL_SCOPES
    from returns.models import Return
    from shop.models import Order

    staff = _staff()
    mine = _customer_return()
    post = _post_orders(post_orders)[0].customer
    post_reset(post)  # a run stopped before deleting its returns
    # Never a create-return POST's return: another run's POST may be making them (they are the
    # newest) and deletes them after it, and the pages would then answer 404.
    newest = Return.objects.exclude(order__customer=post).order_by("-created_at", "-id").first()
    others = Order.objects.exclude(customer__in=[mine.order.customer, post])
    guest = others.order_by("-placed_at").first()
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
            "returns": Return.objects.exclude(order__customer=post).count(),
            "post": {"email": POST_EMAIL, "orders": post_orders},
        },
        sys.stdout,
    )


def write_post_requests(path: str, count: int) -> None:
    """`--post FILE`: the lines bench/wrk.lua reads, tab-separated."""
    _setup()
    lines = post_requests(count)
    Path(path).write_text("".join("\t".join(line) + "\n" for line in lines))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--post-orders", type=int, default=POST_ORDERS)
    parser.add_argument("--post", default="", help="Write the create-return POSTs to this file.")
    args = parser.parse_args()
    if args.post:
        write_post_requests(args.post, args.post_orders)
    else:
        main(args.post_orders)
