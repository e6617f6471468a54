"""My orders' rows written in Python (portal.rows.order_rows) are the template's loop they
replaced, character for character, in both languages: a number to escape and to quote, one
item and several, no return, one and several, each status tone, and money in two currencies."""

from datetime import UTC, datetime

import pytest
from django.template import engines
from django.utils import translation

from portal.rows import order_rows
from portal.selectors.orders import customer_orders
from tests.factories import OrderFactory, ReturnFactory, make_order

pytestmark = pytest.mark.django_db

# templates/portal/orders.html's loop as it was before portal.rows.
TEMPLATE_LOOP = """{% load i18n money shop_tags %}{% for order in orders %}
    <li><a class="order-row" href="{% url 'order_detail' order.number %}">
      <span class="order-main">
        <span class="order-number">{% blocktranslate with number=order.number %}Order {{ number }}{% endblocktranslate %}</span>
        <span class="muted small order-meta"><span>{% blocktranslate with date=order.placed_at|date:"DATE_FORMAT" %}Placed on {{ date }}{% endblocktranslate %}</span>
          <span>{% blocktranslate count counter=order.item_count %}{{ counter }} item{% plural %}{{ counter }} items{% endblocktranslate %}</span></span>
      </span>
      <span class="order-side">
        <span class="badge {{ order|status_tone }}">{{ order.get_status_display|capfirst }}</span>
        {% if order.return_count %}<span class="badge">{% blocktranslate count counter=order.return_count %}{{ counter }} return{% plural %}{{ counter }} returns{% endblocktranslate %}</span>{% endif %}
      </span>
      <span class="order-total num">{{ order.amount_paid|money:order.currency }}</span>
      <span class="chevron" aria-hidden="true">\u203a</span>
    </a></li>
    {% endfor %}"""  # noqa: E501


@pytest.fixture
def orders(customer):
    placed = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 2 March in Paris: local time
    one = make_order([(1, "12.99")], customer=customer, number="A&B <7>", placed_at=placed)
    many = make_order(
        [(2, "1000.50"), (1, "3.00")],
        customer=customer,
        number="A-2",
        status="shipped",
        delivered_at=None,
        currency="USD",
        placed_at=placed.replace(day=5),
    )
    cancelled = OrderFactory(customer=customer, number="A.3", status="cancelled", placed_at=placed)
    ReturnFactory(order=one)
    ReturnFactory(order=many)
    ReturnFactory(order=many)
    return list(customer_orders(customer.pk)), (one, many, cancelled)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_rows_are_the_templates(orders, language):
    # given
    listed, _made = orders
    with translation.override(language):
        # when
        written = order_rows(listed)
        # then
        expected = engines["django"].from_string(TEMPLATE_LOOP).render({"orders": listed})
    assert written == expected


def test_the_rows_figures(orders):
    # given
    listed, (one, many, cancelled) = orders
    # when
    with translation.override("en"):
        written = order_rows(listed)
    # then: newest first (a tie: the newest id first), the number escaped and quoted in its
    # link, counts and money exact
    assert [order.pk for order in listed] == [many.pk, cancelled.pk, one.pk]
    assert 'href="/orders/A&amp;B%20%3C7%3E/"' in written
    assert "Order A&amp;B &lt;7&gt;" in written
    assert "<7>" not in written
    assert "Placed on March 2, 2026" in written
    assert "3 items" in written
    assert "1 item<" in written
    assert "0 items" in written
    assert '<span class="badge">2 returns</span>' in written
    assert '<span class="badge">1 return</span>' in written
    assert written.count('<span class="badge">') == 2  # none for the order without a return
    assert "$2,010.00" in written
    assert "€18.99" in written
    assert '<span class="badge wait">Shipped</span>' in written
    assert '<span class="badge ok">Delivered</span>' in written
    assert '<span class="badge ">Cancelled</span>' in written


# templates/portal/order_detail.html's two loops as they were before portal.rows.
RETURNS_LOOP = """{% load i18n %}{% for ret in returns %}
      <li><a href="{% url 'return_detail' ret.rma_number %}" class="return-row">
        <span><span class="rma">{% blocktranslate with rma=ret.rma_number %}Return {{ rma }}{% endblocktranslate %}</span>
          <span class="muted small">{% blocktranslate with date=ret.created_at|date:"DATE_FORMAT" %}Requested on {{ date }}{% endblocktranslate %}</span></span>
        <span class="badge {% if ret.status == 'completed' %}ok{% elif ret.status == 'rejected' or ret.status == 'expired' %}stop{% elif ret.status == 'cancelled' %}{% else %}wait{% endif %}">{{ ret.customer_status_label }}</span>
      </a></li>
      {% endfor %}"""  # noqa: E501
LINES_LOOP = """{% load i18n money %}{% for line in lines %}
      <tr>
        <td><span class="item-name">{{ line.variant.product.name }}</span>
          <span class="muted small">{% if line.variant.option %}{{ line.variant.option }} \u00b7 {% endif %}{{ line.variant.sku }}</span>
          {% if line.returned %}<span class="small returned">{% blocktranslate count counter=line.returned %}{{ counter }} returned or being returned{% plural %}{{ counter }} returned or being returned{% endblocktranslate %}</span>{% endif %}</td>
        <td class="num">{{ line.quantity }}</td>
        <td class="num">{{ line.total_paid|money:order.currency }}</td>
      </tr>
    {% endfor %}"""  # noqa: E501


@pytest.fixture
def an_order(order):
    """DEMO-1001 with a return in each status (one kept item received), a name to escape and a
    line without an option; the lines' `returned` as the view sets it: 0, 1 and 2."""
    from returns.models import ReturnStatus
    from shop.models import OrderLine

    for status in ReturnStatus.values:
        ReturnFactory(order=order, status=status)
    ReturnFactory(order=order, status=ReturnStatus.RECEIVED, keep_item=True)
    tshirt, socks = order.lines.select_related("variant__product").order_by("id")
    tshirt.variant.product.name = "T-shirt <M&M>"
    tshirt.variant.product.save()
    socks.variant.option = ""
    socks.variant.save()
    lines = list(OrderLine.objects.filter(order=order).select_related("variant__product"))
    for returned, line in enumerate(lines, start=1):
        line.returned = returned
    lines[0].returned = 0
    return order, lines


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_orders_rows_are_the_templates(an_order, language):
    # given
    from portal.rows import line_rows, return_rows
    from portal.selectors.returns import order_returns

    order, lines = an_order
    returns = order_returns(order)
    with translation.override(language):
        # when
        written = (return_rows(returns), line_rows(lines, order.currency))
        # then
        engine = engines["django"]
        expected = (
            engine.from_string(RETURNS_LOOP).render({"returns": returns}),
            engine.from_string(LINES_LOOP).render({"lines": lines, "order": order}),
        )
    assert written == expected
    from returns.models import ReturnStatus

    assert len(returns) == len(ReturnStatus.values) + 1  # every status, and the kept item
    assert written[0].count('class="badge stop"') == 2  # rejected, expired
    assert written[0].count('class="badge ok"') == 1  # completed
    assert written[0].count('class="badge "') == 1  # cancelled
    assert "T-shirt &lt;M&amp;M&gt;" in written[1]
    assert '<span class="small returned">2 ' in written[1]
    assert "returned" not in written[1].split("</tr>")[0]  # 0 returned: nothing said
