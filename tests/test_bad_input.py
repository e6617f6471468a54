"""Bad input is a 400 or a form error, never a 500, and changes nothing: each input that broke
a page (issue "A hostile world", first list), replayed. Most broke on PostgreSQL only (a NUL
byte or a text longer than its column is an error there); each test also asserts here what
SQLite used to let through."""

import base64
import json

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from notifications.models import Notification
from notifications.services import notification_enqueue
from refunds.models import Refund
from returns.carriers.signing import signature_header
from returns.models import Return, ReturnEvent, TrackingEvent
from shop.models import StockMovement, User
from tests.factories import bare_return, superuser
from tests.returns.helpers import create
from tests.returns.labels.helpers import approved_with_label, hours_later, label_of

pytestmark = pytest.mark.django_db

CARRIER_SECRET = "carrier-shared-secret"
ANYMAIL_SECRET = "hook-user:hook-password"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.CARRIER_WEBHOOK_SECRET = CARRIER_SECRET
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ANYMAIL_SECRET}


@pytest.fixture
def browser():
    """A browser that gets the 500 page instead of the exception."""
    return Client(raise_request_exception=False)


@pytest.fixture
def as_superuser(db):
    client = Client(raise_request_exception=False)
    client.force_login(superuser())
    return client


@pytest.fixture
def as_customer(customer):
    client = Client(raise_request_exception=False)
    client.force_login(customer.user)
    return client


def nothing_changed() -> dict:
    return {
        "returns": Return.objects.count(),
        "events": ReturnEvent.objects.count(),
        "refunds": Refund.objects.count(),
        "stock movements": StockMovement.objects.count(),
        "tracking": TrackingEvent.objects.count(),
        "users": User.objects.count(),
        "statuses": list(Return.objects.order_by("id").values_list("status", flat=True)),
    }


# --- NUL bytes in paths, queries, cookies and forms -------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/orders/%00/",
        "/returns/%00/",
        "/returns/%00/label/",
        "/orders/%00/return/",
        "/account/confirm/%00/",
    ],
)
def test_a_nul_byte_in_a_portal_path_is_400(as_customer, order, path):
    # when
    response = as_customer.get(path)
    # then
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url", ["/orders/?reason=%00", "/orders/?page=%00", "/lookup/?order_number=%00"]
)
def test_a_nul_byte_in_a_portal_query_string_is_400(as_customer, order, url):
    # when
    response = as_customer.get(url)
    # then
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/admin/returns/return/?reason=%00",
        "/admin/returns/return/?q=%00",
        "/admin/refunds/refund/?status=%00",
        "/admin/returns/returnlabel/?q=a%00",
    ],
)
def test_a_nul_byte_in_a_back_office_query_string_is_400(as_superuser, url):
    # when
    response = as_superuser.get(url)
    # then
    assert response.status_code == 400


def test_a_nul_byte_in_a_form_field_is_400_and_creates_nothing(as_superuser, staff, order):
    # given: the back-office's create page, its key carrying a NUL byte
    before = nothing_changed()
    url = reverse("admin:returns_return_create", args=[order.pk])
    # when
    response = as_superuser.post(url, {"idempotency_key": "k\x00", "reason": "x"})
    # then
    assert response.status_code == 400
    assert nothing_changed() == before


def test_a_nul_byte_in_a_cookie_is_400(browser, db):
    # given
    browser.cookies["sessionid"] = "abcdefgh\x00ijkl"
    # when
    response = browser.get("/login/")
    # then
    assert response.status_code == 400


# --- non-integer ids in the admin's actions ---------------------------------------------------


def test_a_return_action_on_a_selection_that_is_no_id_is_400_and_changes_nothing(
    as_superuser, staff, order
):
    # given
    ret = create(staff, order, 1)
    before = nothing_changed()
    # when
    response = as_superuser.post(
        reverse("admin:returns_return_changelist"),
        {"action": "approve_selected", "_selected_action": [str(ret.pk), "abc"], "index": "0"},
    )
    # then
    assert response.status_code == 400
    assert nothing_changed() == before


def test_a_refund_action_on_a_selection_that_is_no_id_is_400(as_superuser, db):
    # when
    response = as_superuser.post(
        reverse("admin:refunds_refund_changelist"),
        {"action": "mark_failed", "_selected_action": ["1 OR 1=1"], "index": "0"},
    )
    # then
    assert response.status_code == 400


# --- a 300-character email at signup ----------------------------------------------------------


def test_a_300_character_email_at_signup_is_a_form_error_and_makes_no_account(browser, db):
    # given
    email = "a" * 288 + "@example.com"
    before = User.objects.count()
    # when
    response = browser.post(
        reverse("signup"),
        {"email": email, "password1": "a-long-Passphrase-42", "password2": "a-long-Passphrase-42"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "Ensure this value has at most 254 characters (it has 300)."
    ]
    assert User.objects.count() == before


# --- carrier events ---------------------------------------------------------------------------


def post_carrier(browser, body: bytes):
    return browser.post(
        reverse("carrier_tracking_webhook", args=["offline"]),
        data=body,
        content_type="application/json",
        HTTP_X_CARRIER_SIGNATURE=signature_header(body, CARRIER_SECRET),
    )


def scan(label, **fields) -> bytes:
    event = {
        "id": "evt-1",
        "tracking_number": label.tracking_number,
        "status": "in_transit",
        "occurred_at": hours_later(1),
        **fields,
    }
    return json.dumps({"events": [event]}).encode()


@pytest.mark.parametrize(
    "fields",
    [
        {"occurred_at": "2026-02-30T10:00:00+01:00"},
        {"occurred_at": "2026-02-30 10:00"},
        {"occurred_at": "2026-13-01T10:00:00Z"},
        {"id": "e" * 101},
        {"tracking_number": "OL" + "1" * 70},
        {"id": "evt\x00"},
        {"location": "Lyon\x00"},
        {"description": "\ud800"},
        {"id": ["a", "list"]},
    ],
    ids=[
        "no-such-day",
        "no-such-day-naive",
        "no-such-month",
        "id-over-100",
        "tracking-number-over-64",
        "nul-in-id",
        "nul-in-location",
        "lone-surrogate",
        "id-a-list",
    ],
)
def test_a_signed_carrier_event_that_cannot_be_stored_is_400_and_records_nothing(
    browser, staff, order, fields
):
    # given
    ret = approved_with_label(staff, order, 1)
    before = nothing_changed()
    # when
    response = post_carrier(browser, scan(label_of(ret), **fields))
    # then
    assert response.status_code == 400
    assert nothing_changed() == before


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        None,  # a good event whose description nests 40 lists
        b'{"events": [{"id": 1' + b"0" * 5000 + b"}]}",
    ],
    ids=["100000-deep", "40-deep", "5000-digit-number"],
)
def test_a_deep_or_huge_json_body_to_the_carrier_webhook_is_400(browser, staff, order, body):
    # given
    label = label_of(approved_with_label(staff, order, 1))
    if body is None:
        body = scan(label).replace(
            b'"in_transit"', b'"in_transit", "description": ' + b"[" * 40 + b"]" * 40
        )
    before = nothing_changed()
    # when
    response = post_carrier(browser, body)
    # then
    assert response.status_code == 400
    assert nothing_changed() == before


def test_more_than_a_thousand_events_in_one_body_is_400(browser, staff, order):
    # given
    label = label_of(approved_with_label(staff, order, 1))
    event = json.loads(scan(label))["events"][0]
    body = json.dumps({"events": [{**event, "id": f"e{n}"} for n in range(1001)]}).encode()
    # when
    response = post_carrier(browser, body)
    # then
    assert response.status_code == 400
    assert TrackingEvent.objects.count() == 0


# --- malformed bodies to the Anymail webhook --------------------------------------------------


def post_anymail(browser, provider: str, body: bytes):
    """A report to `provider`'s webhook, as if we sent with it (only that one has an endpoint)."""
    token = base64.b64encode(ANYMAIL_SECRET.encode()).decode()
    with override_settings(EMAIL_BACKEND=f"anymail.backends.{provider}.EmailBackend"):
        return browser.post(
            f"/anymail/{provider}/tracking/",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Basic {token}",
        )


@pytest.mark.parametrize("provider", ["postmark", "sendgrid", "brevo", "mailjet", "sparkpost"])
@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"a": 1}', b'"text"', b"[" * 50_000 + b"]" * 50_000],
    ids=["not-json", "a-list", "another-object", "a-string", "deep"],
)
def test_a_malformed_body_to_the_anymail_webhook_is_400(browser, provider, body, db):
    # when
    response = post_anymail(browser, provider, body)
    # then: refused, or (an object the provider reads as no event) accepted
    assert response.status_code in (200, 400)
    assert response.status_code == 400 or body == b'{"a": 1}'


def test_a_provider_report_carrying_a_nul_byte_or_a_huge_id_changes_nothing(browser, db):
    # given: a sent email
    notification = notification_enqueue(ret=bare_return(), event="approved")
    Notification.objects.filter(pk=notification.pk).update(
        status="sent", provider_message_id="pm-1"
    )
    # when
    reports = [
        {"RecordType": "Bounce", "MessageID": "pm-1\x00", "Type": "HardBounce", "ID": 1},
        {
            "RecordType": "Bounce",
            "MessageID": "x",
            "Metadata": {"notification_id": "9" * 40},
            "Type": "HardBounce",
            "ID": 2,
        },
        {
            "RecordType": "Bounce",
            "MessageID": "x",
            "Metadata": {"notification_id": "²"},
            "Type": "HardBounce",
            "ID": 3,
        },
    ]
    responses = [post_anymail(browser, "postmark", json.dumps(r).encode()) for r in reports]
    # then
    assert [response.status_code for response in responses] == [200, 200, 200]
    assert Notification.objects.get(pk=notification.pk).status == "sent"


# --- ids too long for any id column (found by tests/test_fuzz.py) ------------------------------


def test_a_choice_by_an_id_out_of_range_is_a_form_error_not_a_500(db):
    # given: the back-office's "add a group", with a permission id no column can hold
    boss = superuser()
    browser = Client()
    browser.force_login(boss)
    groups = Group.objects.count()
    # when
    response = browser.post(
        "/admin/auth/group/add/", {"name": "Night shift", "permissions": "9" * 26}
    )
    # then
    assert response.status_code == 200
    assert "permissions" in response.context["adminform"].form.errors
    assert Group.objects.count() == groups


def test_a_list_action_on_an_id_out_of_range_is_400(db):
    # given
    boss = superuser()
    browser = Client()
    browser.force_login(boss)
    # when
    response = browser.post(
        "/admin/returns/return/",
        {"action": "delete_selected", "_selected_action": "9" * 26},
    )
    # then
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    ["/carriers/offline/tracking/", "/payments/stripe/webhook/", "/anymail/postmark/tracking/"],
)
def test_a_multipart_body_beyond_the_limit_to_a_webhook_is_400_not_500(browser, db, path):
    """Only the pages that take photos stream a large multipart body; a webhook, which reads
    the raw body, gets Django's refusal of a body too large, before the view."""
    # given: a 3 MB file, beyond DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
    before = nothing_changed()
    upload = SimpleUploadedFile("big.bin", b"x" * 3_000_000)
    # when
    response = browser.post(path, {"file": upload})
    # then
    assert response.status_code == 400
    assert nothing_changed() == before
