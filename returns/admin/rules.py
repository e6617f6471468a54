"""Back-office pages of return rules, shipping methods and labels, with the rule tester.

Registered from returns/admin/__init__.py. The tester (/admin/returns/returnrule/tester/) runs
the rule set against an order and shows which rules match and why, the fee, and what is blocked.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from returns import policy
from returns.carriers import carrier_choices
from returns.errors import ReturnError
from returns.models import Return, ReturnReason
from returns.models.labels import ReturnLabel, ShippingMethod, TrackingEvent
from returns.models.rules import ReturnRule, RuleAction
from returns.rules import RuleOutcome, evaluate_rules, plain_number
from returns.selectors import held_quantities, returnable_quantities
from returns.selectors.backoffice import label_for_page
from returns.selectors.labels import carrier_name, label_filename
from returns.services import labels as label_services
from shop.http import pdf_download
from shop.models import Order, ShopSettings


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ["name_fr", "name_en", "code", "carrier", "service", "active", "position"]
    list_editable = ["active", "position"]
    search_fields = ["code", "name_fr", "name_en"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "carrier":
            return forms.ChoiceField(
                label=db_field.verbose_name, choices=carrier_choices(), help_text=db_field.help_text
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def describe_action(rule: ReturnRule) -> str:
    if rule.action == RuleAction.FEE_FIXED:
        return gettext("postage fee %(amount)s") % {"amount": rule.amount}
    if rule.action == RuleAction.FEE_PERCENT:
        assert rule.percent is not None  # a database check: a percent fee has one
        return gettext("restocking fee %(percent)s %%") % {
            "percent": plain_number(rule.percent)
        } + _bounds(rule)
    if rule.action == RuleAction.SHIP_WITH:
        return gettext("ship with %(method)s") % {"method": rule.shipping_method}
    if rule.action == RuleAction.BLOCK:
        return gettext("block: “%(message)s”") % {"message": rule.message}
    return str(rule.get_action_display())


def _bounds(rule: ReturnRule) -> str:
    if rule.fee_min is None and rule.fee_max is None:
        return ""
    return " " + gettext("(%(low)s–%(high)s)") % {
        "low": rule.fee_min if rule.fee_min is not None else "0",
        "high": rule.fee_max if rule.fee_max is not None else "∞",
    }


def describe_conditions(rule: ReturnRule) -> str:
    parts = []
    if rule.country_codes:
        parts.append(
            f"{gettext('country')} {rule.get_country_mode_display()} "
            f"{', '.join(rule.country_codes)}"
        )
    if rule.product_id:
        parts.append(gettext("product %(name)s") % {"name": rule.product})
    if rule.category:
        parts.append(gettext("category %(name)s") % {"name": rule.category})
    if rule.min_order_value is not None or rule.max_order_value is not None:
        parts.append(
            gettext("order value %(low)s–%(high)s")
            % {"low": rule.min_order_value or "0", "high": rule.max_order_value or "∞"}
        )
    if rule.min_days_since_delivery is not None or rule.max_days_since_delivery is not None:
        parts.append(
            gettext("%(low)s–%(high)s days since delivery")
            % {
                "low": rule.min_days_since_delivery or 0,
                "high": rule.max_days_since_delivery
                if rule.max_days_since_delivery is not None
                else "∞",
            }
        )
    if rule.reason_id:
        parts.append(gettext("reason %(name)s") % {"name": rule.reason})
    if rule.item_value_below is not None:
        parts.append(gettext("price paid below %(amount)s") % {"amount": rule.item_value_below})
    if rule.ships_with_id:
        parts.append(gettext("comes back with %(method)s") % {"method": rule.ships_with})
    if rule.channel:
        parts.append(str(rule.get_channel_display()))
    return "; ".join(parts) or gettext("always")


class RuleTesterForm(forms.Form):
    order_number = forms.CharField(label=_("order number"), max_length=40)
    channel = forms.ChoiceField(
        label=_("channel"), choices=Return.Channel.choices, initial=Return.Channel.PORTAL
    )
    reason = forms.ModelChoiceField(
        label=_("reason of every item"),
        required=False,
        queryset=ReturnReason.objects.filter(active=True),
        empty_label=_("not chosen yet"),
        to_field_name="code",
    )
    delivery_option = forms.ChoiceField(
        label=_("sent back"),
        choices=Return.DeliveryOption.choices,
        initial=Return.DeliveryOption.LABEL,
        required=False,  # blank: with a label, as a return is unless told otherwise
    )
    include_inactive = forms.BooleanField(label=_("include the rules that are off"), required=False)

    def clean_order_number(self):
        number = self.cleaned_data["order_number"].strip()
        try:
            return Order.objects.select_related("customer").get(number=number)
        except Order.DoesNotExist:
            raise forms.ValidationError(_("No order has this number.")) from None


@admin.register(ReturnRule)
class ReturnRuleAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "active", "conditions", "action_summary"]
    list_display_links = ["name"]
    list_editable = ["position", "active"]
    list_filter = ["active", "action"]
    search_fields = ["name"]
    ordering = ["position", "id"]
    raw_id_fields = ["product"]
    change_list_template = "admin/returns/returnrule/change_list.html"
    readonly_fields = ["public_policy"]
    fieldsets = [
        (None, {"fields": ["name", "position", "active", "public_policy"]}),
        (
            _("When (every condition filled in must hold)"),
            {
                "fields": [
                    "countries",
                    "country_mode",
                    "channel",
                    "min_order_value",
                    "max_order_value",
                    "min_days_since_delivery",
                    "max_days_since_delivery",
                    "ships_with",
                    "product",
                    "category",
                    "reason",
                    "item_value_below",
                ]
            },
        ),
        (
            _("Then"),
            {
                "fields": [
                    "action",
                    "amount",
                    "percent",
                    "fee_min",
                    "fee_max",
                    "charge_in_store",
                    "label_fr",
                    "label_en",
                    "message_fr",
                    "message_en",
                    "shipping_method",
                ]
            },
        ),
    ]

    @admin.display(description=_("what customers read"))
    def public_policy(self, obj):
        # The public page states every active rule a customer can meet (returns/policy_page.py).
        return format_html(
            '<a href="{}">{}</a>', reverse("return_policy"), gettext("The return policy page")
        )

    @admin.display(description=_("conditions"))
    def conditions(self, obj):
        return describe_conditions(obj)

    @admin.display(description=_("action"), ordering="action")
    def action_summary(self, obj):
        return describe_action(obj)

    def get_urls(self):
        return [
            path(
                "tester/",
                self.admin_site.admin_view(self.tester_view),
                name="returns_returnrule_tester",
            ),
            *super().get_urls(),
        ]

    def tester_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = RuleTesterForm(request.GET if "order_number" in request.GET else None)
        outcome = quote = None
        held_units = 0
        if form.is_valid():
            order = form.cleaned_data["order_number"]
            # What the order's open returns hold is not returned again: the rules and the
            # estimate are on what is left, as a new return would be.
            left = returnable_quantities(order)
            held_units = sum(held_quantities(order).values())
            outcome = _tested_outcome(form.cleaned_data, order, left)
            quote = _quote(order, outcome, left)
        return TemplateResponse(
            request,
            "admin/returns/returnrule/tester.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Test the return rules on an order"),
                "opts": self.model._meta,
                "form": form,
                "outcome": outcome,
                "quote": quote,
                "held_units": held_units,
                "shop": ShopSettings.load(),
                "rows": [
                    {"check": check, "action": describe_action(check.rule)}
                    for check in outcome.checks
                ]
                if outcome
                else [],
            },
        )


def _tested_outcome(data: dict, order: Order, left: dict[int, int]) -> RuleOutcome:
    rules = ReturnRule.objects.select_related("product", "reason", "shipping_method", "ships_with")
    if not data["include_inactive"]:
        rules = rules.filter(active=True)
    reason = data["reason"]
    return evaluate_rules(
        order,
        channel=data["channel"],
        rules=list(rules),
        lines=[(line_id, units) for line_id, units in left.items() if units > 0],
        reason_codes={line_id: reason.code for line_id in left} if reason else None,
        delivery_option=data["delivery_option"] or Return.DeliveryOption.LABEL,
    )


def _quote(order: Order, outcome: RuleOutcome, left: dict[int, int]):
    from refunds.quotes import quote_preview

    quantities = {
        line_id: units
        for line_id, units in left.items()
        if units > 0 and line_id not in outcome.blocked
    }
    if not quantities:
        return None
    return quote_preview(order=order, quantities=quantities, fees=outcome.fees)


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0
    can_delete = False
    # Shown, never edited (a tuple: one sequence fits the types of both attributes).
    fields = readonly_fields = (
        "occurred_at",
        "raw_status",
        "status",
        "location",
        "description",
        "event_id",
        "received_at",
    )
    ordering = ["occurred_at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReturnLabel)
class ReturnLabelAdmin(admin.ModelAdmin):
    """Labels are made by the services (approval); here staff read, download, resend, cancel."""

    list_display = [
        "tracking_number",
        "rma",
        "carrier_display",
        "status",
        "parcel_status",
        "created_at",
        "pdf_link",
    ]
    list_filter = ["status", "parcel_status", "carrier"]
    list_select_related = ["ret"]
    search_fields = ["tracking_number", "ret__rma_number"]
    show_full_result_count = False
    # Shown, never edited (a tuple: one sequence fits the types of both attributes).
    fields = readonly_fields = (
        "ret",
        "tracking_number",
        "carrier",
        "shipping_method",
        "carrier_reference",
        "status",
        "parcel_status",
        "parcel_status_at",
        "created_at",
        "created_by",
        "cancelled_at",
        "pdf_link",
    )
    inlines = [TrackingEventInline]
    actions = ["resend_selected", "cancel_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The label's page: carrier, tracking (linked to the carrier's page), status, events,
        and the buttons the return's page offers for it (returns.policy.label_actions)."""
        # Read only: a label changes through its buttons' services, never a form posted here.
        if request.method != "GET" or not self.has_view_permission(request):
            raise PermissionDenied
        page = label_for_page(int(object_id)) if str(object_id).isdigit() else None
        if page is None:
            raise Http404(gettext("No such label."))
        label = page.label
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Label %(number)s") % {"number": label.tracking_number},
            "page": page,
            "label": label,
            "ret": label.ret,
            "actions": policy.label_actions(label.ret, label, request.user),
        }
        return TemplateResponse(request, "admin/returns/returnlabel/label_page.html", context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("returns.resend_label")

    def has_cancel_permission(self, request):
        return request.user.has_perm("returns.cancel_label")

    @admin.display(description=_("carrier"), ordering="carrier")
    def carrier_display(self, obj):
        return carrier_name(obj.carrier)

    @admin.display(description=_("return"), ordering="ret__rma_number")
    def rma(self, obj):
        return obj.ret.rma_number

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        if not obj.pk or not obj.is_live:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:returns_returnlabel_pdf", args=[obj.pk]),
            gettext("download"),
        )

    def get_urls(self):
        return [
            path(
                "<int:label_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="returns_returnlabel_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request, label_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        label = ReturnLabel.objects.select_related("ret").filter(pk=label_id).first()
        if label is None or not label.is_live:
            raise Http404(gettext("No such label, or it was cancelled."))
        return pdf_download(bytes(label.pdf), label_filename(label))

    def _apply(self, request, queryset, service, done):
        for label in queryset.select_related("ret"):
            try:
                service(actor=request.user, ret=label.ret)
            except ReturnError as exc:
                self.message_user(
                    request, f"{label.tracking_number}: {exc.message}", messages.ERROR
                )
            else:
                self.message_user(request, f"{label.tracking_number}: {done}", messages.SUCCESS)

    @admin.action(description=_("Email the selected labels again"), permissions=["resend"])
    def resend_selected(self, request, queryset):
        self._apply(
            request,
            queryset.filter(status=ReturnLabel.Status.CREATED),
            label_services.label_resend,
            gettext("emailed again."),
        )

    @admin.action(description=_("Cancel the selected labels"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        self._apply(
            request,
            queryset.filter(status=ReturnLabel.Status.CREATED),
            label_services.label_cancel,
            gettext("cancelled."),
        )
