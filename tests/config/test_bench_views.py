"""The benchmarks' hooks (config/bench.py): the minimal page and the query-count header, both
off unless BENCH_VIEWS."""

import pytest
from django.test import Client

from config.bench import QUERIES_HEADER

pytestmark = pytest.mark.django_db
MINIMAL = "/bench/minimal/"


@pytest.fixture
def bench_on(settings):
    settings.BENCH_VIEWS = True
    settings.MIDDLEWARE = ["config.bench.QueryCountMiddleware", *settings.MIDDLEWARE]


def test_the_minimal_page_is_off_by_default(customer_client):
    response = customer_client.get(MINIMAL)
    assert response.status_code == 404
    assert QUERIES_HEADER not in response


@pytest.mark.usefixtures("bench_on")
def test_the_minimal_page_answers_a_logged_in_visitor_only(customer_user):
    # given
    visitor, member = Client(), Client()
    member.force_login(customer_user)
    # when
    refused, answered = visitor.get(MINIMAL), member.get(MINIMAL)
    # then
    assert refused.status_code == 403
    assert answered.status_code == 200
    assert answered.content == b"ok\n"


@pytest.mark.usefixtures("bench_on")
def test_each_response_says_how_many_queries_it_made(customer_user, django_assert_num_queries):
    # given
    member = Client()
    member.force_login(customer_user)
    # when: the session and its user, nothing else
    with django_assert_num_queries(2):
        response = member.get(MINIMAL)
    # then
    assert response[QUERIES_HEADER] == "2"
