"""The public return policy page (/return-policy/, no login): the statement the policy makes of
itself (returns/policy_page.py), rendered once per language and generation and cached."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from returns.policy_page import cached_policy_html, policy_statement
from shop.models import ShopSettings


@require_safe
def return_policy(request):
    shop = ShopSettings.load()  # for the layout too, cached page or not

    def body() -> str:
        return render_to_string("portal/_return_policy.html", {"policy": policy_statement(shop)})

    html = cached_policy_html(get_language() or "fr", body)
    # The cached HTML is our own template's output, escaped when it was rendered.
    return render(
        request, "portal/return_policy.html", {"shop": shop, "policy_html": mark_safe(html)}
    )
