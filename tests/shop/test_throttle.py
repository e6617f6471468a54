"""shop/throttle.py: counters in the database, attempts admitted or refused, and the client's
address read from a trusted proxy only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.commits import NO_FLUSH_WAIT_CONDITION
from shop.models import ThrottleCounter
from shop.tasks import purge_throttle_counters
from shop.throttle import (
    LOGIN_PER_ACCOUNT,
    LOGIN_PER_ACCOUNT_AT_ADDRESS,
    LOGIN_PER_ADDRESS,
    Throttle,
    admit,
    client_address,
    login_attempt,
    login_unlock,
)

pytestmark = pytest.mark.django_db


def test_each_hit_adds_one_and_the_limit_blocks():
    # given
    throttle = Throttle("test", limit=3, window=60)
    # when
    counts = [throttle.hit("a@example.com", "198.51.100.1") for _ in range(3)]
    # then
    assert counts == [1, 2, 3]
    assert throttle.blocked("a@example.com", "198.51.100.1") is True
    assert throttle.blocked("b@example.com", "198.51.100.1") is False
    assert ThrottleCounter.objects.count() == 1


def test_keys_hold_no_email_nor_address_in_clear():
    # given
    throttle = Throttle("test", limit=3, window=60)
    # when
    throttle.hit("a@example.com", "198.51.100.1")
    # then
    key = ThrottleCounter.objects.get().key
    assert key.startswith("test:")
    assert "example" not in key
    assert "198.51" not in key


def test_a_closed_window_starts_again_at_one():
    # given: a window that closed a second ago, at its limit
    throttle = Throttle("test", limit=2, window=60)
    throttle.hit("y")
    throttle.hit("y")
    ThrottleCounter.objects.update(window_ends=timezone.now() - timedelta(seconds=1))
    assert throttle.blocked("y") is False
    # when
    count = throttle.hit("y")
    # then: a new window of 60 s
    row = ThrottleCounter.objects.get()
    assert (count, row.count) == (1, 1)
    assert row.window_ends > timezone.now() + timedelta(seconds=50)


def test_resetting_unblocks():
    # given
    throttle = Throttle("test", limit=1, window=60)
    throttle.hit("x")
    # when
    throttle.reset("x")
    # then
    assert throttle.blocked("x") is False
    assert ThrottleCounter.objects.count() == 0


def test_a_refused_attempt_counts_in_no_throttle():
    # given: the second throttle is at its limit
    first = Throttle("first", limit=10, window=60)
    second = Throttle("second", limit=2, window=60)
    second.hit("b")
    second.hit("b")
    # when
    attempt = admit((first, ("a",)), (second, ("b",)))
    # then: refused, and neither count moved
    assert attempt is None
    assert (first.count("a"), second.count("b")) == (0, 2)


def test_an_admitted_attempt_can_be_taken_back():
    # given
    first = Throttle("first", limit=10, window=60)
    second = Throttle("second", limit=2, window=60)
    attempt = admit((first, ("a",)), (second, ("b",)))
    assert (first.count("a"), second.count("b")) == (1, 1)
    # when
    attempt.undo()
    # then
    assert (first.count("a"), second.count("b")) == (0, 0)


def test_an_attempts_take_backs_are_one_statement_and_stop_at_zero(django_assert_num_queries):
    # given: an attempt counted under three throttles, one of them already taken back
    first = Throttle("first", limit=10, window=60)
    second = Throttle("second", limit=10, window=60)
    third = Throttle("third", limit=10, window=60)
    first.hit("a")
    attempt = admit((first, ("a",)), (second, ("b",)), (third, ("c",)))
    third.undo("c")
    # when
    with django_assert_num_queries(1):
        attempt.undo()
    # then: each count one less, none below zero
    assert (first.count("a"), second.count("b"), third.count("c")) == (1, 0, 0)
    assert ThrottleCounter.objects.count() == 3


def test_a_take_back_never_counts_below_zero_nor_makes_a_row(django_assert_num_queries):
    # given: one attempt counted under "a", none ever under "b"
    throttle = Throttle("first", limit=10, window=60)
    throttle.hit("a")
    # when: taken back twice, and once where nothing was counted (one statement each)
    with django_assert_num_queries(3):
        throttle.undo("a")
        throttle.undo("a")
        throttle.undo("b")
    # then
    assert throttle.count("a") == 0
    assert list(ThrottleCounter.objects.values_list("key", "count")) == [(throttle.key("a"), 0)]


def test_a_blocked_address_does_not_move_the_accounts_it_tries():
    # given: an address at its 30 passwords
    for n in range(30):
        assert login_attempt(f"random-{n}@example.com", "198.51.100.9") is not None
    # when: it tries Camille's account
    refused = login_attempt("camille@example.com", "198.51.100.9")
    # then
    assert refused is None
    assert LOGIN_PER_ADDRESS.count("198.51.100.9") == 30
    assert LOGIN_PER_ACCOUNT.count("camille@example.com") == 0
    assert LOGIN_PER_ACCOUNT_AT_ADDRESS.count("camille@example.com", "198.51.100.9") == 0


def test_unlocking_an_account_forgets_it_at_every_address():
    # given: failures for Camille from two addresses, and for Alex
    login_attempt("camille@example.com", "198.51.100.1")
    login_attempt("Camille@Example.com", "198.51.100.2")
    login_attempt("alex@example.com", "198.51.100.1")
    # when
    login_unlock("camille@example.com")
    # then
    assert LOGIN_PER_ACCOUNT.count("camille@example.com") == 0
    assert LOGIN_PER_ACCOUNT_AT_ADDRESS.count("camille@example.com", "198.51.100.1") == 0
    assert LOGIN_PER_ACCOUNT_AT_ADDRESS.count("camille@example.com", "198.51.100.2") == 0
    assert LOGIN_PER_ACCOUNT_AT_ADDRESS.count("alex@example.com", "198.51.100.1") == 1
    assert LOGIN_PER_ACCOUNT.count("alex@example.com") == 1


def test_the_hourly_purge_deletes_closed_windows_only():
    # given
    throttle = Throttle("test", limit=5, window=60)
    throttle.hit("old")
    throttle.hit("live")
    ThrottleCounter.objects.filter(key=throttle.key("old")).update(
        window_ends=timezone.now() - timedelta(seconds=1)
    )
    # when
    deleted = purge_throttle_counters()
    # then
    assert deleted == 1
    assert list(ThrottleCounter.objects.values_list("key", flat=True)) == [throttle.key("live")]


# --- the client's address ---------------------------------------------------------------------


def _request(remote="192.0.2.10", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/login/", **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    # given
    settings.TRUSTED_PROXY_COUNT = 0
    # when
    address = client_address(_request(forwarded="203.0.113.5"))
    # then
    assert address == "192.0.2.10"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.5", "203.0.113.5"),
        # what the client sent stays on the left of what our proxy wrote
        (1, "10.0.0.1, 198.51.100.23", "198.51.100.23"),
        (1, "forged, 198.51.100.23", "198.51.100.23"),
        (2, "forged, 198.51.100.23, 192.0.2.200", "198.51.100.23"),
        # fewer hops than proxies: the leftmost, which a proxy wrote
        (2, "198.51.100.23", "198.51.100.23"),
        (1, " 198.51.100.23:51234 ", "198.51.100.23"),
        (1, "[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"),
        (1, "2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        (1, "::ffff:198.51.100.23", "198.51.100.23"),
    ],
)
def test_behind_trusted_proxies_the_address_is_that_many_hops_from_the_right(
    settings, proxies, forwarded, expected
):
    # given
    settings.TRUSTED_PROXY_COUNT = proxies
    # when
    address = client_address(_request(forwarded=forwarded))
    # then
    assert address == expected


def test_behind_a_proxy_without_the_header_the_remote_address_counts(settings):
    # given
    settings.TRUSTED_PROXY_COUNT = 1
    # when
    address = client_address(_request(remote="192.0.2.10"))
    # then
    assert address == "192.0.2.10"


def test_two_ipv6_addresses_of_one_subscriber_count_as_one(settings):
    # given
    settings.TRUSTED_PROXY_COUNT = 0
    # when
    first = client_address(_request(remote="2001:db8:aa:bb::1"))
    second = client_address(_request(remote="2001:db8:aa:bb:ffff::2"))
    # then
    assert first == second == "2001:db8:aa:bb::/64"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hit_in_autocommit_commits_without_the_flush_wait_and_counts_the_same():
    # given: no transaction open (a web request's throttle hit)
    throttle = Throttle("test", limit=3, window=60)
    # when
    with CaptureQueriesContext(connection) as captured:
        counts = [throttle.hit("a") for _ in range(4)]
    # then: counted as before, each statement carrying the setting
    assert counts == [1, 2, 3, 4]
    assert throttle.blocked("a") is True
    assert [NO_FLUSH_WAIT_CONDITION in query["sql"] for query in captured] == [True] * 4


@pytest.mark.postgres
def test_a_hit_inside_a_transaction_leaves_its_commit_alone():
    # given: the test's transaction, as a caller's own
    throttle = Throttle("test", limit=3, window=60)
    # when
    with CaptureQueriesContext(connection) as captured:
        count = throttle.hit("a")
    # then: the setting would have been the caller's whole transaction's
    assert count == 1
    assert NO_FLUSH_WAIT_CONDITION not in captured[0]["sql"]
