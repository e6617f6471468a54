"""A staff session ends after STAFF_SESSION_IDLE_TIMEOUT seconds without a request
(config/middleware.py, shop/sessions.py); a customer's does not."""

import time

import pytest

from shop.sessions import ACTIVITY_RESOLUTION, LAST_ACTIVITY_KEY
from tests.factories import StaffFactory, UserFactory
from tests.fixtures.web import logged_in, messages_of

pytestmark = pytest.mark.django_db


def _last_active(client, seconds_ago: int) -> int:
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - seconds_ago
    session.save()
    return session[LAST_ACTIVITY_KEY]


def test_staff_idle_longer_than_the_timeout_is_logged_out(settings):
    # given: a staff member whose last request is 31 minutes old (timeout 30 minutes)
    settings.STAFF_SESSION_IDLE_TIMEOUT = 1800
    client = logged_in(StaffFactory(is_superuser=True))
    _last_active(client, 1800 + 60)
    # when
    response = client.get("/admin/")
    # then: sent to the login page, no longer logged in
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in client.session
    assert messages_of(response) == [("info", "You were logged out after a period of inactivity.")]


def test_staff_active_within_the_timeout_stays_and_the_time_moves_on(settings):
    # given: last request 10 minutes ago
    settings.STAFF_SESSION_IDLE_TIMEOUT = 1800
    staff = StaffFactory(is_superuser=True)
    client = logged_in(staff)
    before = _last_active(client, 600)
    # when
    response = client.get("/admin/")
    # then
    assert response.status_code == 200
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.session[LAST_ACTIVITY_KEY] >= before + 600


def test_a_request_within_the_resolution_does_not_rewrite_the_session(settings):
    # given: last request a few seconds ago
    settings.STAFF_SESSION_IDLE_TIMEOUT = 1800
    client = logged_in(StaffFactory(is_superuser=True))
    before = _last_active(client, 5)
    # when
    client.get("/admin/")
    # then
    assert ACTIVITY_RESOLUTION == 60
    assert client.session[LAST_ACTIVITY_KEY] == before


def test_a_customer_idle_for_a_day_stays_logged_in(settings):
    # given
    settings.STAFF_SESSION_IDLE_TIMEOUT = 1800
    user = UserFactory()
    client = logged_in(user)
    _last_active(client, 24 * 3600)
    # when
    response = client.get("/")
    # then
    assert response.status_code in (200, 302)
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_timeout_of_zero_turns_the_limit_off(settings):
    # given
    settings.STAFF_SESSION_IDLE_TIMEOUT = 0
    staff = StaffFactory(is_superuser=True)
    client = logged_in(staff)
    _last_active(client, 7 * 24 * 3600)
    # when
    response = client.get("/admin/")
    # then
    assert response.status_code == 200
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_login_starts_the_clock_so_the_first_request_writes_no_session(settings):
    # given: a staff member who just logged in
    settings.STAFF_SESSION_IDLE_TIMEOUT = 1800
    client = logged_in(StaffFactory(is_superuser=True))
    started = client.session[LAST_ACTIVITY_KEY]
    # when
    client.get("/admin/")
    # then
    assert isinstance(started, int)
    assert client.session[LAST_ACTIVITY_KEY] == started


def test_a_session_without_the_time_gets_it_on_its_next_request(settings):
    # given: a staff session from before the idle timeout existed
    settings.STAFF_SESSION_IDLE_TIMEOUT = 1800
    staff = StaffFactory(is_superuser=True)
    client = logged_in(staff)
    session = client.session
    del session[LAST_ACTIVITY_KEY]
    session.save()
    # when
    response = client.get("/admin/")
    # then
    assert response.status_code == 200
    assert isinstance(client.session[LAST_ACTIVITY_KEY], int)
    assert client.session["_auth_user_id"] == str(staff.pk)
