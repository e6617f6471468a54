"""A return's page for an id that is no return's (not a number, out of any column's range, no
row) answers 404, never a 500, and reads no return."""

import pytest

from returns.models import Return
from tests.returns.admin.helpers import make_return, page_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "object_id", ["abc", "12.5", "99999999999999999999999", "-99999999999999999999999", "0"]
)
def test_an_id_that_is_no_return_is_404(as_agent, order, object_id):
    # given
    ret = make_return(order, 1)
    before = list(Return.objects.values_list("pk", "status"))
    # when
    response = as_agent.get(f"/admin/returns/return/{object_id}/change/")
    # then
    assert response.status_code == 404
    assert list(Return.objects.values_list("pk", "status")) == before
    assert as_agent.get(page_url(ret)).status_code == 200


def test_an_id_of_no_row_reads_the_return_query_only(as_agent, order, django_assert_num_queries):
    ret = make_return(order, 1)
    missing = Return.objects.order_by("-pk").first().pk + 1
    as_agent.get(page_url(ret))  # the session and the user read, the queries compiled
    # when: the session, the user, the return's query (no row): nothing else
    with django_assert_num_queries(3):
        response = as_agent.get(f"/admin/returns/return/{missing}/change/")
    # then
    assert response.status_code == 404
