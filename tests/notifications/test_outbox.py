"""The outbox: a status change told to the customer writes one Notification row in its
transaction, and the email leaves only after commit, once."""

import pytest
from django.core import mail
from django.db import transaction
from kombu.exceptions import OperationalError

from notifications.models import Notification
from notifications.services import notification_enqueue
from returns.models import ReturnEvent, ReturnStatus
from returns.services import ReturnError, return_approve, return_reject
from tests.factories import bare_return
from tests.fixtures.notifications import publishing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_a_change_with_notify_on_sends_one_email_in_the_customers_language(
    manager, django_capture_on_commit_callbacks
):
    # given: a French customer's return of two shirts, dropped in store (no label)
    ret = bare_return(
        language="fr",
        email="camille@example.com",
        items=[("Chemise en lin", "L", 2)],
        delivery_option="in_store",
    )
    # when
    with django_capture_on_commit_callbacks(execute=True):
        return_approve(actor=manager, ret=ret, notify=True)
    # then
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["camille@example.com"]
    assert email.subject == f"Votre retour {ret.rma_number} est accepté"
    assert "Bonne nouvelle : votre retour" in email.body
    assert "2 × Chemise en lin (L)" in email.body
    assert f"http://127.0.0.1:8000/returns/{ret.rma_number}/" in email.body
    assert "Maison Lumière" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="fr">' in html
    assert "Chemise en lin" in html
    notification = Notification.objects.get()
    assert notification.status == Notification.Status.SENT
    assert notification.language == "fr"
    assert notification.event == "approved"
    assert notification.attempts == 1
    assert notification.return_event == ReturnEvent.objects.get(to_status="approved")
    assert notification.provider_message_id == email.extra_headers["Message-ID"]


def test_an_english_customer_gets_the_english_template(manager, django_capture_on_commit_callbacks):
    # given
    ret = bare_return(language="en", items=[("Linen shirt", "M", 1)])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        return_reject(actor=manager, ret=ret, reason="Worn and washed", notify=True)
    # then
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == f"Your return {ret.rma_number} was not accepted"
    assert "Reason: Worn and washed" in mail.outbox[0].body
    assert "1 × Linen shirt (M)" in mail.outbox[0].body
    assert Notification.objects.get().language == "en"


def test_a_change_with_notify_off_sends_nothing(manager, django_capture_on_commit_callbacks):
    # given
    ret = bare_return()
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        return_approve(actor=manager, ret=ret, notify=False)
    # then: the change is made, and no row, no callback, no email
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.APPROVED
    assert Notification.objects.count() == 0
    assert publishing(callbacks) == []
    assert mail.outbox == []


def test_a_rolled_back_change_sends_nothing(manager, django_capture_on_commit_callbacks):
    # given
    ret = bare_return()

    def approve_then_fail():
        with transaction.atomic():
            return_approve(actor=manager, ret=ret, notify=True)
            raise RuntimeError("the next step failed")

    # when: something after the change fails in the same transaction
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        approve_then_fail()
    # then
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REQUESTED
    assert Notification.objects.count() == 0
    assert publishing(callbacks) == []
    assert mail.outbox == []


def test_a_refused_change_sends_nothing(manager, django_capture_on_commit_callbacks):
    # given: a return already rejected
    ret = bare_return(status=ReturnStatus.REJECTED)
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ReturnError):
        return_approve(actor=manager, ret=ret, notify=True)
    # then
    assert Notification.objects.count() == 0
    assert publishing(callbacks) == []
    assert mail.outbox == []


def test_the_email_waits_for_the_commit(manager, django_capture_on_commit_callbacks):
    # given
    ret = bare_return()
    # when: the transaction has not committed yet
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        return_approve(actor=manager, ret=ret, notify=True)
    # then: the row is written, queued, and nothing is sent
    assert Notification.objects.get().status == Notification.Status.QUEUED
    assert len(publishing(callbacks)) == 1
    assert mail.outbox == []


def test_enqueueing_one_change_twice_queues_one_email(django_capture_on_commit_callbacks):
    # given
    ret = bare_return()
    event = ReturnEvent.objects.create(ret=ret, from_status="requested", to_status="approved")
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = notification_enqueue(ret=ret, event="approved", return_event=event)
        second = notification_enqueue(ret=ret, event="approved", return_event=event)
    # then
    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert len(publishing(callbacks)) == 1
    assert len(mail.outbox) == 1


def test_each_label_resend_without_a_change_is_its_own_email(django_capture_on_commit_callbacks):
    # given
    ret = bare_return(language="en")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        notification_enqueue(ret=ret, event="label_resent")
        notification_enqueue(ret=ret, event="label_resent")
    # then
    assert Notification.objects.filter(event="label_resent").count() == 2
    assert [email.subject for email in mail.outbox] == [
        f"Your return label for {ret.rma_number}"
    ] * 2


def test_an_unknown_event_is_refused_and_writes_nothing():
    # given
    ret = bare_return()
    # when / then
    with pytest.raises(ValueError, match="unknown notification event"):
        notification_enqueue(ret=ret, event="shipped-to-mars")
    assert Notification.objects.count() == 0


def test_a_language_the_shop_does_not_speak_falls_back_to_the_default(settings):
    # given: a French shop, and a customer imported with a language it has no templates for
    settings.LANGUAGE_CODE = "fr"
    ret = bare_return(language="de")
    # when
    notification = notification_enqueue(ret=ret, event="requested")
    # then
    assert notification.language == "fr"


def test_a_broker_that_is_down_does_not_fail_the_change(
    manager, monkeypatch, django_capture_on_commit_callbacks
):
    # given: the broker refuses every message
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr("notifications.tasks.send_notification.apply_async", broker_down)
    ret = bare_return()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        return_approve(actor=manager, ret=ret, notify=True)
    # then: the change is made and the email waits, queued, for the sweep
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.APPROVED
    notification = Notification.objects.get()
    assert notification.status == Notification.Status.QUEUED
    assert notification.attempts == 0
    assert mail.outbox == []


def test_after_a_broker_failure_the_next_changes_do_not_wait_on_it(
    manager, monkeypatch, django_capture_on_commit_callbacks
):
    # given: a broker that fails (as one that times out would, slowly)
    tries = []

    def broker_down(*args, **kwargs):
        tries.append(args)
        raise OperationalError("timed out")

    monkeypatch.setattr("notifications.tasks.send_notification.apply_async", broker_down)
    returns = [bare_return() for _ in range(3)]
    # when: three changes in a row
    with django_capture_on_commit_callbacks(execute=True):
        for ret in returns:
            return_approve(actor=manager, ret=ret, notify=True)
    # then: the broker was tried once; all three emails wait, queued, for the sweep
    assert len(tries) == 1
    assert Notification.objects.filter(status=Notification.Status.QUEUED).count() == 3
