"""The label's portal pages read the return's number only: no lines, no order, and the
label's file name from the return already read."""

import pytest
from django.urls import reverse

from tests.fixtures.web import logged_in
from tests.returns.labels.helpers import approved_with_label, label_of

pytestmark = pytest.mark.django_db


def test_the_label_download_reads_the_return_and_its_label_only(
    staff, order, customer_user, django_assert_num_queries
):
    # given
    ret = approved_with_label(staff, order, 1, 2)
    client = logged_in(customer_user)
    client.get(reverse("return_label", args=[ret.rma_number]))
    # when / then: session, user, customer, the return, its live label
    with django_assert_num_queries(5):
        response = client.get(reverse("return_label", args=[ret.rma_number]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="return-label-{ret.rma_number}.pdf"'
    )
    assert response.content == bytes(label_of(ret).pdf)


def test_the_qr_page_reads_the_return_and_its_label_only(
    staff, order, customer_user, django_assert_num_queries
):
    # given
    ret = approved_with_label(staff, order)
    client = logged_in(customer_user)
    client.get(reverse("return_label_qr", args=[ret.rma_number]))
    # when / then: session, user, customer, the return, its live label (the host's brand and
    # the shop settings of the layout are the process's memo since the first request)
    with django_assert_num_queries(5):
        response = client.get(reverse("return_label_qr", args=[ret.rma_number]))
    assert response.status_code == 200
    assert ret.rma_number in response.content.decode()
