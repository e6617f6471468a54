"""The public return policy page (/return-policy/, no login): the statement the policy makes of
itself (returns/policy_page.py), rendered once per language and generation and cached."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from returns.policy_page import cached_policy_html, policy_statement
from shop.brands import brand_for_host
from shop.models import Brand, ShopSettings


def _brand(request) -> Brand | None:
    """The brand named by ?brand= (the emails' and labels' links), else the host name's."""
    code = request.GET.get("brand", "")
    if code:
        found = Brand.objects.filter(code=code[:50]).first()
        if found is not None:
            return found
    # Fresh, not the memo's: the page is cached for its generation, far longer than the memo.
    return brand_for_host(request.get_host(), fresh=True)


@require_safe
def return_policy(request):
    shop = ShopSettings.load()  # for the layout too, cached page or not
    brand = _brand(request)

    def body() -> str:
        statement = policy_statement(shop, brand=brand)
        return render_to_string("portal/_return_policy.html", {"policy": statement})

    variant = f"{get_language() or 'fr'}:{brand.code if brand is not None else ''}"
    html = cached_policy_html(variant, body)
    # The cached HTML is our own template's output, escaped when it was rendered.
    return render(
        request,
        "portal/return_policy.html",
        {"shop": shop, "brand": brand, "policy_html": mark_safe(html)},
    )
