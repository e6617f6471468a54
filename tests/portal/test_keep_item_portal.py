"""The portal of a return whose items the customer keeps: the summary, the confirmation and the
return's page say there is no parcel to send, in French and in English."""

import pytest

from returns.models import Return, ReturnRule, ReturnStatus
from shop.models import User
from tests.fixtures.web import messages_of
from tests.portal.helpers import form_data
from tests.returns.rules.helpers import rule

pytestmark = pytest.mark.django_db

WORDS = {
    "en": {
        "summary": "Nothing: you keep the items, no parcel to send",
        "confirmation": "Your return {rma} is accepted: you keep the items, there is no parcel "
        "to send.",
        "page": "You keep the items: there is no parcel to send back. We are settling your "
        "refund, credit or exchange.",
        "requested": "Once it is accepted, you keep the items: there is no parcel to send back.",
    },
    "fr": {
        "summary": "Rien : vous gardez les articles, aucun colis à envoyer",
        "confirmation": "Votre retour {rma} est accepté : vous gardez les articles, aucun colis "
        "à envoyer.",
        "page": "Vous gardez les articles : aucun colis à renvoyer. Nous procédons à votre "
        "remboursement, avoir ou échange.",
        "requested": "Une fois votre retour accepté, vous gardez les articles : aucun colis à "
        "renvoyer.",
    },
}


@pytest.fixture
def keep_the_t_shirt(db):
    """Items paid under 15.00 are kept: the 12.99 T-shirt."""
    return rule(ReturnRule.Action.KEEP_ITEM, name="Keep it", item_value_below="15.00")


def speaking(client, customer, language):
    User.objects.filter(pk=customer.user_id).update(language=language)
    client.cookies["django_language"] = language  # as signing in sets it


def summary_and_confirm(client, order):
    summary = client.post(
        f"/orders/{order.number}/return/", form_data(order, (1, "wrong-size")), follow=True
    )
    confirmed = client.post(f"/orders/{order.number}/return/confirm/")
    return summary, confirmed


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_kept_return_approved_at_once_says_no_parcel_everywhere(
    customer_client, customer, order, keep_the_t_shirt, language
):
    # given
    rule(ReturnRule.Action.AUTO_APPROVE, name="At once")
    speaking(customer_client, customer, language)
    words = WORDS[language]
    # when
    summary, confirmed = summary_and_confirm(customer_client, order)
    # then: the summary says it before confirming
    assert summary.status_code == 200
    assert f'<dd id="sending-back">{words["summary"]}</dd>' in summary.content.decode()
    # and the confirmation, then the return's page
    ret = Return.objects.get()
    assert (ret.keep_item, ret.status) == (True, ReturnStatus.RECEIVED)
    assert confirmed.status_code == 302
    assert ("success", words["confirmation"].format(rma=ret.rma_number)) in messages_of(confirmed)
    page = customer_client.get(f"/returns/{ret.rma_number}/").content.decode()
    assert f'<p id="keep-item">{words["page"]}</p>' in page
    assert words["summary"] in page  # "Sending back"
    assert 'id="label-download"' not in page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_kept_return_awaiting_review_says_it_will_be_kept(
    customer_client, customer, order, keep_the_t_shirt, language
):
    # given
    speaking(customer_client, customer, language)
    # when
    summary_and_confirm(customer_client, order)
    # then
    ret = Return.objects.get()
    assert (ret.keep_item, ret.status) == (True, ReturnStatus.REQUESTED)
    page = customer_client.get(f"/returns/{ret.rma_number}/").content.decode()
    assert f'<p id="keep-item">{WORDS[language]["requested"]}</p>' in page


def test_a_return_sent_back_says_how_it_is_sent(customer_client, customer, order):
    # given: no rule keeps anything
    speaking(customer_client, customer, "en")
    # when
    summary, _ = summary_and_confirm(customer_client, order)
    # then
    assert WORDS["en"]["summary"] not in summary.content.decode()
    ret = Return.objects.get()
    page = customer_client.get(f"/returns/{ret.rma_number}/").content.decode()
    assert 'id="keep-item"' not in page
