"""Which brand a page, an email or a label shows: the order's own, else the default one; a page
without an order, the brand of the host name it was asked on, else the default one. None when
the shop has no brand at all (the shop's name and settings then speak for it)."""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr

from django.db.models import Case, IntegerField, Q, Value, When

from shop.languages import in_language
from shop.models import Brand, Order


def default_brand() -> Brand | None:
    return Brand.objects.filter(is_default=True).first()


def brand_of(order: Order) -> Brand | None:
    """The order's brand, or the default one (one query at most; none with select_related)."""
    if order.brand_id is not None:
        return order.brand
    return default_brand()


def brand_for_host(host: str) -> Brand | None:
    """The brand whose portal host name is `host` (port left out), else the default: one query."""
    name = host.rsplit(":", 1)[0].strip().lower() if host else ""
    return (
        Brand.objects.filter(Q(host_name=name) | Q(is_default=True))
        .annotate(
            first=Case(
                When(host_name=name, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("first")
        .first()
    )


def sender_of(brand: Brand | None, default: str, shop_name: str = "") -> str:
    """The From header of an email of `brand`: "Brand name <address>"; without a brand the shop's
    name (`shop_name`) at the site's address (`default`, DEFAULT_FROM_EMAIL). The name is left
    unencoded (quoted where needed): Django encodes the header (RFC 2047) when it sends."""
    default_name, default_address = parseaddr(default)
    if brand is None:
        name, address = shop_name or default_name, default_address
    else:
        name = brand.sender_name or brand.name
        address = brand.sender_email or default_address
    return str(Address(display_name=name, addr_spec=address))


def policy_text(brand: Brand | None, language: str) -> str:
    if brand is None:
        return ""
    return in_language(brand.policy_text_fr, brand.policy_text_en, language)


def brand_orders(brand: Brand, *, prefix: str = "") -> Q:
    """The orders of `brand` as a filter (`prefix`: the path to the order, e.g. "order__"):
    its own, and those without a brand when it is the default one."""
    own = Q(**{f"{prefix}brand": brand})
    return own | Q(**{f"{prefix}brand__isnull": True}) if brand.is_default else own
