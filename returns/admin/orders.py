"""The back-office's orders: the list, and an order's page with what was returned and refunded of
each line and *Create return*. It lives with the returns pages because it reads the returns and
refunds of the order (shop knows nothing of them)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from returns.selectors.backoffice import (
    order_for_page,
    order_ids_for_identifier,
    order_lines_summary,
    order_refunds,
    order_returns,
    orders_overview,
)
from shop.models import Order
from shop.pagination import CappedCountPaginator
from shop.templatetags.money import money


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders are imported, never edited here: the list finds them, an order's page shows what
    was returned and refunded of each line, and opens *Create return*."""

    list_display = [
        "number",
        "placed_at",
        "customer_name",
        "email",
        "status_badge",
        "paid",
        "returns_count",
    ]
    list_display_links = ["number"]
    list_filter = ["status", "brand", "placed_at"]
    search_fields = [
        "number",
        "email",
        "customer__email",
        "customer__first_name",
        "customer__last_name",
    ]
    search_help_text = _("Search by order number, customer name or email.")
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-placed_at", "-id"]
    change_form_template = "admin/shop/order/change_form.html"

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": gettext("Orders"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        return orders_overview(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        # An identifier (order number, email, tracking number) is found through indexes; only
        # a free-text search (a name, part of a number) falls back to Django's scan.
        exact = order_ids_for_identifier(search_term)
        if exact:
            return queryset.filter(pk__in=exact), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # amounts and statuses of an order come from the shop, not from here

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("customer"), ordering="customer__last_name")
    def customer_name(self, obj):
        return obj.customer.full_name or obj.customer.email

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span class="badge badge-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=_("paid"), ordering="amount_paid")
    def paid(self, obj):
        return money(obj.amount_paid, obj.currency)

    @admin.display(description=_("returns"), ordering="returns_count")
    def returns_count(self, obj):
        return obj.returns_count or "-"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            order = order_for_page(object_id)
        except (Order.DoesNotExist, ValueError, ValidationError):
            raise Http404 from None
        if request.method != "GET" or not self.has_view_permission(request, order):
            raise PermissionDenied  # an order is read-only here
        lines = order_lines_summary(order)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Order %(number)s") % {"number": order.number},
            "order": order,
            "lines": lines,
            "returns": order_returns(order),
            "refunds": order_refunds(order),
            "anything_returnable": any(line.returnable for line in lines),
            "may_create_return": request.user.has_perm("returns.add_return"),
            "may_view_refunds": request.user.has_perm("refunds.view_refund"),
        }
        return TemplateResponse(request, self.change_form_template, context)
