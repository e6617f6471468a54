"""Which brand a page, an email or a label shows: the order's own, else the default one; a page
without an order, the brand of the host name it was asked on, else the default one. None when
the shop has no brand at all (the shop's name and settings then speak for it)."""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr

from django.db.models import Case, IntegerField, Q, Value, When

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


def sender_of(brand: Brand | None, default: str) -> str:
    """The From header of an email of `brand`: "Brand name <address>", or `default`."""
    if brand is None:
        return default
    # Unencoded here (quoted where needed): Django encodes the header when it sends.
    _name, fallback = parseaddr(default)
    return str(
        Address(
            display_name=brand.sender_name or brand.name, addr_spec=brand.sender_email or fallback
        )
    )


def policy_text(brand: Brand | None, language: str) -> str:
    if brand is None:
        return ""
    english = language.startswith("en")
    first, second = (
        (brand.policy_text_en, brand.policy_text_fr)
        if english
        else (brand.policy_text_fr, brand.policy_text_en)
    )
    return first or second


def brand_orders(brand: Brand, *, prefix: str = "") -> Q:
    """The orders of `brand` as a filter (`prefix`: the path to the order, e.g. "order__"):
    its own, and those without a brand when it is the default one."""
    own = Q(**{f"{prefix}brand": brand})
    return own | Q(**{f"{prefix}brand__isnull": True}) if brand.is_default else own
