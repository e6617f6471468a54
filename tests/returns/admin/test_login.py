"""The back-office's login is throttled like the portal's: guessing a staff password stops."""

import pytest

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def _try(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password, "next": "/admin/"})


def test_five_wrong_passwords_pause_the_staff_login_even_with_the_right_one(client):
    # given
    staff = StaffFactory(email="sam@shop.example")
    # when
    wrong = [_try(client, staff.email, f"guess-{i}") for i in range(5)]
    right = _try(client, staff.email, "secret-pass-123")
    # then
    assert [response.status_code for response in wrong] == [200] * 5
    assert right.status_code == 200
    assert "Too many failed attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_password_logs_staff_in_and_forgets_earlier_failures(client):
    staff = StaffFactory(email="sam@shop.example")
    for i in range(4):
        _try(client, staff.email, f"guess-{i}")
    response = _try(client, staff.email, "secret-pass-123")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_a_customer_still_cannot_enter_the_back_office(client):
    customer = UserFactory(email="camille@example.com")
    response = _try(client, customer.email, "secret-pass-123")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
