"""The pages' memo of the active rules (returns.rules.page_rules): read once a process, never
stale after a change made in this process (a rule, or a reason, shipping method or product a
rule reads with it), at most MEMO_SECONDS stale after one made elsewhere (a queryset update
sends no signal: it stands for another process's save here). The services keep deciding on
the rules read afresh (active_rules)."""

import pytest

from returns import rules as rules_module
from returns.models import ReturnRule
from returns.rules import active_rules, page_rules
from shop.memo import MEMO_SECONDS
from tests.fixtures.clock import Clock
from tests.returns.rules.helpers import block, method, rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(rules_module.RULES, "clock", fake)
    return fake


def names(rules):
    return [r.name for r in rules]


def test_the_active_rules_are_read_once_then_from_the_memo(django_assert_num_queries, clock):
    # given
    block(name="socks")
    rule(ReturnRule.Action.BLOCK, name="off", active=False)
    # when / then: one query, then none, the same rules in order
    with django_assert_num_queries(1):
        assert names(page_rules()) == ["socks"]
    with django_assert_num_queries(0):
        assert names(page_rules()) == ["socks"]


def test_a_rule_saved_or_deleted_in_this_process_is_read_again_at_once(
    django_assert_num_queries, clock
):
    # given: the memo holds one rule
    socks = block(name="socks")
    assert names(page_rules()) == ["socks"]
    # when: renamed, then another added, then the first deleted
    socks.name = "hygiene"
    socks.save()
    # then: read again each time
    with django_assert_num_queries(1):
        assert names(page_rules()) == ["hygiene"]
    block(name="sale")
    assert names(page_rules()) == ["hygiene", "sale"]
    socks.delete()
    assert names(page_rules()) == ["sale"]


def test_a_shipping_method_a_rule_reads_empties_the_memo(clock):
    # given: a shipping rule whose method is in the memo with it
    relay = method("relay")
    rule(ReturnRule.Action.SHIP_WITH, name="relay", shipping_method=relay)
    assert page_rules()[0].shipping_method.name_en == "Relay"
    # when
    relay.name_en = "Parcel relay"
    relay.save()
    # then
    assert page_rules()[0].shipping_method.name_en == "Parcel relay"


def test_a_change_made_elsewhere_shows_after_memo_seconds(clock):
    # given: the memo holds one rule
    block(name="socks")
    assert names(page_rules()) == ["socks"]
    # when: another process renames it (no signal here)
    ReturnRule.objects.update(name="hygiene")
    # then: the page keeps the old name until the memo's value is MEMO_SECONDS old; the services
    # read the new one at once
    clock.now += MEMO_SECONDS - 0.01
    assert names(page_rules()) == ["socks"]
    assert names(active_rules()) == ["hygiene"]
    clock.now += 0.02
    assert names(page_rules()) == ["hygiene"]


def test_a_caller_changing_its_list_leaves_the_memo_as_read(clock):
    # given
    block(name="socks")
    first = page_rules()
    # when
    first.clear()
    # then
    assert names(page_rules()) == ["socks"]
