"""The label emails carry the label PDF: the approval of a return sent back with a label, and a
label sent again; the customer reads the tracking number."""

from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from pypdf import PdfReader

from notifications.models import Notification
from returns.selectors import labels as label_reads
from returns.services import labels, return_approve
from shop.models import User
from tests.factories import StaffFactory, bare_return

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def notifications():
    """The real outbox here, not the returns tests' recorder."""


@pytest.fixture
def manager(db):
    user = StaffFactory()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["returns", "notifications"])
    )
    return User.objects.get(pk=user.pk)


def test_the_approval_email_carries_the_label(manager, django_capture_on_commit_callbacks):
    # given: an English customer's return, sent back with a label
    ret = bare_return(language="en", email="alex@example.com")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        return_approve(actor=manager, ret=ret)
    # then
    label = label_reads.live_label(ret, with_pdf=True)
    assert Notification.objects.get().event == "approved_with_label"
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == f"Your return {ret.rma_number} is approved: your label is ready"
    assert f"tracking number {label.tracking_number}" in email.body
    [(filename, content, mimetype)] = email.attachments
    assert (filename, mimetype) == (f"return-label-{ret.rma_number}.pdf", "application/pdf")
    assert content == bytes(label.pdf)
    assert ret.rma_number in PdfReader(BytesIO(content)).pages[0].extract_text()


def test_a_resent_label_is_the_same_pdf_again(manager, django_capture_on_commit_callbacks):
    # given
    ret = bare_return(language="fr", email="camille@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        return_approve(actor=manager, ret=ret)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        labels.label_resend(actor=manager, ret=ret)
    # then
    first, second = mail.outbox
    assert second.attachments == first.attachments
    assert list(Notification.objects.order_by("id").values_list("event", flat=True)) == [
        "approved_with_label",
        "label_resent",
    ]
    assert "numéro de suivi" in second.body


def test_a_label_cancelled_before_sending_is_not_attached(
    manager, django_capture_on_commit_callbacks
):
    # given: the approval email is still queued when the label is cancelled
    ret = bare_return(language="en")
    return_approve(actor=manager, ret=ret)
    labels.label_cancel(actor=manager, ret=ret)
    # when
    from notifications.delivery import deliver_notification

    deliver_notification(notification_id=Notification.objects.get().pk)
    # then
    assert mail.outbox[0].attachments == []
