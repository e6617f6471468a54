"""The back-office's orders: the list, and an order's page with what was returned and refunded of
each line and *Create return*. It lives with the returns pages because it reads the returns and
refunds of the order (shop knows nothing of them)."""

from typing import Any, cast

from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers, results
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from returns.admin.kept import KeptRows, kept_string
from returns.admin.lean import (
    URL_SENTINEL,
    display,
    esc,
    lean_context,
    link_template,
    results_html,
    row_link,
)
from returns.selectors.backoffice import (
    filter_brands,
    order_for_page,
    order_ids_for_identifier,
    order_lines_summary,
    order_refunds,
    order_returns,
    orders_overview,
)
from shop.compiled import CompiledPage
from shop.models import Order
from shop.pagination import CappedCountPaginator
from shop.templatetags.money import money

# The list's columns, as _OrdersChangeList.orders_table writes them.
COLUMNS: list[Any] = [
    "number",
    "placed_at",
    "customer_name",
    "email",
    "status_badge",
    "paid",
    "returns_count",
]


class _BrandFilter(admin.RelatedFieldListFilter):
    """The stock brand filter, its brands read from the overview's memo
    (returns.selectors.backoffice.filter_brands) where each page read the table: by id, as the
    stock one lists them when the brands' admin sets no ordering (else the stock one)."""

    def field_choices(self, field, request, model_admin):
        if self.field_admin_ordering(field, request, model_admin):
            return super().field_choices(field, request, model_admin)
        brands = sorted(filter_brands(), key=lambda brand: brand.pk)
        return [(brand.pk, str(brand)) for brand in brands]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders are imported, never edited here: the list finds them, an order's page shows what
    was returned and refunded of each line, and opens *Create return*."""

    list_display = COLUMNS
    list_display_links = ["number"]
    list_filter = ["status", ("brand", _BrandFilter), "placed_at"]
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

    def get_changelist(self, request, **kwargs):
        return _OrdersChangeList

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": gettext("Orders"), **(extra_context or {})}
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and "cl" in (response.context_data or {}):
            lean_context(response)  # the filters written lean
        return response

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
        return mark_safe(_status_badge(obj, {}))

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


# The status badges' HTML, the same for every order of a status: one dict per language.
_BADGES: dict[str | None, dict[str, str]] = {}


def _status_badge(order: Order, badges: dict[str, str]) -> str:
    badge = badges.get(order.status)
    if badge is None:
        words = esc(order.get_status_display())
        badge = badges[order.status] = (
            f'<span class="badge badge-{esc(order.status)}">{words}</span>'
        )
    return badge


# The page's orders with their customer and returns' count (orders_overview) for the ids of
# the list's page: compiled once per connection and ordering, where Django compiled the
# query's subquery and joins on every page (shop.compiled.CompiledPage).
_ORDERS_PAGE = CompiledPage(
    "returns.admin.orders", lambda ids: orders_overview(Order.objects.filter(pk__in=ids))
)


# The list's orders kept by their values, each with its row's string (returns.admin.kept): its
# date, customer and amount were written again for each row of each page.
_ROWS = KeptRows()


class _OrdersChangeList(ChangeList):
    """The orders list: the stock changelist's query and page, its rows read by a compiled
    query (_ORDERS_PAGE) and written in one pass (orders_table) instead of a lookup and a
    template variable per cell."""

    def get_results(self, request):
        super().get_results(request)
        page = self.result_list
        order_by = page.query.order_by
        if all(isinstance(field, str) for field in order_by):  # else the stock query's rows
            self.result_list = _ROWS.page(*_ORDERS_PAGE.fetched(page.values("pk"), order_by))

    def orders_table(self) -> SafeString:
        """The stock results table (admin/change_list_results.html, lean.results_html): its
        headers (sorting links) and its rows, each one string of the same cells as the stock
        ones."""
        headers = list(result_headers(self))
        if list(self.list_display) != COLUMNS:  # other columns (actions' boxes): the stock rows
            return results_html(headers, ["".join(row) for row in results(self)])
        link = link_template(self, reverse("admin:shop_order_change", args=[URL_SENTINEL]))
        badges = _BADGES.setdefault(get_language(), {})
        admin_ = cast("OrderAdmin", self.model_admin)
        rows = []
        for order in self.result_list:
            href = row_link(link, order.pk)
            rows.append(kept_string(order, href, _order_row, order, href, badges, admin_))
        return results_html(headers, rows)


def _order_row(order: Order, href: str, badges: dict[str, str], admin_: OrderAdmin) -> str:
    """An order's cells, the stock changelist's, its number linked to `href`."""
    placed = localize(timezone.localtime(order.placed_at))
    return (
        f'<th class="field-number"><a href="{href}">{display(order.number)}</a></th>'
        f'<td class="field-placed_at nowrap">{esc(placed)}</td>'
        f'<td class="field-customer_name">{display(admin_.customer_name(order))}'
        f'</td><td class="field-email">{display(order.email)}</td>'
        f'<td class="field-status_badge">{_status_badge(order, badges)}</td>'
        f'<td class="field-paid">{display(admin_.paid(order))}</td>'
        f'<td class="field-returns_count">{display(admin_.returns_count(order))}</td>'
    )
