"""A return's page offers the active actions and the return's own, even deactivated (read by a
compiled query: returns.admin.forms._ACTIONS); a posted action is checked against the database
as it is then."""

import re

import pytest

from returns.models import ReturnAction
from tests.returns.admin.helpers import make_return, page_url
from tests.returns.helpers import snapshot

pytestmark = pytest.mark.django_db


def offered(page) -> list[tuple[str, str]]:
    select = re.search(r'<select name="action" id="id_action">(.*?)</select>', page, re.S)
    assert select
    return re.findall(r'<option value="(\d*)"(?: selected)?>([^<]*)</option>', select.group(1))


def test_a_return_without_an_action_is_offered_the_active_ones_in_order(as_agent, order, actions):
    # given
    ReturnAction.objects.filter(pk=actions["refund"].pk).update(position=2)
    ReturnAction.objects.filter(pk=actions["replacement"].pk).update(position=1)
    ret = make_return(order, 1)
    # when
    page = as_agent.get(page_url(ret)).content.decode()
    # then
    expected = [("", "---------")] + [
        (str(action.pk), action.name)
        for action in ReturnAction.objects.filter(active=True).order_by("position", "id")
    ]
    assert offered(page) == expected
    assert expected[1] == (str(actions["replacement"].pk), "Send a replacement")


def test_the_returns_own_deactivated_action_stays_offered_and_chosen(as_agent, order, actions):
    # given
    refund = actions["refund"]
    ret = make_return(order, 1, action=refund)
    ReturnAction.objects.filter(pk=refund.pk).update(active=False)
    other = make_return(order, 1)
    # when
    page = as_agent.get(page_url(ret)).content.decode()
    other_page = as_agent.get(page_url(other)).content.decode()
    # then
    assert (str(refund.pk), "Refund") in offered(page)
    assert f'<option value="{refund.pk}" selected>Refund</option>' in page
    assert str(refund.pk) not in dict(offered(other_page))


def test_an_action_deactivated_after_the_page_was_shown_is_refused(as_agent, order, actions):
    # given: the page shown with the action, then the action deactivated
    ret = make_return(order, 1)
    replacement = actions["replacement"]
    assert str(replacement.pk) in dict(offered(as_agent.get(page_url(ret)).content.decode()))
    ReturnAction.objects.filter(pk=replacement.pk).update(active=False)
    before = snapshot(ret)
    # when
    response = as_agent.post(
        page_url(ret), {"seen_status": ret.status, "action": replacement.pk, "return_fee": "0"}
    )
    # then: the form's error, nothing saved
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert snapshot(ret) == before
    ret.refresh_from_db()
    assert ret.action_id is None
