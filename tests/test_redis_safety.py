"""The suite empties a Redis database only when it is the tests' own (tests/fixtures/redis.py):
never database 0, never one TEST_REDIS_URL does not name."""

import pytest

from tests.fixtures.redis import flush_refusal


def test_database_0_is_never_emptied_even_when_named_for_the_tests():
    # when
    refusal = flush_refusal("redis://127.0.0.1:6379/0", given="redis://127.0.0.1:6379/0")
    # then
    assert refusal == (
        "refusing to empty Redis database 0 at 127.0.0.1:6379: give the tests a database of "
        "their own, e.g. CELERY_BROKER_URL=redis://127.0.0.1:6379/15 "
        "TEST_REDIS_URL=redis://127.0.0.1:6379/15"
    )


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379", "redis://127.0.0.1:6379/", "redis://127.0.0.1"]
)
def test_a_url_without_a_number_is_database_0(url):
    assert flush_refusal(url, given=url) is not None


@pytest.mark.parametrize(
    "given",
    ["", "redis://127.0.0.1:6379/8", "redis://127.0.0.1:6380/9", "redis://10.0.0.2:6379/9"],
    ids=["unset", "other-number", "other-port", "other-host"],
)
def test_a_database_not_named_as_the_tests_own_is_refused(given):
    # when
    refusal = flush_refusal("redis://127.0.0.1:6379/9", given=given)
    # then
    assert refusal == (
        "refusing to empty Redis database 9 at 127.0.0.1:6379: it is not the tests' own. "
        "Set TEST_REDIS_URL=redis://127.0.0.1:6379/9 if it is."
    )


def test_the_tests_own_database_may_be_emptied():
    assert flush_refusal("redis://127.0.0.1:6379/9", given="redis://127.0.0.1:6379/9") is None


def test_the_variable_names_the_tests_own_database(monkeypatch):
    # given
    monkeypatch.setenv("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
    # then
    assert flush_refusal("redis://127.0.0.1:6379/9") is None
    assert flush_refusal("redis://127.0.0.1:6379/1") is not None
    monkeypatch.delenv("TEST_REDIS_URL")
    assert flush_refusal("redis://127.0.0.1:6379/9") is not None
