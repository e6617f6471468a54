"""The returns back-office: reasons and actions (settings), the returns overview and a return's
page (returns/admin/pages.py).

A return's status never changes from a model form: the page's "Save" and the overview's bulk
actions call the services, row by row, and report each success or refusal.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from refunds import services as refund_services
from refunds.money import ReturnMoney, money_for_returns
from returns import services
from returns.admin.forms import RejectForm
from returns.admin.labels import ReturnLabelActionsMixin
from returns.admin.pages import ReturnPagesMixin
from returns.admin.photos import ReturnPhotosMixin
from returns.errors import ReturnError
from returns.models import Return, ReturnAction, ReturnLine, ReturnReason
from returns.selectors import backoffice as pages
from shop.brands import brand_orders
from shop.models import Brand
from shop.pagination import CappedCountPaginator
from shop.templatetags.money import money


class _TranslatedListAdmin(admin.ModelAdmin):
    """Reasons and actions: created, renamed in both languages, deactivated and reordered from
    the list. They are never deleted (returns keep pointing at them): deactivate instead."""

    list_display = ["code", "name_fr", "name_en", "active", "position"]
    list_editable = ["name_fr", "name_en", "active", "position"]
    search_fields = ["code", "name_fr", "name_en"]
    ordering = ["position", "id"]
    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs={"size": 22})}}

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": self.model._meta.verbose_name_plural.capitalize(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []  # a stable identifier for code and imports

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReturnReason)
class ReturnReasonAdmin(_TranslatedListAdmin):
    list_display = [
        "code",
        "name_fr",
        "name_en",
        "restock_by_default",
        "needs_detail",
        "needs_photos",
        "active",
        "position",
    ]
    list_editable = [
        "name_fr",
        "name_en",
        "restock_by_default",
        "needs_detail",
        "needs_photos",
        "active",
        "position",
    ]


@admin.register(ReturnAction)
class ReturnActionAdmin(_TranslatedListAdmin):
    pass


# --- the overview's filters ------------------------------------------------------------------


class ReasonFilter(admin.SimpleListFilter):
    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return [(reason.code, reason.name) for reason in ReturnReason.objects.all()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # Exists, not a join: a return with two lines of that reason is listed once.
        return queryset.filter(
            Exists(ReturnLine.objects.filter(ret=OuterRef("pk"), reason__code=self.value()))
        )


class CountryFilter(admin.SimpleListFilter):
    title = _("country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        return [(code, code) for code in pages.countries_with_returns()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(order__shipping_country=self.value())


class BrandFilter(admin.SimpleListFilter):
    title = _("brand")
    parameter_name = "brand"

    def lookups(self, request, model_admin):
        return [(brand.code, brand.name) for brand in Brand.objects.order_by("name", "id")]

    def queryset(self, request, queryset):
        brand = Brand.objects.filter(code=self.value()).first() if self.value() else None
        if brand is None:
            return queryset
        return queryset.filter(brand_orders(brand, prefix="order__"))


# --- the overview and a return's page --------------------------------------------------------


@admin.register(Return)
class ReturnAdmin(ReturnPagesMixin, ReturnLabelActionsMixin, ReturnPhotosMixin, admin.ModelAdmin):
    list_display = [
        "rma_number",
        "status_badge",
        "customer",
        "order_number",
        "items_count",
        "refund_quote",
        "tracking",
        "age",
    ]
    list_display_links = ["rma_number"]
    list_filter = [
        "status",
        ReasonFilter,
        "refund_mode",
        "delivery_option",
        CountryFilter,
        BrandFilter,
        "created_at",
        "channel",
    ]
    search_help_text = _(
        "Search by RMA number, order number, customer name, email or tracking number."
    )
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over every return
    paginator = CappedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice is a query each
    ordering = ["-created_at", "-id"]
    actions = [
        "approve_selected",
        "reject_selected",
        "mark_in_transit_selected",
        "receive_selected",
        "cancel_selected",
        "expire_selected",
        "mark_refunded_selected",
    ]

    def get_queryset(self, request):
        return pages.returns_overview(super().get_queryset(request))

    def get_changelist(self, request, **kwargs):
        return _MoneyChangeList

    def get_search_fields(self, request):
        fields = [
            "rma_number",
            "order__number",
            "order__email",
            "order__customer__email",
            "order__customer__first_name",
            "order__customer__last_name",
            "order__outbound_tracking_number",
            "labels__tracking_number",
        ]
        return fields

    def get_search_results(self, request, queryset, search_term):
        # An identifier (RMA, order number, email, tracking number) is found through indexes;
        # only a free-text search (a name, part of a number) falls back to Django's scan.
        exact = pages.return_ids_for_identifier(search_term)
        if exact:
            return queryset.filter(pk__in=exact), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False  # returns are created from an order (create_return_view)

    def has_delete_permission(self, request, obj=None):
        return False  # a return is an audit record

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": gettext("Returns"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "create/<int:order_id>/",
                view(self.create_return_view),
                name="returns_return_create",
            ),
            path(
                "<path:object_id>/mark-refunded/",
                view(self.mark_refunded_view),
                name="returns_return_mark_refunded",
            ),
            *self.label_urls(),
            *self.photo_urls(),
            *super().get_urls(),
        ]

    # --- columns ---------------------------------------------------------------------------

    @admin.display(description=_("customer"), ordering="order__customer__last_name")
    def customer(self, obj):
        customer = obj.order.customer
        return format_html(
            '<span class="cell-line">{}</span><span class="cell-line muted" title="{}">{}</span>',
            customer.full_name or customer.email,
            obj.order.email,
            obj.order.email,
        )

    @admin.display(description=_("order"), ordering="order__number")
    def order_number(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:shop_order_change", args=[obj.order_id]),
            obj.order.number,
        )

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span class="badge badge-{}" title="{}">{}</span>',
            obj.status,
            obj.status_description,
            obj.get_status_display(),
        )

    @admin.display(description=_("items"), ordering="items_count")
    def items_count(self, obj):
        return obj.items_count

    @admin.display(description=pgettext_lazy("returns overview column", "refund"))
    def refund_quote(self, obj):
        """The exact quote (refunds/money.py, computed for the page's rows by _MoneyChangeList),
        and what is left of it to refund."""
        state = obj.money
        if not state.live:  # rejected, cancelled, expired: nothing is owed
            return format_html(
                '<span title="{}">—</span><br><span class="muted">{}</span>',
                gettext("Nothing is owed for this return."),
                obj.get_refund_mode_display(),
            )
        left = ""
        if state.left_to_refund != state.quote_total:
            left = gettext("%(amount)s left") % {
                "amount": money(state.left_to_refund, state.currency)
            }
        return format_html(
            '<span title="{}">{}</span><br><span class="muted">{}</span>'
            '<span class="muted cell-line">{}</span>{}',
            state.quote.summary(),
            money(state.quote_total, state.currency),
            obj.get_refund_mode_display(),
            left,
            _money_warning(state),
        )

    @admin.display(description=_("tracking number"))
    def tracking(self, obj):
        """The live label's tracking number (returns_overview), linked to the label's page."""
        if obj.live_label_id is None:
            return "—"
        return format_html(
            '<a class="tracking-link" href="{}">{}</a>',
            reverse("admin:returns_returnlabel_change", args=[obj.live_label_id]),
            obj.live_tracking_number,
        )

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, obj):
        return format_html(
            '<span title="{}">{}</span>',
            obj.created_at,
            timesince(obj.created_at, timezone.now(), depth=1),
        )

    # --- bulk actions: each calls the service per row and reports per row -------------------

    def _apply(self, request, queryset, service, done_message, **kwargs):
        for ret in queryset:
            try:
                # The status this action read: a row someone changes before its turn comes
                # is refused as stale rather than judged on its new status.
                service(actor=request.user, ret=ret, expected_status=ret.status, **kwargs)
            except ReturnError as exc:
                self.message_user(request, f"{ret.rma_number}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{ret.rma_number}: {done_message}", messages.SUCCESS)

    def has_approve_permission(self, request):
        return request.user.has_perm("returns.approve_return")

    def has_receive_permission(self, request):
        return request.user.has_perm("returns.receive_return")

    def has_cancel_permission(self, request):
        return request.user.has_perm("returns.cancel_return")

    def has_expire_permission(self, request):
        return request.user.has_perm("returns.expire_return")

    def has_refund_permission(self, request):
        return request.user.has_perm(refund_services.REFUND_PERMISSION)

    @admin.action(description=_("Approve the selected returns"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        self._apply(request, queryset, services.return_approve, gettext("approved."))

    @admin.action(description=_("Reject the selected returns…"), permissions=["approve"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._apply(
                request,
                queryset,
                services.return_reject,
                gettext("rejected."),
                reason=form.cleaned_data["reason"],
            )
            return None
        return self._ask(
            request,
            queryset,
            "reject_selected",
            form,
            gettext("Reject returns"),
            gettext(
                "These returns will be rejected, each one only if its status "
                "allows it. The customer reads the reason."
            ),
            gettext("Reject"),
        )

    @admin.action(description=_("Mark the selected returns in transit"), permissions=["receive"])
    def mark_in_transit_selected(self, request, queryset):
        self._apply(
            request, queryset, services.return_mark_in_transit, gettext("marked in transit.")
        )

    @admin.action(
        description=_("Mark the selected returns received, all items as requested"),
        permissions=["receive"],
    )
    def receive_selected(self, request, queryset):
        self._apply(request, queryset, services.return_receive, gettext("received."))

    @admin.action(description=_("Cancel the selected returns…"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        if "apply" not in request.POST:
            return self._ask(
                request,
                queryset,
                "cancel_selected",
                forms.Form(),
                gettext("Cancel returns"),
                gettext(
                    "These returns will be cancelled, each one only if its status "
                    "allows it. A cancelled return is final."
                ),
                gettext("Cancel the returns"),
            )
        self._apply(request, queryset, services.return_cancel, gettext("cancelled."))
        return None

    @admin.action(description=_("Expire the selected returns…"), permissions=["expire"])
    def expire_selected(self, request, queryset):
        if "apply" not in request.POST:
            return self._ask(
                request,
                queryset,
                "expire_selected",
                forms.Form(),
                gettext("Expire returns"),
                gettext(
                    "These returns will expire, each one only if it is approved; "
                    "their labels are cancelled. An expired return is final."
                ),
                gettext("Expire the returns"),
            )
        self._apply(request, queryset, services.return_expire, gettext("expired."))
        return None

    @admin.action(description=_("Mark the selected returns refunded…"), permissions=["refund"])
    def mark_refunded_selected(self, request, queryset):
        # The page of one return's "mark as refunded", for the selection.
        return self.mark_refunded_page(request, list(queryset), action="mark_refunded_selected")

    def _ask(self, request, queryset, action, form, title, explanation, submit):
        """The intermediate page of an action that needs one answer for all the rows."""
        return TemplateResponse(
            request,
            "admin/returns/return/bulk_confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "returns": queryset,
                "form": form,
                "action": action,
                "explanation": explanation,
                "submit": submit,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )


def _money_warning(state: ReturnMoney) -> str:
    """The overview's line for a return refunded while its parcel is still awaited, or received
    short after such a refund (the customer owes the difference back)."""
    if state.owed_back:
        return format_html(
            '<span class="cell-line owed-back">{}</span>',
            gettext("%(amount)s owed back by the customer")
            % {"amount": money(state.owed_back, state.currency)},
        )
    if not state.refunded_before_receipt:
        return ""
    return format_html(
        '<span class="muted cell-line refunded-before-receipt">{}</span>',
        gettext("refunded, parcel not received yet"),
    )


class _MoneyChangeList(ChangeList):
    """The overview's list, each row of the page given its money state (`row.money`), computed
    from the columns returns_overview selects: no query more, whatever the number of rows."""

    def get_results(self, request):
        super().get_results(request)
        states = money_for_returns(list(self.result_list))
        for ret in self.result_list:
            ret.money = states[ret.pk]
