"""Which brand a page, an email or a label shows: the order's own, else the default one; a page
without an order, the brand of the host name it was asked on, else the default one. None when
the shop has no brand at all (the shop's name and settings then speak for it).

The default brand and the brand of a host name are read through a per-process memo
(shop/memo.py: emptied by a brand's save or delete, at most a few seconds old from another
process), since every page asks."""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr

from django.db.models import Case, IntegerField, Q, Value, When

from shop.languages import in_language
from shop.memo import BRANDS
from shop.models import Brand, Order


def default_brand() -> Brand | None:
    """The default brand (None: there is none), from the memo."""
    return BRANDS.get("default", Brand.objects.filter(is_default=True).first)


def brand_of(order: Order) -> Brand | None:
    """The order's brand, or the default one (one query at most; none with select_related)."""
    if order.brand_id is not None:
        return order.brand
    return default_brand()


def brand_for_host(host: str, *, fresh: bool = False) -> Brand | None:
    """The brand whose portal host name is `host` (port left out), else the default: from the
    memo, else one query. `fresh`: the row as it is now (what is cached longer than the memo
    lives, such as the policy page, must not be made from a brand a few seconds old)."""
    name = host.rsplit(":", 1)[0].strip().lower() if host else ""
    if fresh:
        return _read_brand_for_host(name)
    return BRANDS.get(("host", name), lambda: _read_brand_for_host(name))


def _read_brand_for_host(name: str) -> Brand | None:
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
