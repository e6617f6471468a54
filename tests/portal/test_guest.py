"""The guest lookup: an order number with its email or postcode opens that order for the session,
with the same rules as for customers; and the services' guest_order_verified keyword."""

import time
import uuid

import pytest
from django.contrib.sessions.models import Session

from portal.views.scope import GUEST_ORDER_KEY
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.services import (
    ReturnError,
    ReturnLineInput,
    ReturnPermissionError,
    return_approve,
    return_cancel,
    return_mark_in_transit,
    return_request,
)
from tests.factories import StaffFactory
from tests.fixtures.web import english_client, shown_messages
from tests.portal.helpers import form_data, nothing_written

pytestmark = pytest.mark.django_db

NOT_FOUND = (
    "We could not find an order with these details. Check the order number and the "
    "email address or postcode, as written in your confirmation email."
)
TOO_MANY = "Too many attempts. For your security, please wait 15 minutes and try again."


def look_up(client, number, secret, **extra):
    return client.post("/lookup/", {"order_number": number, "email_or_postcode": secret}, **extra)


def errors_of(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


@pytest.mark.parametrize(
    "secret", ["camille@example.com", " CAMILLE@Example.com ", "75011", " 75 011 "]
)
def test_the_number_with_its_email_or_postcode_opens_the_order(client, order, secret):
    # when
    found = look_up(client, "demo-1001", secret, follow=True)
    # then
    assert found.redirect_chain == [("/orders/DEMO-1001/", 302)]
    assert found.context["order"] == order
    assert found.context["is_guest"] is True
    assert 'href="/orders/DEMO-1001/return/"' in found.content.decode()


def test_a_wrong_pair_gets_one_generic_message(client, order, other_order):
    # when: a wrong email, a wrong postcode, another order's email, an unknown number
    answers = [
        look_up(client, "DEMO-1001", "someone@example.com"),
        look_up(client, "DEMO-1001", "75012"),
        look_up(client, "DEMO-1001", other_order.email),
        look_up(client, "NOPE-1", "camille@example.com"),
    ]
    # then
    assert [errors_of(answer) for answer in answers] == [[NOT_FOUND]] * 4
    assert GUEST_ORDER_KEY not in client.session
    assert client.get("/orders/DEMO-1001/").status_code == 302  # to log in


def test_repeated_tries_are_throttled(client, order):
    # given: five wrong tries on this order
    for postcode in ["75001", "75002", "75003", "75004", "75005"]:
        look_up(client, "DEMO-1001", postcode)
    # when: even the right postcode, from another address, is refused for now
    refused = look_up(english_client(), "DEMO-1001", "75011", REMOTE_ADDR="10.9.9.9")
    # then
    assert errors_of(refused) == [TOO_MANY]
    assert GUEST_ORDER_KEY not in client.session


def test_tries_from_one_address_are_throttled_whatever_the_order(client, order):
    # given: ten wrong tries on ten numbers from one address
    for n in range(10):
        look_up(client, f"X-{n}", "75011")
    # when
    refused = look_up(client, "DEMO-1001", "75011")
    # then
    assert errors_of(refused) == [TOO_MANY]


def test_a_guest_sees_only_that_order(client, order, other_order):
    # given
    look_up(client, "DEMO-1001", "75011")
    other_return = return_request(
        idempotency_key=uuid.uuid4().hex,
        actor=other_order.customer.user,
        order=other_order,
        refund_mode="money_back",
        delivery_option="label",
        lines=[
            ReturnLineInput(
                order_line_id=other_order.lines.get().pk, quantity=1, reason_code="wrong-size"
            )
        ],
    )
    # when
    responses = [
        client.get(f"/orders/{other_order.number}/"),
        client.get(f"/orders/{other_order.number}/return/"),
        client.get(f"/returns/{other_return.rma_number}/"),
        client.post(f"/returns/{other_return.rma_number}/cancel/"),
    ]
    # then
    assert [response.status_code for response in responses] == [404, 404, 404, 404]
    assert client.get("/orders/").status_code == 302  # My orders needs an account
    assert Return.objects.get(pk=other_return.pk).status == ReturnStatus.REQUESTED


def test_a_guest_requests_a_return_and_cancels_it(client, order):
    # given
    look_up(client, "DEMO-1001", "camille@example.com")
    # when
    client.post("/orders/DEMO-1001/return/", form_data(order, (1, "wrong-size")))
    summary = client.get("/orders/DEMO-1001/return/confirm/")
    confirmed = client.post("/orders/DEMO-1001/return/confirm/", follow=True)
    # then
    ret = Return.objects.get()
    assert summary.status_code == 200
    assert confirmed.redirect_chain == [(f"/returns/{ret.rma_number}/", 302)]
    assert (ret.order_id, ret.channel, ret.created_by_id, ret.status) == (
        order.pk,
        "portal",
        None,
        ReturnStatus.REQUESTED,
    )
    # when the guest cancels it
    cancelled = client.post(f"/returns/{ret.rma_number}/cancel/", follow=True)
    # then
    assert shown_messages(cancelled) == [f"Your return {ret.rma_number} is cancelled."]
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.CANCELLED


def test_a_guest_gets_the_same_rules(client, order, shop_settings):
    # given
    look_up(client, "DEMO-1001", "75011")
    shop_settings.offer_money_back = False
    shop_settings.save()
    before = nothing_written()
    # when
    posted = client.post("/orders/DEMO-1001/return/", form_data(order, (1, "wrong-size")))
    # then
    assert posted.context["form"].errors == {"refund_mode": ["This refund option is not offered."]}
    assert nothing_written() == before


def test_the_guest_access_ends_after_a_day(client, order):
    # given: an access granted 25 hours ago
    look_up(client, "DEMO-1001", "75011")
    session = client.session
    session[GUEST_ORDER_KEY] = {**session[GUEST_ORDER_KEY], "until": time.time() - 3600}
    session.save()
    # when
    response = client.get("/orders/DEMO-1001/")
    # then
    assert response.status_code == 302
    assert GUEST_ORDER_KEY not in client.session


def test_closing_the_order_ends_the_access(client, order):
    # given
    look_up(client, "DEMO-1001", "75011")
    # when
    client.post("/lookup/close/")
    # then
    assert client.get("/orders/DEMO-1001/").status_code == 302


def test_the_lookup_without_csrf_token_is_refused(order):
    # when
    response = look_up(english_client(enforce_csrf_checks=True), "DEMO-1001", "75011")
    # then
    assert response.status_code == 403


def test_the_lookup_gives_a_new_session_key(client, order):
    # given: a session that existed before the lookup
    client.get("/lookup/")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    session_before = client.session.session_key
    # when
    look_up(client, "DEMO-1001", "75011")
    # then
    assert client.session.session_key != session_before


def test_a_session_id_planted_in_the_browser_gains_nothing(client, order):
    # given: a session id the visitor did not get from us (no such row)
    client.cookies["sessionid"] = "planted0planted0planted0planted0"
    # when
    look_up(client, "DEMO-1001", "75011")
    # then: the access is under a key of ours, the planted one stays unknown
    assert client.session.session_key != "planted0planted0planted0planted0"
    assert client.session[GUEST_ORDER_KEY]["order"] == order.pk
    assert not Session.objects.filter(session_key="planted0planted0planted0planted0").exists()


def test_the_old_session_is_deleted_and_what_it_held_is_kept(customer_client, other_order):
    # given: a logged-in customer's session, in English
    customer_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    before = customer_client.session.session_key
    held = dict(customer_client.session.items())
    # when: they open another order as a guest
    found = look_up(customer_client, "DEMO-2001", other_order.email)
    # then: a new key, the old row gone, the login and everything else kept beside the access
    assert found["Location"] == "/orders/DEMO-2001/"
    after = customer_client.session
    assert after.session_key != before
    assert not Session.objects.filter(session_key=before).exists()
    assert {key: after[key] for key in held} == held
    assert after[GUEST_ORDER_KEY]["order"] == other_order.pk
    assert customer_client.get("/orders/").status_code == 200  # still logged in


def test_a_found_lookup_writes_the_new_session_once(order, django_assert_num_queries):
    # given: a browser with its CSRF cookie only (no session), as wrk's lookup in the bench
    client = english_client()
    # when / then: the two throttle hits, the order, the two hits taken back in one statement
    # (a found order is no miss), the new key's check and its one INSERT in its savepoint
    # (cycle_key wrote it again by an UPDATE in another: 12 before, 9 with a take-back each)
    with django_assert_num_queries(8):
        found = look_up(client, "DEMO-1001", "75011")
    assert found["Location"] == "/orders/DEMO-1001/"
    row = Session.objects.get(session_key=client.session.session_key)
    assert row.get_decoded()[GUEST_ORDER_KEY]["order"] == order.pk
    assert Session.objects.count() == 1


def test_a_browser_with_a_session_gets_it_rotated_in_the_same_writes(
    client, order, django_assert_num_queries
):
    # given: a session that existed before the lookup (a language chosen)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    before = client.session.session_key
    # when / then: the session read, the throttle's three statements, the order, the old row
    # deleted by one statement, the new key's check and its one INSERT in its savepoint (15
    # before, 12 with the old row read first and a take-back each)
    with django_assert_num_queries(10):
        look_up(client, "DEMO-1001", "75011")
    # then
    assert list(Session.objects.values_list("session_key", flat=True)) == [
        client.session.session_key
    ]
    assert client.session.session_key != before


# --- the services' keyword --------------------------------------------------------------------


def guest_request(order, actor=None, **extra):
    return return_request(
        idempotency_key=uuid.uuid4().hex,
        actor=actor,
        order=order,
        refund_mode="money_back",
        delivery_option="label",
        lines=[
            ReturnLineInput(
                order_line_id=order.lines.order_by("id")[0].pk, quantity=1, reason_code="wrong-size"
            )
        ],
        **extra,
    )


def test_return_request_lets_a_verified_guest_act_on_the_order(order):
    # when
    ret = guest_request(order, guest_order_verified=True)
    # then
    assert (ret.status, ret.created_by_id) == (ReturnStatus.REQUESTED, None)
    assert list(ReturnEvent.objects.filter(ret=ret).values_list("actor_id", "to_status")) == [
        (None, "requested")
    ]


def test_return_request_refuses_a_guest_not_verified(order):
    # given
    before = nothing_written()
    # when
    with pytest.raises(ReturnPermissionError):
        guest_request(order)
    # then
    assert nothing_written() == before


def test_the_keyword_does_not_let_another_account_act(order, other_customer):
    # given
    before = nothing_written()
    # when
    with pytest.raises(ReturnPermissionError):
        guest_request(order, actor=other_customer.user, guest_order_verified=True)
    # then
    assert nothing_written() == before


def test_return_cancel_lets_a_verified_guest_cancel_before_shipping(order):
    # given
    ret = guest_request(order, guest_order_verified=True)
    # when / then: refused without the keyword, done with it
    with pytest.raises(ReturnPermissionError):
        return_cancel(actor=None, ret=ret)
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.REQUESTED
    cancelled = return_cancel(actor=None, ret=ret, guest_order_verified=True)
    assert cancelled.status == ReturnStatus.CANCELLED


def test_a_verified_guest_cannot_cancel_once_shipped(order):
    # given
    staff = StaffFactory(is_superuser=True)
    ret = guest_request(order, guest_order_verified=True)
    return_mark_in_transit(actor=staff, ret=return_approve(actor=staff, ret=ret))
    # when / then
    with pytest.raises(ReturnError):
        return_cancel(actor=None, ret=Return.objects.get(pk=ret.pk), guest_order_verified=True)
    assert Return.objects.get(pk=ret.pk).status == ReturnStatus.IN_TRANSIT
