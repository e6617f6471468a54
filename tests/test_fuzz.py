"""Hostile input on every surface: Hypothesis sends generated requests to every portal and
back-office form, every admin action and every webhook, and checks that none answers a 500 and
that none changes what the rules forbid.

The targets are found, not listed: every URL of the portal's URL conf and every page of every
model the admin site registers (list, add, change, and the pages each ModelAdmin adds) is read
once as its visitor, and the forms it shows give the field names and the actions to post. Each
generated request then fills a target with values drawn from what the page offered (valid
choices, the values shown) and from what an attacker sends (NUL bytes, 5,000 characters, an
impossible date, year 9999, huge or negative numbers, markup), sometimes in the path itself.
The webhooks get JSON bodies of any shape (deep ones included), correctly signed for the
carrier and authenticated for Anymail.

After each request, in a savepoint rolled back before the next one:
- the answer is not a 500;
- a refused request (4xx, or a form shown again) changed no row of returns, lines, refunds,
  stock movements, store credit, tracking events, emails or users, and no stock;
- always: the ledger explains the stock, no order has more refunded than paid, no line more
  held by live returns than ordered.

The count of requests tried is printed outside pytest's capture (the CI log shows it). The
PostgreSQL run (marker postgres, in CI) sends FUZZ_REQUESTS requests (default 2,200, at least
2,000 asserted); the
embedded run on SQLite sends FUZZ_REQUESTS_EMBEDDED (default 300).
"""

import base64
import json
import os
import re
import uuid
from collections import Counter
from decimal import Decimal
from html import unescape

import pytest
from anymail.exceptions import AnymailConfigurationError, AnymailImproperlyInstalled
from django.contrib import admin
from django.db import transaction
from django.db.models import Sum
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.models import Notification
from notifications.webhooks import TRACKING_VIEWS
from refunds.models import ExchangeDue, Refund, RefundStatus, StoreCreditMovement
from returns.carriers.signing import signature_header
from returns.models import Return, ReturnLabel, ReturnLine, TrackingEvent
from returns.selectors import held_quantities
from shop.models import Order, StockMovement, User, Variant
from shop.roles import ensure_staff_roles
from tests.factories import CustomerFactory, UserFactory, make_order, superuser
from tests.fixtures.backoffice import with_role
from tests.returns.helpers import create, request

pytestmark = pytest.mark.django_db

CARRIER_SECRET = "fuzz-carrier-secret"
ANYMAIL_SECRET = "fuzz-user:fuzz-password"
EMBEDDED = int(os.environ.get("FUZZ_REQUESTS_EMBEDDED", "300"))
ON_POSTGRES_RUN = int(os.environ.get("FUZZ_REQUESTS", "2200"))

# Pages a fuzzer must not follow: they end the session it uses, or are no form of ours.
SKIPPED_PATHS = (
    "/logout/",
    "/admin/logout/",
    "/admin/jsi18n/",
    "/admin/r/",
    "/admin/autocomplete/",
)


# --- what an attacker sends ------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "%00",
    "0",
    "-1",
    "1.5",
    "1e400",
    "99999999999999999999999999",
    "-99999999999999999999999999",
    "NaN",
    "Infinity",
    "2026-02-30",
    "2026-02-30T10:00:00",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "x" * 101,
    "x" * 300,
    "é" * 5000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "\u202e\u200b\ufeff",
    "😀" * 50,
    "a@b",
    ("a" * 290) + "@example.com",
    "true",
    "null",
    "[]",
    "{}",
]
# Real HTTP carries no lone surrogate in a form or a query (Django decodes with replacement).
texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=400)
nasty = st.one_of(st.sampled_from(NASTY), texts, st.integers().map(str))


def json_values(keys):
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.sampled_from(NASTY),
        st.text(max_size=200),  # JSON may carry "\ud800" and "\u0000"
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(
                st.one_of(st.sampled_from(keys), st.text(max_size=10)), children, max_size=6
            ),
        ),
        max_leaves=25,
    )


def deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


# --- the world the requests act on -----------------------------------------------------------


class Target:
    """A page, its visitor, and what its forms post: field names with the values offered."""

    def __init__(self, who: str, url: str, fields: dict[str, list[str]], actions: list[str]):
        self.who, self.url, self.fields, self.actions = who, url, fields, actions

    def __repr__(self):
        return f"<{self.who} {self.url} {sorted(self.fields)}>"


FORM = re.compile(r"<form\b[^>]*>(.*?)</form>", re.S | re.I)
CONTROL = re.compile(r"<(input|select|textarea|button)\b([^>]*)>", re.I)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')
OPTION = re.compile(r'<option[^>]*value="([^"]*)"', re.I)


def forms_of(html: str) -> tuple[dict[str, list[str]], list[str]]:
    """The names a page's forms post, each with the values the page offers, and its actions."""
    fields: dict[str, list[str]] = {}
    actions: list[str] = []
    for form in FORM.findall(html):
        for tag, attrs in CONTROL.findall(form):
            found = dict(ATTR.findall(attrs))
            name = found.get("name")
            if not name or name == "csrfmiddlewaretoken":
                continue
            offered = fields.setdefault(unescape(name), [])
            if "value" in found:
                offered.append(unescape(found["value"]))
            if tag.lower() == "select":
                start = form.find(f'name="{name}"')
                end = form.find("</select>", start)
                options = [unescape(value) for value in OPTION.findall(form[start:end])]
                offered.extend(options)
                if name == "action":
                    actions.extend(value for value in options if value)
    return fields, actions


def admin_urls(world) -> list[str]:
    """Every page of every registered model: list, add, an object's change page, and the
    pages the ModelAdmin adds (their ids filled with rows of the world)."""
    urls = []
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{info}_changelist"))
        urls.append(reverse(f"{info}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"{info}_change", args=[first.pk]))
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern) or not pattern.name:
                continue
            if pattern.name.endswith(("_changelist", "_add", "_change", "_delete", "_history")):
                continue
            if "<path:object_id>" in str(pattern.pattern):
                continue
            names = list(pattern.pattern.converters)
            args = [world["ids"].get(name, first.pk if first else 1) for name in names]
            try:
                urls.append(reverse(f"admin:{pattern.name}", args=args))
            except Exception:  # a pattern whose arguments the world cannot fill
                continue
    return urls


def portal_urls(world) -> list[str]:
    """Every URL of the portal's URL conf, its arguments filled with the customer's rows."""
    urls = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith(("admin/", "anymail/", "carriers/", "i18n/")):
                    continue
                walk(pattern.url_patterns, route)
                continue
            urls.append(
                "/"
                + re.sub(
                    r"<(?:\w+:)?(\w+)>", lambda m: str(world["ids"].get(m.group(1), "x")), route
                )
            )

    walk(get_resolver().url_patterns)
    return [url for url in urls if "^" not in url and "$" not in url]


@pytest.fixture
def world(settings, reasons, actions, shop_settings, notifications):
    settings.CARRIER_WEBHOOK_SECRET = CARRIER_SECRET
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "WEBHOOK_SECRET": ANYMAIL_SECRET,
        # The providers that sign their webhooks: configured, so the body is what is fuzzed.
        "MAILGUN_WEBHOOK_SIGNING_KEY": "fuzz-key",
        "MAILERSEND_SIGNING_SECRET": "fuzz-secret",
        "MANDRILL_WEBHOOK_KEY": "fuzz-key",
        "POSTAL_WEBHOOK_KEY": "",
        "RESEND_SIGNING_SECRET": "whsec_" + base64.b64encode(b"fuzz-secret").decode(),
        "UNISENDER_GO_API_KEY": "fuzz-key",
        "MAILTRAP_WEBHOOK_SECRET": "fuzz-secret",
    }
    ensure_staff_roles()
    user = UserFactory(email="fuzz@example.com")
    customer = CustomerFactory(user=user, email=user.email)
    order = make_order(
        [(3, "20.00"), (2, "35.00")], customer=customer, email=customer.email, number="FZ-1"
    )
    staff = superuser()
    requested = request(order, 1)
    approved = create(staff, order, 1, 1, start_status="approved")
    label = ReturnLabel.objects.get(ret=approved)
    clients = {"anonymous": Client(), "customer": Client(), "staff": Client(), "agent": Client()}
    clients["customer"].force_login(user)
    clients["staff"].force_login(staff)
    clients["agent"].force_login(with_role("returns_agent"))
    world = {
        "order": order,
        "label": label,
        "clients": clients,
        "ids": {
            "number": order.number,
            "rma_number": requested.rma_number,
            "token": "x",
            "uidb64": "x",
            "order_id": order.pk,
            "return_id": approved.pk,
            "object_id": approved.pk,
            "pk": Refund.objects.order_by("pk").values_list("pk", flat=True).first() or 1,
        },
        "variants": {variant.pk: variant.stock_on_hand for variant in Variant.objects.all()},
    }
    targets = []
    for who, urls in (("customer", portal_urls(world)), ("anonymous", portal_urls(world))):
        for url in urls:
            targets.append(discover(clients[who], who, url))
    for url in admin_urls(world):
        targets.append(discover(clients["staff"], "staff", url))
    world["targets"] = [t for t in targets if t is not None]
    world["anymail"] = [
        url
        for url in (f"/anymail/{provider}/tracking/" for provider in sorted(TRACKING_VIEWS))
        if provider_available(url)
    ]
    return world


def provider_available(url) -> bool:
    """Whether the provider's webhook can run here: not one whose package is missing or whose
    settings are incomplete (answering those with a 404 is webhooks' business, not this
    test's)."""
    try:
        send({"clients": {"anonymous": Client()}}, "anymail", "anonymous", "POST", url, b"{}")
    except (AnymailConfigurationError, AnymailImproperlyInstalled):
        return False
    except Exception:  # a provider refusing {}: it runs
        return True
    return True


def discover(client, who, url):
    if url.startswith(SKIPPED_PATHS):
        return None
    response = client.get(url)
    html = response.content.decode(errors="replace") if response.status_code == 200 else ""
    fields, actions = forms_of(html)
    return Target(who, url, fields, actions)


# --- one generated request -------------------------------------------------------------------


@st.composite
def form_requests(draw, world):
    target = draw(st.sampled_from(world["targets"]))
    url = target.url
    if draw(st.integers(0, 9)) == 0:  # the path itself
        parts = url.strip("/").split("/")
        index = draw(st.integers(0, len(parts) - 1))
        parts[index] = draw(st.sampled_from(["%00", "x%00", "-1", "9" * 30, "%E9", "a" * 300]))
        url = "/" + "/".join(parts) + "/"
    data: dict[str, object] = {}
    for name, offered in target.fields.items():
        choice = draw(st.integers(0, 5))
        if choice == 0:
            continue
        if choice <= 2 and offered:
            data[name] = draw(st.sampled_from(offered))
        elif choice == 3:
            data[name] = draw(st.lists(nasty, min_size=1, max_size=3))
        else:
            data[name] = draw(nasty)
    if target.actions and draw(st.booleans()):
        data["action"] = draw(st.sampled_from(target.actions))
        data["_selected_action"] = draw(
            st.lists(
                st.one_of(st.sampled_from([str(world["ids"]["object_id"])]), nasty), max_size=3
            )
        )
        data["index"] = draw(st.sampled_from(["0", "1", "x"]))
    extra = draw(
        st.dictionaries(
            st.sampled_from(["q", "o", "p", "e", "page", "reason", "status", "next", "all"]),
            nasty,
            max_size=3,
        )
    )
    method = draw(st.sampled_from(["GET", "POST", "POST"]))
    return ("form", target.who, method, url, {**extra, **data} if method == "GET" else data, extra)


@st.composite
def carrier_requests(draw, world):
    tracking_number = world["label"].tracking_number
    keys = ["id", "tracking_number", "status", "occurred_at", "location", "description", "events"]
    event = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "id": st.one_of(st.just(f"e-{uuid.uuid4().hex[:8]}"), nasty),
                "tracking_number": st.one_of(st.just(tracking_number), nasty),
                "status": st.one_of(
                    st.sampled_from(["in_transit", "delivered", "exception"]), nasty
                ),
                "occurred_at": nasty,
                "location": nasty,
                "description": nasty,
            },
        )
    )
    body = draw(
        st.one_of(
            st.just({"events": [event]}),
            st.just([event, event]),
            json_values(keys),
        )
    )
    raw = json.dumps(body).encode()
    raw = draw(st.sampled_from([raw, raw, raw, deep(2000), raw[:-1], b"\xff\xfe", b""]))
    return ("carrier", "anonymous", "POST", "/carriers/offline/tracking/", raw, None)


@st.composite
def anymail_requests(draw, world):
    url = draw(st.sampled_from(world["anymail"]))
    keys = [
        "RecordType",
        "MessageID",
        "event",
        "message_id",
        "Type",
        "Message",
        "metadata",
        "notification_id",
        "email",
        "timestamp",
        "msg",
        "mandrill_events",
    ]
    body = draw(json_values(keys))
    raw = json.dumps(body).encode()
    raw = draw(st.sampled_from([raw, raw, deep(2000), b"{not json", b""]))
    return ("anymail", "anonymous", "POST", url, raw, None)


def generated_requests(world):
    return st.one_of(
        form_requests(world),
        form_requests(world),
        form_requests(world),
        carrier_requests(world),
        anymail_requests(world),
    )


# --- what must hold --------------------------------------------------------------------------


def counts() -> dict[str, int]:
    return {
        "returns": Return.objects.count(),
        "lines": ReturnLine.objects.count(),
        "refunds": Refund.objects.count(),
        "stock movements": StockMovement.objects.count(),
        "store credit": StoreCreditMovement.objects.count(),
        "exchange dues": ExchangeDue.objects.count(),
        "tracking events": TrackingEvent.objects.count(),
        "emails": Notification.objects.count(),
        "users": User.objects.count(),
        "stock": Variant.objects.aggregate(total=Sum("stock_on_hand"))["total"],
    }


def check_invariants(world):
    for variant in Variant.objects.all():
        moved = variant.movements.aggregate(total=Sum("quantity"))["total"] or 0
        assert variant.stock_on_hand == world["variants"][variant.pk] + moved, variant
    for order in Order.objects.all():
        live = Refund.objects.filter(
            order=order, status__in=[RefundStatus.PENDING, RefundStatus.REFUNDED]
        )
        assert (live.aggregate(total=Sum("amount"))["total"] or Decimal(0)) <= order.amount_paid
        held = held_quantities(order)
        for line in order.lines.all():
            assert 0 <= held.get(line.pk, 0) <= line.quantity


def send(world, kind, who, method, url, data):
    client = world["clients"][who]
    if kind == "form":
        if method == "GET":
            return client.get(url, data)
        return client.post(url, data)
    headers = {}
    if kind == "carrier":
        headers["HTTP_X_CARRIER_SIGNATURE"] = signature_header(data, CARRIER_SECRET)
        return client.post(url, data=data, content_type="application/json", **headers)
    headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(ANYMAIL_SECRET.encode()).decode()
    # Only the provider we send with has an endpoint (notifications/webhooks.py): each
    # provider's webhook is fuzzed as if we sent with it.
    provider = url.split("/")[2]
    with override_settings(EMAIL_BACKEND=f"anymail.backends.{provider}.EmailBackend"):
        return client.post(url, data=data, content_type="application/json", **headers)


class Rollback(Exception):
    pass


def fuzz(world, capsys, examples: int, label: str) -> int:
    tried: Counter = Counter()
    statuses: Counter = Counter()
    for client in world["clients"].values():
        client.raise_request_exception = False

    # Every request starts from this state: the one before is rolled back.
    before = counts()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(generated=generated_requests(world))
    def one_request(generated):
        kind, who, method, url, data, _extra = generated
        try:
            with transaction.atomic():
                response = send(world, kind, who, method, url, data)
                tried[kind] += 1
                statuses[response.status_code] += 1
                assert response.status_code != 500, (kind, who, method, url, data)
                refused = response.status_code >= 400 or (
                    method == "POST" and response.status_code == 200 and kind == "form"
                )
                if refused:
                    assert counts() == before, (kind, who, method, url, data, response.status_code)
                else:
                    check_invariants(world)
                raise Rollback
        except Rollback:
            pass

    one_request()
    with capsys.disabled():
        print(
            f"\nfuzz ({label}): {sum(tried.values())} requests tried "
            f"({', '.join(f'{kind} {n}' for kind, n in sorted(tried.items()))}) over "
            f"{len(world['targets'])} pages and {len(world['anymail']) + 1} webhooks; "
            f"answers {dict(sorted(statuses.items()))}; 0 of 500"
        )
    return sum(tried.values())


def test_generated_requests_on_every_form_action_and_webhook_never_500_nor_break_a_rule(
    world, capsys
):
    assert fuzz(world, capsys, EMBEDDED, "embedded") >= EMBEDDED * 0.9


@pytest.mark.postgres
def test_two_thousand_generated_requests_on_postgres_never_500_nor_break_a_rule(world, capsys):
    assert fuzz(world, capsys, ON_POSTGRES_RUN, "PostgreSQL") >= min(ON_POSTGRES_RUN, 2000)
