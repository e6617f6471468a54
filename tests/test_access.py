"""Who may reach what: every URL of the site, resolved from the URL confs, by every kind of
visitor, against a table of the expected answers; refused POSTs change nothing.

The URLs are walked from config/urls.py (admin, webhooks, portal): a URL missing from TABLE
fails `test_every_url_is_in_the_table`, so a new page must be given its expected answers here.
Path parameters are filled with customer A's objects (order, return, label, refund,
notification...) and, on admin pages, with a real object of that admin's model.

Each row gives, per actor (in the order of ACTORS), the answer to a GET and to a POST:

- a status code ("200", "403", "404", "405", ...);
- "login": a redirect to a login page (the back office's or the portal's);
- "-" (POST only): not tried, because the actor may do it (or the page changes nothing).

Every POST tried is one that must be refused: the test checks its answer and that no row
changed (returns, lines, events, labels, refunds, store credit, exchange dues, stock and its
ledger, notifications, orders, customers, users, the catalogue, the settings).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from api.keys import api_key_create
from api.models import ApiKey, IdempotentResponse
from api.scopes import ALL_SCOPES
from notifications.models import (
    EmailTemplate,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from notifications.services import notification_enqueue
from refunds.credit import issue_code
from refunds.models import ExchangeDue, Refund, Repayment, StoreCreditCode, StoreCreditMovement
from refunds.quotes import quote_for_return
from refunds.services import refund_create
from returns.models import (
    Return,
    ReturnAction,
    ReturnEvent,
    ReturnLabel,
    ReturnLine,
    ReturnPhoto,
    ReturnReason,
    ReturnRule,
    ShippingMethod,
    TrackingEvent,
)
from returns.services.photos import photos_add, prepare_photo
from shop.models import (
    Brand,
    Customer,
    Order,
    OrderLine,
    Product,
    ShopSettings,
    StockMovement,
    User,
    Variant,
)
from shop.roles import role_group
from shop.services import stock_move
from tests.factories import CustomerFactory, OrderLineFactory, UserFactory, superuser
from tests.fixtures.backoffice import with_role
from tests.fixtures.brands import png_bytes
from tests.fixtures.returns import seed_reasons
from tests.fixtures.web import english_client
from tests.returns.labels.helpers import approved_with_label, label_of
from tests.returns.rules.helpers import method, rule

pytestmark = pytest.mark.django_db

ACTORS = (
    "anonymous",
    "customer_a",  # owns the order, return, label... of every path
    "customer_b",  # another customer, with an order of her own
    "guest_a",  # no account; verified customer A's order with the guest lookup
    "guest_b",  # no account; verified customer B's order
    "returns_agent",  # the staff roles of shop/roles.py
    "refunds_manager",
    "shop_admin",
    "plain_staff",  # staff without any role
    "superuser",
)

# fmt: off
TABLE: dict[str, tuple[str, str]] = {
    # route: (GET, POST), in the order of ACTORS: anonymous, customer A, customer B, guest A,
    # guest B, returns agent, refunds manager, shop admin, plain staff, superuser.
    #     anon  cu_A  cu_B  gu_A  gu_B agent   mgr admin plain super
    "admin/": (
        "login login login login login   200   200   200   200   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/login/": (
        "  200   200   200   200   200   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/logout/": (
        "  302   302   302   302   302   405   405   405   405   405",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/password_change/": (
        "login login login login login   200   200   200   200   200",
        "login login login login login     -     -     -     -     -",
    ),
    "admin/password_change/done/": (
        "login login login login login   200   200   200   200   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/autocomplete/": (
        "login login login login login   403   403   403   403   403",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/jsi18n/": (
        "login login login login login   200   200   200   200   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/r/<path:content_type_id>/<path:object_id>/": (
        "login login login login login   404   404   404   404   404",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/auth/group/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/auth/group/add/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/auth/group/<path:object_id>/history/": (
        "login login login login login   403   403   403   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/auth/group/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/auth/group/<path:object_id>/change/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/auth/group/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/user/<id>/password/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/user/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/user/add/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/user/<path:object_id>/history/": (
        "login login login login login   403   403   403   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/user/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/user/<path:object_id>/change/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/user/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/brand/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   200   200   200   403     -",
    ),
    "admin/shop/brand/add/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/shop/brand/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/brand/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/brand/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/shop/brand/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/customer/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   200   200   200   403   200",
    ),
    "admin/shop/customer/add/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/customer/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/customer/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403   200",
    ),
    "admin/shop/customer/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/customer/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/product/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   200   200   200   403   200",
    ),
    "admin/shop/product/add/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/product/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/product/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403   200",
    ),
    "admin/shop/product/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/product/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/variant/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   200   200   200   403   200",
    ),
    "admin/shop/variant/add/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/variant/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/variant/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403   200",
    ),
    "admin/shop/variant/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/variant/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/stockmovement/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   200   200   200   403   200",
    ),
    "admin/shop/stockmovement/add/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/shop/stockmovement/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/stockmovement/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/shop/stockmovement/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/shop/stockmovement/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/shopsettings/": (
        "login login login login login   403   403   302   403   302",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/shop/shopsettings/add/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/shop/shopsettings/<path:object_id>/history/": (
        "login login login login login   403   403   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/shopsettings/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/shop/shopsettings/<path:object_id>/change/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/shop/shopsettings/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/order/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   200   200   200   403   200",
    ),
    "admin/shop/order/add/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/shop/order/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/shop/order/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/shop/order/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/shop/order/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/returnreason/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   200   200   200   403   200",
    ),
    "admin/returns/returnreason/add/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/returns/returnreason/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/returnreason/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/returns/returnreason/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/returns/returnreason/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/returnaction/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   200   200   200   403   200",
    ),
    "admin/returns/returnaction/add/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/returns/returnaction/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/returnaction/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/returns/returnaction/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/returns/returnaction/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/return/create/<int:order_id>/": (
        "login login login login login   200   403   403   403   200",
        "login login login login login     -   403   403   403     -",
    ),
    "admin/returns/return/<path:object_id>/mark-refunded/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403     -   403   403     -",
    ),
    "admin/returns/return/<path:object_id>/label/resend/": (
        "login login login login login   405   405   405   405   405",
        "login login login login login     -   302   302   302     -",
    ),
    "admin/returns/return/<path:object_id>/label/cancel/": (
        "login login login login login   405   405   405   405   405",
        "login login login login login     -   302   302   302     -",
    ),
    "admin/returns/return/<path:object_id>/label/create/": (
        "login login login login login   405   405   405   405   405",
        "login login login login login     -   302   302   302     -",
    ),
    # Insights (insights/admin.py): staff who may view returns and refunds; read only.
    "admin/insights/analytics/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   405   405   405   405   405",
    ),
    "admin/insights/export/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   405   405   405   405   405",
    ),
    "admin/returns/return/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   302   302   200   403   302",
    ),
    "admin/returns/return/add/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/returns/return/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/return/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/returns/return/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login     -   400   400   403     -",
    ),
    "admin/returns/return/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/shippingmethod/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   200   200   200   403     -",
    ),
    "admin/returns/shippingmethod/add/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/returns/shippingmethod/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/shippingmethod/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/returns/shippingmethod/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/returns/shippingmethod/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/returnrule/tester/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login     -     -     -   403     -",
    ),
    "admin/returns/returnrule/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   200   200     -   403     -",
    ),
    "admin/returns/returnrule/add/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/returns/returnrule/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/returnrule/<path:object_id>/delete/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/returns/returnrule/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/returns/returnrule/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/return/<int:return_id>/photos/<int:photo_id>/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   405   405   405   405   405",
    ),
    "admin/returns/returnlabel/<int:label_id>/pdf/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/returnlabel/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   302   200   200   403   302",
    ),
    "admin/returns/returnlabel/add/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/returns/returnlabel/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/returns/returnlabel/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/returns/returnlabel/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/returns/returnlabel/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/refunds/refund/return/<int:return_id>/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403     -   403   403     -",
    ),
    "admin/refunds/refund/<int:pk>/mark-refunded/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403     -   403   403     -",
    ),
    "admin/refunds/refund/return/<int:return_id>/owed-back/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403     -   403   403     -",
    ),
    "admin/refunds/refund/<int:pk>/reverse/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403     -   403   403     -",
    ),
    # Send a refund to its payment provider again, retry a failed one: confirmation pages.
    "admin/refunds/refund/<int:pk>/send/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403     -   403   403     -",
    ),
    "admin/refunds/refund/<int:pk>/retry/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403     -   403   403     -",
    ),
    "admin/refunds/refund/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   200   302   200   403   302",
    ),
    "admin/refunds/refund/add/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/refund/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/refunds/refund/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/refund/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/refund/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/refunds/exchangedue/<int:pk>/mark-paid/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403     -   403   403     -",
    ),
    "admin/refunds/exchangedue/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403   200   403   403   200",
    ),
    "admin/refunds/exchangedue/add/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/exchangedue/<path:object_id>/history/": (
        "login login login login login   403   200   403   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/refunds/exchangedue/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/exchangedue/<path:object_id>/change/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/exchangedue/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/refunds/repayment/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403   200   403   403   200",
    ),
    "admin/refunds/repayment/add/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/repayment/<path:object_id>/history/": (
        "login login login login login   403   200   403   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/refunds/repayment/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/repayment/<path:object_id>/change/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/repayment/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/refunds/storecreditcode/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403   200   403   403   200",
    ),
    "admin/refunds/storecreditcode/add/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/storecreditcode/<path:object_id>/history/": (
        "login login login login login   403   200   403   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/refunds/storecreditcode/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/storecreditcode/<path:object_id>/change/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/storecreditcode/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/refunds/storecreditmovement/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403   200   403   403   200",
    ),
    "admin/refunds/storecreditmovement/add/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/storecreditmovement/<path:object_id>/history/": (
        "login login login login login   403   200   403   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/refunds/storecreditmovement/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/storecreditmovement/<path:object_id>/change/": (
        "login login login login login   403   200   403   403   200",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/refunds/storecreditmovement/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/notifications/emailtemplate/preview/<slug:event>/<slug:language>/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/notifications/emailtemplate/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403   200   403     -",
    ),
    "admin/notifications/emailtemplate/add/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/notifications/emailtemplate/<path:object_id>/history/": (
        "login login login login login   403   403   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/notifications/emailtemplate/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   200",
        "login login login login login   403   403   403   403     -",
    ),
    "admin/notifications/emailtemplate/<path:object_id>/change/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/notifications/emailtemplate/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/notifications/notification/<int:notification_id>/resend/": (
        "login login login login login   405   405   405   405   405",
        "login login login login login     -   302   302   302     -",
    ),
    "admin/notifications/notification/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   302   200   200   403   302",
    ),
    "admin/notifications/notification/add/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/notifications/notification/<path:object_id>/history/": (
        "login login login login login   200   200   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/notifications/notification/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/notifications/notification/<path:object_id>/change/": (
        "login login login login login   200   200   200   403   200",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/notifications/notification/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/api/apikey/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403   200   403   200",
    ),
    "admin/api/apikey/add/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/api/apikey/<path:object_id>/history/": (
        "login login login login login   403   403   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/api/apikey/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/api/apikey/<path:object_id>/change/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/api/apikey/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/notifications/webhookendpoint/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/notifications/webhookendpoint/add/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/notifications/webhookendpoint/<path:object_id>/history/": (
        "login login login login login   403   403   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/notifications/webhookendpoint/<path:object_id>/delete/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/notifications/webhookendpoint/<path:object_id>/change/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/notifications/webhookendpoint/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/notifications/webhookdelivery/<int:delivery_id>/resend/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403     -   403     -",
    ),
    "admin/notifications/webhookdelivery/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403   200   403   200",
    ),
    "admin/notifications/webhookdelivery/add/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/notifications/webhookdelivery/<path:object_id>/history/": (
        "login login login login login   403   403   200   403   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/notifications/webhookdelivery/<path:object_id>/delete/": (
        "login login login login login   403   403   403   403   403",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/notifications/webhookdelivery/<path:object_id>/change/": (
        "login login login login login   403   403   200   403   200",
        "login login login login login   403   403   403   403   403",
    ),
    "admin/notifications/webhookdelivery/<path:object_id>/": (
        "login login login login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/(?P<app_label>auth|shop|returns|refunds|notifications|api)/$": (
        "login login login login login   200   200   200   404   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "admin/(?P<url>.*)$": (
        "login login login login login   404   404   404   404   404",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "anymail/<slug:provider>/tracking/": (
        "  405   405   405   405   405   405   405   405   405   405",
        "  403   403   403   403   403   403   403   403   403   403",
    ),
    "carriers/<slug:carrier_code>/tracking/": (
        "  405   405   405   405   405   405   405   405   405   405",
        "  403   403   403   403   403   403   403   403   403   403",
    ),
    "carriers/sendcloud/webhook/": (
        "  405   405   405   405   405   405   405   405   405   405",
        "  403   403   403   403   403   403   403   403   403   403",
    ),
    # Payment providers' refund webhooks: POST only; "manual" has none (Stripe's is tested in
    # tests/refunds/stripe/).
    "payments/<slug:provider_code>/webhook/": (
        "  405   405   405   405   405   405   405   405   405   405",
        "  404   404   404   404   404   404   404   404   404   404",
    ),
    # The health check for load balancers: open to all, GET only; 503 here (no worker runs).
    "healthz": (
        "  503   503   503   503   503   503   503   503   503   503",
        "  405   405   405   405   405   405   405   405   405   405",
    ),
    # Prometheus' scrape: off by default (404); with its token, a 401 without it (tests/ops).
    "metrics": (
        "  404   404   404   404   404   404   404   404   404   404",
        "  405   405   405   405   405   405   405   405   405   405",
    ),
    # The benchmarks' minimal page: off (404) unless BENCH_VIEWS; GET only.
    "bench/minimal/": (
        "  404   404   404   404   404   404   404   404   404   404",
        "  405   405   405   405   405   405   405   405   405   405",
    ),
    "": (
        "  200   200   200   200   200   200   200   200   200   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "i18n/setlang/": (
        "  302   302   302   302   302   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "login/": (
        "  200   302   302   200   200   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "logout/": (
        "  405   405   405   405   405   405   405   405   405   405",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "account/signup/": (
        "  200   302   302   200   200   302   302   302   302   302",
        "    -   302   302     -     -   302   302   302   302   302",
    ),
    "account/confirm/<str:token>/": (
        "login   302   302 login login   302   302   302   302   302",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "account/confirm-again/": (
        "  405   405   405   405   405   405   405   405   405   405",
        "login     -     - login login     -     -     -     -     -",
    ),
    "password-reset/": (
        "  200   200   200   200   200   200   200   200   200   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "password-reset/sent/": (
        "  200   200   200   200   200   200   200   200   200   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "password-reset/<uidb64>/<token>/": (
        "  200   200   200   200   200   200   200   200   200   200",
        "  200   200   200   200   200   200   200   200   200   200",
    ),
    "password-reset/done/": (
        "  200   200   200   200   200   200   200   200   200   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "orders/": (
        "login   200   200 login login   200   200   200   200   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "account/credit/": (
        "login   200   200 login login   200   200   200   200   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "orders/<str:number>/": (
        "login   200   404   200   404   404   404   404   404   404",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "orders/<str:number>/return/": (
        "login   200   404   200   404   404   404   404   404   404",
        "login     -   404     -   404   404   404   404   404   404",
    ),
    "orders/<str:number>/return/confirm/": (
        "login   302   404   302   404   404   404   404   404   404",
        "login     -   404     -   404   404   404   404   404   404",
    ),
    "returns/<str:rma_number>/": (
        "login   200   404   200   404   404   404   404   404   404",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "returns/<str:rma_number>/cancel/": (
        "  405   405   405   405   405   405   405   405   405   405",
        "login   302   404   302   404   404   404   404   404   404",
    ),
    "returns/<str:rma_number>/label/": (
        "login   200   404   200   404   404   404   404   404   404",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "returns/<str:rma_number>/label/qr/": (
        "login   200   404   200   404   404   404   404   404   404",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "returns/<str:rma_number>/photos/<int:photo_id>/": (
        "login   200   404   200   404   404   404   404   404   404",
        "  405   405   405   405   405   405   405   405   405   405",
    ),
    "returns/<str:rma_number>/label/qr.svg": (
        "login   200   404   200   404   404   404   404   404   404",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "return-policy/": (
        "  200   200   200   200   200   200   200   200   200   200",
        "  405   405   405   405   405   405   405   405   405   405",
    ),
    "brands/<slug:code>/logo/": (
        "  200   200   200   200   200   200   200   200   200   200",
        "  405   405   405   405   405   405   405   405   405   405",
    ),
    "lookup/": (
        "  200   200   200   200   200   200   200   200   200   200",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    "lookup/close/": (
        "  405   405   405   405   405   405   405   405   405   405",
        "    -     -     -     -     -     -     -     -     -     -",
    ),
    # The REST API answers a key, never a browser's session: 401 to every visitor here
    # (tests/api/ tests its keys and scopes); its schema and documentation pages are public.
    "api/v1/orders/<str:number>": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/orders/<str:number>/returnable": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/returns": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/returns/preview": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/returns/<str:rma_number>": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/returns/<str:rma_number>/cancel": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/returns/<str:rma_number>/approve": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/returns/<str:rma_number>/reject": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/returns/<str:rma_number>/receive": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/returns/<str:rma_number>/mark-refunded": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/returns/<str:rma_number>/refund": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/returns/<str:rma_number>/refunds": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/returns/<str:rma_number>/label": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/store-credit/<str:code>": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/store-credit/<str:code>/redeem": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/reasons": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/actions": (
        "  401   401   401   401   401   401   401   401   401   401",
        "  401   401   401   401   401   401   401   401   401   401",
    ),
    "api/v1/schema": (
        "  200   200   200   200   200   200   200   200   200   200",
        "  405   405   405   405   405   405   405   405   405   405",
    ),
    "api/v1/docs": (
        "  200   200   200   200   200   200   200   200   200   200",
        "  405   405   405   405   405   405   405   405   405   405",
    ),
    "api/v1/redoc": (
        "  200   200   200   200   200   200   200   200   200   200",
        "  405   405   405   405   405   405   405   405   405   405",
    ),

}
# fmt: on


# --- the URLs ----------------------------------------------------------------------------------


def routes() -> list[str]:
    """Every route of the site, as Django writes it in ResolverMatch.route, in resolving order
    (a route shadowed by an earlier identical one is listed once)."""
    found: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            # As Django joins them: a nested regex loses its "^".
            route = (
                prefix + str(pattern.pattern).removeprefix("^") if prefix else str(pattern.pattern)
            )
            if isinstance(pattern, URLResolver):
                walk(pattern, route)
            elif isinstance(pattern, URLPattern) and route not in found:
                found.append(route)

    walk(get_resolver(), "")
    return found


@dataclass
class World:
    customer_a: Customer
    order_a: Order
    return_a: Return
    label_a: ReturnLabel
    refund_a: Refund
    due_a: ExchangeDue
    notification_a: Notification
    photo_a: ReturnPhoto
    customer_b: Customer
    order_b: Order
    superuser: User
    admin_ids: dict[str, int]


def build_world() -> World:
    """Customer A's order with an approved return, its label, a pending refund, an exchange due,
    store credit and an email; customer B's order; one object of every admin's model."""
    seed_reasons()
    ReturnAction.objects.get_or_create(code="refund", defaults={"name_en": "Refund"})
    shop = ShopSettings.load()
    boss = superuser()
    user_a = UserFactory(email="camille@example.com")
    customer_a = CustomerFactory(user=user_a, email=user_a.email)
    line = OrderLineFactory(
        order__customer=customer_a,
        order__number="A-1001",
        order__amount_paid=Decimal("66.00"),
        quantity=3,
        unit_price_paid=Decimal("20.00"),
    )
    order_a = line.order
    return_a = approved_with_label(boss, order_a, 2)
    label_a = label_of(return_a)
    refund_a = refund_create(actor=boss, ret=return_a, idempotency_key=uuid.uuid4().hex)
    due_a = ExchangeDue.objects.create(
        ret=return_a,
        order=order_a,
        amount=Decimal("5.00"),
        currency="EUR",
        quote=quote_for_return(return_a).to_json(),
        created_by=boss,
    )
    credit = issue_code(
        customer=customer_a, amount=Decimal("10.00"), currency="EUR", actor=boss, note="Gift"
    )
    repayment = Repayment.objects.create(
        ret=return_a,
        order=order_a,
        amount=Decimal("1.00"),
        currency="EUR",
        outcome=Repayment.Outcome.WRITTEN_OFF,
        note="Written off by hand",
        created_by=boss,
    )
    notification_a = notification_enqueue(ret=return_a, event="approved")
    photo_a = photos_add(
        return_a.lines.first(), [prepare_photo(SimpleUploadedFile("a.png", png_bytes()))]
    )[0]
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/returns", events=["return.requested"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="return.requested",
        body='{"type":"return.requested"}',
        status=WebhookDelivery.Status.FAILED,
        attempts=1,
        max_attempts=1,
    )
    user_b = UserFactory(email="alex@example.com", language="en")
    customer_b = CustomerFactory(user=user_b, email=user_b.email, first_name="Alex")
    order_b = OrderLineFactory(order__customer=customer_b, order__number="B-2001", quantity=2).order
    movement = stock_move(variant=line.variant, quantity=1, kind="adjustment", actor=boss)
    template = EmailTemplate.objects.create(
        event="approved", language="fr", subject="Sujet", text_body="Texte", html_body="<p>x</p>"
    )
    brand = Brand.objects.create(code="maison", name="Maison", is_default=True)
    brand.logo.save("maison.png", ContentFile(png_bytes()))
    admin_ids = {
        "shop/brand": brand.pk,
        "auth/group": role_group("returns_agent").pk,
        "shop/user": user_a.pk,
        "shop/customer": customer_a.pk,
        "shop/product": line.variant.product_id,
        "shop/variant": line.variant_id,
        "shop/stockmovement": movement.pk if movement else StockMovement.objects.first().pk,
        "shop/shopsettings": shop.pk,
        "shop/order": order_a.pk,
        "returns/returnreason": ReturnReason.objects.order_by("pk").first().pk,
        "returns/returnaction": ReturnAction.objects.order_by("pk").first().pk,
        "returns/return": return_a.pk,
        "returns/shippingmethod": method("relay").pk,
        "returns/returnrule": rule(ReturnRule.Action.FEE_FIXED, amount="2.00").pk,
        "returns/returnlabel": label_a.pk,
        "refunds/refund": refund_a.pk,
        "refunds/exchangedue": due_a.pk,
        "refunds/storecreditmovement": credit.pk,
        "refunds/storecreditcode": credit.code_id,
        "refunds/repayment": repayment.pk,
        "notifications/emailtemplate": template.pk,
        "notifications/notification": notification_a.pk,
        "api/apikey": api_key_create(name="Storefront", scopes=ALL_SCOPES, created_by=boss)[0].pk,
        "notifications/webhookendpoint": endpoint.pk,
        "notifications/webhookdelivery": delivery.pk,
    }
    return World(
        customer_a=customer_a,
        order_a=order_a,
        return_a=return_a,
        label_a=label_a,
        refund_a=refund_a,
        due_a=due_a,
        notification_a=notification_a,
        photo_a=photo_a,
        customer_b=customer_b,
        order_b=order_b,
        superuser=boss,
        admin_ids=admin_ids,
    )


_CONVERTER = re.compile(r"<(?:(?P<kind>[^>:]+):)?(?P<name>[^>]+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
_ADMIN_MODEL = re.compile(r"^admin/(?P<model>\w+/\w+)/")


def path_for(route: str, world: World) -> str:
    """A URL of `route` with its parameters filled from the world."""
    model = _ADMIN_MODEL.match(route)
    values = {
        "object_id": world.admin_ids.get(model["model"], 0) if model else world.return_a.pk,
        "content_type_id": ContentType.objects.get_for_model(Return).pk,
        "id": world.customer_a.user_id,
        "order_id": world.order_a.pk,
        "return_id": world.return_a.pk,
        "label_id": world.label_a.pk,
        "notification_id": world.notification_a.pk,
        "photo_id": world.photo_a.pk,
        "delivery_id": world.admin_ids["notifications/webhookdelivery"],
        "pk": world.due_a.pk if "exchangedue" in route else world.refund_a.pk,
        "event": "approved",
        "language": "fr",
        "app_label": "returns",
        "url": "no-such-page/",
        "token": "not-a-token",
        "uidb64": urlsafe_base64_encode(force_bytes(world.customer_a.user_id)),
        "number": world.order_a.number,
        "rma_number": world.return_a.rma_number,
        "carrier_code": "offline",
        "provider_code": "manual",
        "provider": "postmark",
        "code": (
            StoreCreditCode.objects.get(pk=world.admin_ids["refunds/storecreditcode"]).code
            if "store-credit" in route
            else "maison"
        ),
    }
    path = _GROUP.sub(lambda m: str(values[m["name"]]), route)
    path = _CONVERTER.sub(lambda m: str(values[m["name"]]), path)
    return "/" + path.removesuffix("$")


def post_data(route: str, world: World) -> dict:
    """What a POST sends: enough to act if the refusal were missing (confirm a deletion, run
    a bulk action on the object, set a language)."""
    model = _ADMIN_MODEL.match(route)
    if model and model["model"] in world.admin_ids and route == f"admin/{model['model']}/":
        return {
            "action": "delete_selected",
            "_selected_action": [world.admin_ids[model["model"]]],
            "post": "yes",
        }
    return {"post": "yes", "language": "en", "reference": "hack", "note": "hack"}


# --- the visitors ------------------------------------------------------------------------------


def clients(world: World) -> dict[str, Client]:
    """A browser per actor, logged in (or verified as a guest) as it says."""
    made = {actor: english_client() for actor in ACTORS}
    made["customer_a"].force_login(world.customer_a.user)
    made["customer_b"].force_login(world.customer_b.user)
    for actor, order in (("guest_a", world.order_a), ("guest_b", world.order_b)):
        verified = made[actor].post(
            "/lookup/", {"order_number": order.number, "email_or_postcode": order.email}
        )
        assert verified.status_code == 302, verified.content
    for role in ("returns_agent", "refunds_manager", "shop_admin"):
        made[role].force_login(with_role(role, full_name=role))
    made["plain_staff"].force_login(with_role(None, full_name="Paul Plain"))
    made["superuser"].force_login(world.superuser)
    return made


def answer(response) -> str:
    """The table's word for a response."""
    if response.status_code in (301, 302):
        location = response.headers.get("Location", "")
        if location.startswith(("/admin/login/", "/login/")):
            return "login"
    return str(response.status_code)


def state(world: World) -> dict:
    """Every row a refused request must leave as it is."""
    counted = (
        Return,
        ReturnLine,
        ReturnEvent,
        ReturnLabel,
        TrackingEvent,
        Refund,
        StoreCreditMovement,
        Repayment,
        ExchangeDue,
        StockMovement,
        Notification,
        Order,
        OrderLine,
        Customer,
        User,
        Group,
        Product,
        Variant,
        ReturnReason,
        ReturnAction,
        ReturnRule,
        ShippingMethod,
        EmailTemplate,
        ApiKey,
        IdempotentResponse,
        WebhookEndpoint,
        WebhookDelivery,
    )
    return {
        "counts": {model.__name__: model.objects.count() for model in counted},
        "return": Return.objects.values_list("status", "staff_note", "action_id").get(
            pk=world.return_a.pk
        ),
        "label": ReturnLabel.objects.values_list("status").get(pk=world.label_a.pk),
        "refunds": list(Refund.objects.order_by("pk").values_list("status", "reference")),
        "due": ExchangeDue.objects.values_list("status", "reference").get(pk=world.due_a.pk),
        "notifications": list(
            Notification.objects.order_by("pk").values_list("status", "attempts")
        ),
        "webhooks": list(
            WebhookDelivery.objects.order_by("pk").values_list("status", "max_attempts")
        ),
        "endpoints": list(WebhookEndpoint.objects.order_by("pk").values_list("url", "active")),
        "stock": list(Variant.objects.order_by("pk").values_list("stock_on_hand", "price")),
        "users": list(
            User.objects.order_by("pk").values_list("email", "is_staff", "is_active", "language")
        ),
        "settings": ShopSettings.objects.values_list("returns_allowed", "shop_name").get(),
    }


# --- the tests ---------------------------------------------------------------------------------


def test_every_url_is_in_the_table():
    # given
    walked = routes()
    # then: a new URL needs its row; a row without a URL is stale
    assert [route for route in walked if route not in TABLE] == []
    assert [route for route in TABLE if route not in walked] == []
    assert all(len(get.split()) == len(post.split()) == len(ACTORS) for get, post in TABLE.values())


def test_every_url_is_filled_with_real_objects_and_resolves_to_its_route():
    # given
    world = build_world()
    # when
    resolved = {route: resolve(path_for(route, world)).route for route in routes()}
    # then
    assert [route for route, found in resolved.items() if found != route] == []


@pytest.fixture
def production_webhooks(settings):
    """The webhooks configured as in production: Postmark sends, both secrets are set."""
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook-user:hook-password"}
    settings.CARRIER_WEBHOOK_SECRET = "carrier-secret"
    settings.RETURN_CARRIERS = {
        **settings.RETURN_CARRIERS,
        "sendcloud": {
            "BACKEND": "returns.carriers.sendcloud.SendcloudCarrier",
            "OPTIONS": {"public_key": "public", "secret_key": "sendcloud-secret"},
        },
    }
    # /healthz pings for a worker that never answers in the tests: not for long.
    settings.HEALTH_WORKER_TIMEOUT_SECONDS = 0.1


@pytest.mark.parametrize("actor", ACTORS)
def test_each_url_answers_as_the_table_says_and_a_refused_post_changes_nothing(
    actor, production_webhooks
):
    # given
    world = build_world()
    browser = clients(world)[actor]
    column = ACTORS.index(actor)
    wrong, changed, posted = [], [], 0
    # when: every URL, GET
    for route in routes():
        response = browser.get(path_for(route, world))
        expected = TABLE[route][0].split()[column]
        if answer(response) != expected:
            wrong.append(("GET", route, expected, answer(response)))
    # and every POST the actor has no right to make
    before = state(world)
    for route in routes():
        expected = TABLE[route][1].split()[column]
        if expected == "-":
            continue
        response = browser.post(path_for(route, world), post_data(route, world))
        posted += 1
        if answer(response) != expected:
            wrong.append(("POST", route, expected, answer(response)))
        if state(world) != before:
            changed.append(route)
            before = state(world)
    # then
    assert wrong == []
    assert changed == []
    assert posted == sum(TABLE[route][1].split()[column] != "-" for route in TABLE)
