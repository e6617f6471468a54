"""*Create return* shows the refund while items are picked: the *Preview refund* button (no
JavaScript) and the fragment the page's script asks. The summary is refunds.previews' quote, the
one the saved return gets; previewing writes nothing."""

from decimal import Decimal

import pytest

from notifications.models import Notification
from refunds.quotes import quote_for_return
from returns.models import Return, ReturnEvent
from shop.models import ShopSettings
from tests.returns.admin.test_create_return import create_url, form_data
from tests.returns.rules.helpers import percent_fee

pytestmark = pytest.mark.django_db


def preview(client, order, data, **flags):
    return client.post(create_url(order), {**data, "preview": "1", **flags})


def nothing_written() -> tuple[int, int, int]:
    return (Return.objects.count(), ReturnEvent.objects.count(), Notification.objects.count())


# (quantity, reason, restock) per order line; the typed fee; the total the refund comes to.
# The order: 2 × 20.00 and 1 × 35.00, shipping 6.00, paid 81.00.
SELECTIONS = [
    pytest.param([(1, "wrong-size", True)], "", Decimal("20.00"), id="one-unit-of-two"),
    pytest.param(
        [(2, "wrong-size", True), (1, "defective", False)],
        "",
        Decimal("81.00"),
        id="everything-with-shipping",
    ),
    pytest.param(
        [(2, "wrong-size", True), (1, "defective", False)],
        "3.50",
        Decimal("77.50"),
        id="everything-typed-fee",
    ),
    pytest.param([(0, "", False), (1, "defective", False)], "5", Decimal("30.00"), id="fee-only"),
]


@pytest.mark.parametrize(("rows", "fee", "total"), SELECTIONS)
def test_the_preview_is_the_saved_returns_quote(as_agent, order, rows, fee, total):
    # given
    data = form_data(order, *rows, return_fee=fee)
    # when
    page = preview(as_agent, order, data)
    written = nothing_written()
    created = as_agent.post(create_url(order), data)
    # then: the preview wrote nothing, then the return was made with that very quote
    assert page.status_code == 200
    assert written == (0, 0, 0)
    previewed = page.context["summary"].quote
    assert previewed.total == total
    assert created.status_code == 302
    assert quote_for_return(Return.objects.get()) == previewed


def test_a_rules_percentage_fee_is_in_the_preview_and_the_saved_return(as_agent, order):
    # given: 10 % of the items' paid value
    percent_fee("10")
    data = form_data(order, (1, "wrong-size", True), (1, "defective", False))
    # when
    page = preview(as_agent, order, data)
    as_agent.post(create_url(order), data)
    # then: 20.00 + 35.00 - 2.00: the restocking fee is 10 % of the wrong size only, a
    # defective item being the shop's fault (ReturnReason.our_fault), which also waives postage
    previewed = page.context["summary"].quote
    assert (previewed.fee, previewed.total) == (Decimal("2.00"), Decimal("53.00"))
    assert quote_for_return(Return.objects.get()) == previewed


def test_the_preview_keeps_the_form_and_shows_the_summary(as_agent, order):
    # given
    data = form_data(order, (1, "wrong-size", True), return_fee="2.00")
    # when
    page = preview(as_agent, order, data)
    # then
    html = page.content.decode()
    first = order.lines.order_by("id").first()
    assert f'name="qty_{first.pk}" value="1"' in html
    assert 'id="refund-summary-line"' in html
    assert "items €20.00 - return fee €2.00 = €18.00" in html
    assert nothing_written() == (0, 0, 0)


def test_the_fragment_is_the_summary_alone(as_agent, order):
    # when
    fragment = preview(as_agent, order, form_data(order, (2, "wrong-size", True)), fragment="1")
    # then
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert html.startswith("<h2>Refund summary</h2>")
    assert "<form" not in html
    assert 'id="quote-total">€40.00<' in html
    assert nothing_written() == (0, 0, 0)


def test_nothing_picked_says_so_and_asks_nothing(as_agent, order):
    # when
    fragment = preview(as_agent, order, form_data(order), fragment="1")
    # then
    assert fragment.context["summary"] is None
    assert 'id="refund-summary-empty"' in fragment.content.decode()


def test_a_quantity_above_what_is_left_is_not_quoted(as_agent, order):
    # when: 3 of a line of 2
    page = preview(
        as_agent, order, form_data(order, (3, "wrong-size", True), (1, "defective", False))
    )
    # then: only the valid line is quoted, and the form says why
    assert page.context["summary"].quote.items_total == Decimal("35.00")
    first = order.lines.order_by("id").first()
    assert page.context["form"].errors[f"qty_{first.pk}"]
    assert nothing_written() == (0, 0, 0)


def test_a_previewed_page_sent_again_as_a_preview_creates_nothing(as_agent, order):
    # given: the preview, then the return created from the same page
    data = form_data(order, (1, "wrong-size", True))
    preview(as_agent, order, data)
    as_agent.post(create_url(order), data)
    before = nothing_written()
    # when: the same page asks a preview again
    again = preview(as_agent, order, data, fragment="1")
    # then
    assert again.status_code == 200
    assert nothing_written() == before


def test_those_without_the_permission_get_no_preview(as_manager, order):
    # when
    response = preview(as_manager, order, form_data(order, (1, "wrong-size", True)), fragment="1")
    # then
    assert response.status_code == 403
    assert nothing_written() == (0, 0, 0)


# Session, user, permissions (2), order, settings (the policy's, read afresh; the header's come
# from the per-process memo, shop.memo.page_settings), quantities held (2), reasons, order lines,
# the items each line may be exchanged for (one query, whatever the lines); then the rules and
# the quote's facts (4) for a preview; the page's own choices when rendered.
GET_QUERIES = 12
PREVIEW_QUERIES = 18  # with the reasons marked our fault (returns.rules)
FRAGMENT_QUERIES = 17


def test_the_page_and_its_preview_take_a_fixed_number_of_queries(
    as_agent, order, django_assert_num_queries
):
    # given: the session and the settings are read once before
    ShopSettings.load()
    as_agent.get(create_url(order))
    data = form_data(order, (2, "wrong-size", True), (1, "defective", False))
    # then
    with django_assert_num_queries(GET_QUERIES):
        as_agent.get(create_url(order))
    with django_assert_num_queries(PREVIEW_QUERIES):
        preview(as_agent, order, data)
    with django_assert_num_queries(FRAGMENT_QUERIES):
        preview(as_agent, order, data, fragment="1")
