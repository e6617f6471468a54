"""The confirm's session write (shop.sessions.save_alone): on PostgreSQL, outside any
transaction, the draft's removal is one UPDATE that commits without waiting for the WAL flush;
elsewhere the session middleware saves it as always. Either way the draft is gone."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.views.returns import DRAFT_KEY
from returns.models import Return
from shop.sessions import save_alone
from tests.portal.helpers import form_data


def _stored(client) -> dict:
    return Session.objects.get(session_key=client.session.session_key).get_decoded()


def _session_statements(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if "django_session" in query["sql"]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_draft_is_removed_in_one_statement_without_the_flush_wait(
    customer_client, order, monkeypatch
):
    # given: the form filled in (its draft in the session)
    monkeypatch.setattr("notifications.services.publish_send", lambda *args, **kwargs: True)
    customer_client.post(f"/orders/{order.number}/return/", form_data(order, (1, "wrong-size")))
    assert DRAFT_KEY in _stored(customer_client)
    # when
    with CaptureQueriesContext(connection) as captured:
        response = customer_client.post(f"/orders/{order.number}/return/confirm/")
    # then: the return made; the session read once and written once, by save_alone's UPDATE
    ret = Return.objects.get()
    assert response["Location"] == f"/returns/{ret.rma_number}/"
    statements = _session_statements(captured)
    assert len(statements) == 2
    assert statements[0].startswith("SELECT")
    assert statements[1].startswith('UPDATE "django_session"')
    assert "synchronous_commit" in statements[1]
    # the draft is gone from the stored session, the customer still logged in
    stored = _stored(customer_client)
    assert DRAFT_KEY not in stored
    assert stored["_auth_user_id"] == str(order.customer.user_id)


@pytest.mark.django_db
def test_inside_a_transaction_nothing_is_written_and_the_middleware_saves_it(
    customer_client, order
):
    # given: a stored session with a draft, changed in memory (tests run in a transaction)
    customer_client.post(f"/orders/{order.number}/return/", form_data(order, (1, "wrong-size")))
    session = customer_client.session
    session.pop(DRAFT_KEY)
    # when
    with CaptureQueriesContext(connection) as captured:
        saved = save_alone(session)
    # then: not written, still to be saved by the middleware; the stored draft untouched
    assert saved is False
    assert session.modified is True
    assert captured.captured_queries == []
    assert DRAFT_KEY in _stored(customer_client)


@pytest.mark.django_db
def test_the_confirm_still_removes_the_draft_when_the_middleware_saves_it(customer_client, order):
    # given
    customer_client.post(f"/orders/{order.number}/return/", form_data(order, (1, "wrong-size")))
    # when
    response = customer_client.post(f"/orders/{order.number}/return/confirm/")
    # then
    ret = Return.objects.get()
    assert response["Location"] == f"/returns/{ret.rma_number}/"
    assert DRAFT_KEY not in _stored(customer_client)
