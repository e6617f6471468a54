"""returns.templatetags.admin_links: the same links as reverse() and {% url %}."""

from django.template import Context, Template
from django.urls import reverse

from returns.templatetags.admin_links import admin_link


def test_admin_link_is_reverse_for_one_id_or_two():
    assert admin_link("admin:shop_order_change", 12) == reverse(
        "admin:shop_order_change", args=[12]
    )
    assert admin_link("admin:shop_order_change", 7) == "/admin/shop/order/7/change/"
    assert admin_link("admin:returns_return_photo", 3, 41) == reverse(
        "admin:returns_return_photo", args=[3, 41]
    )
    assert admin_link("admin:returns_return_photo", 2_147_483_646, 5) == reverse(
        "admin:returns_return_photo", args=[2_147_483_646, 5]
    )
    # An id that holds a stand-in's digits, or a bigger one, is put in whole.
    assert admin_link("admin:refunds_refund_change", 2_147_483_647) == reverse(
        "admin:refunds_refund_change", args=[2_147_483_647]
    )


def test_an_id_that_is_no_integer_goes_to_reverse():
    assert admin_link("admin:shop_order_change", "5") == reverse(
        "admin:shop_order_change", args=["5"]
    )


def test_the_tag_writes_what_url_writes():
    context = Context({"pk": 9, "photo": 2})
    mine = Template(
        "{% load admin_links %}{% admin_link 'admin:returns_return_photo' pk photo %}"
    ).render(context)
    django = Template("{% url 'admin:returns_return_photo' pk photo %}").render(context)
    assert mine == django
    assert mine.startswith("/admin/returns/return/9/")
    assert "/2/" in mine
