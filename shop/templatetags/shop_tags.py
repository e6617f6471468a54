"""{% shop_name %}: the shop's name for the layout, on every page (the settings from the
per-process memo, shop/memo.py, or the page's own `shop`); {{ order|status_tone }}: the tone of
an order's status badge in the portal."""

from django import template

from shop.brands import brand_for_host, brand_of
from shop.memo import page_settings
from shop.models import Order

register = template.Library()


@register.simple_tag(takes_context=True)
def shop_name(context):
    shop = context.get("shop")
    if shop is None:
        request = context.get("request")
        shop = getattr(request, "_shop_settings", None) if request is not None else None
        if shop is None:
            shop = page_settings()
    return shop.shop_name


# The portal's badge of an order's status: delivered is done, cancelled is plain, the rest waits.
_TONES: dict[str, str] = {Order.Status.DELIVERED: "ok", Order.Status.CANCELLED: ""}


@register.filter
def status_tone(order: Order) -> str:
    """The class of `order`'s status badge (My orders and an order's page)."""
    return _TONES.get(order.status, "wait")


_UNKNOWN = object()


@register.simple_tag(takes_context=True)
def portal_brand(context):
    """The brand the page shows: the page's `brand`, its order's, else the host name's (else the
    default one); read once per request. None when the shop has no brand."""
    if "brand" in context:  # the view said, None included
        return context["brand"]
    request = context.get("request")
    found = getattr(request, "_portal_brand", _UNKNOWN)
    if found is not _UNKNOWN:
        return found
    order = context.get("order")
    if isinstance(order, Order):
        found = brand_of(order)
    else:
        found = brand_for_host(request.get_host() if request is not None else "")
    if request is not None:
        request._portal_brand = found
    return found
