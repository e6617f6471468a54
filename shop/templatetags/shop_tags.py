"""{% shop_name %}: the shop's name for the layout, on every page (the settings row is read once
per page, or taken from the page's own `shop`)."""

from django import template

from shop.models import ShopSettings

register = template.Library()


@register.simple_tag(takes_context=True)
def shop_name(context):
    shop = context.get("shop")
    if shop is None:
        request = context.get("request")
        shop = getattr(request, "_shop_settings", None) if request is not None else None
        if shop is None:
            shop = ShopSettings.load()
            if request is not None:
                request._shop_settings = shop
    return shop.shop_name
