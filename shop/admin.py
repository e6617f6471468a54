from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shop.models import Brand, Customer, Product, ShopSettings, StockMovement, User, Variant


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["full_name", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    # Users made here are staff by default (customers sign up in the portal); is_staff is on the
    # form so that the staff password rules (shop/passwords.py) apply to the first password.
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "is_staff", "password1", "password2"]})
    ]

    def get_changeform_initial_data(self, request):
        return {"is_staff": True, **super().get_changeform_initial_data(request)}


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["email", "first_name", "last_name", "language", "country"]
    search_fields = ["email", "first_name", "last_name"]
    raw_id_fields = ["user"]


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    readonly_fields = ["stock_on_hand"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name_fr", "name_en", "category"]
    search_fields = ["name_fr", "name_en", "variants__sku"]
    fields = ["name_fr", "name_en", "category"]
    inlines = [VariantInline]


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = [
        "sku",
        "product",
        "option_fr",
        "option_en",
        "price",
        "stock_on_hand",
        "stock_managed_by_pos",
        "active",
    ]
    list_filter = ["active"]
    search_fields = ["sku", "product__name_fr", "product__name_en"]
    list_select_related = ["product"]
    readonly_fields = ["stock_on_hand"]


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "variant", "quantity", "kind", "note"]
    list_filter = ["kind"]
    list_select_related = ["variant__product"]
    search_fields = ["variant__sku", "note", "key"]

    def has_change_permission(self, request, obj=None):
        return False  # the ledger is append-only

    def has_delete_permission(self, request, obj=None):
        return False


# The settings page's sections; a setting named in none of them goes to a last "More" section.
SETTINGS_SECTIONS = [
    (
        _("Account and service"),
        ["returns_allowed", "return_window_days", "in_store_returns_allowed"],
    ),
    (
        _("Refund modes offered to customers"),
        ["offer_money_back", "offer_store_credit", "offer_exchange", "instant_exchange"],
    ),
    (_("Fees"), ["default_return_fee"]),
    (_("Automatic refunds"), ["auto_refund_money_back", "auto_refund_store_credit"]),
    (
        _("Customer emails"),
        ["notify_customers_by_default", "notify_parcel_in_transit", "notify_parcel_received"],
    ),
    (_("Parcels"), ["return_address", "return_expiry_days", "delivered_parcels_need_inspection"]),
    (_("Shop"), ["shop_name"]),
    (
        _("Return policy page"),
        [
            "refund_within_days",
            "policy_text_above_fr",
            "policy_text_above_en",
            "policy_text_below_fr",
            "policy_text_below_en",
        ],
    ),
]


@admin.register(ShopSettings)
class ShopSettingsAdmin(admin.ModelAdmin):
    """The settings as one page: the list opens the single settings row."""

    change_form_template = "admin/shop/shopsettings/change_form.html"

    def get_fieldsets(self, request, obj=None):
        named = {name for _title, names in SETTINGS_SECTIONS for name in names}
        fields = [f.name for f in ShopSettings._meta.fields if f.editable and not f.primary_key]
        fieldsets = [
            (title, {"fields": [n for n in names if n in fields]})
            for title, names in SETTINGS_SECTIONS
            if set(names) & set(fields)
        ]
        # Settings added by other features (e.g. expiry) appear without editing this list.
        others = [name for name in fields if name not in named]
        if others:
            fieldsets.append((_("More"), {"fields": others}))
        return fieldsets

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return redirect("admin:shop_shopsettings_change", ShopSettings.load().pk)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def response_change(self, request, obj):
        self.message_user(request, gettext("The settings were saved."), messages.SUCCESS)
        return redirect("admin:shop_shopsettings_change", obj.pk)

    def render_change_form(self, request, context, *args, **kwargs):
        context["settings_links"] = settings_links(request)
        context["show_save_and_continue"] = False  # one page, one Save
        return super().render_change_form(request, context, *args, **kwargs)


# Pages edited next to the settings: (admin URL name, title, permission to see it).
SETTINGS_LINKS = [
    ("admin:returns_returnreason_changelist", _("Return reasons"), "returns.view_returnreason"),
    ("admin:returns_returnaction_changelist", _("Return actions"), "returns.view_returnaction"),
    ("admin:returns_returnrule_changelist", _("Return rules"), "returns.view_returnrule"),
    (
        "admin:returns_shippingmethod_changelist",
        _("Return shipping methods"),
        "returns.view_shippingmethod",
    ),
    (
        "admin:notifications_emailtemplate_changelist",
        _("Notification emails"),
        "notifications.view_emailtemplate",
    ),
]


def settings_links(request) -> list[tuple[str, str]]:
    links = []
    for name, title, permission in SETTINGS_LINKS:
        if not request.user.has_perm(permission):
            continue
        try:
            links.append((reverse(name), str(title)))
        except NoReverseMatch:
            continue  # that page is not installed
    return links


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    """The shop's brands; one is the default (the database refuses a second one)."""

    list_display = ["name", "code", "host_name", "is_default"]
    search_fields = ["name", "code", "host_name"]
    prepopulated_fields = {"code": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "code", "is_default", "host_name"]}),
        (_("Look"), {"fields": ["logo", "accent_colour", "accent_dark_colour"]}),
        (_("Emails"), {"fields": ["sender_name", "sender_email"]}),
        (_("Labels"), {"fields": ["return_address"]}),
        (_("Return policy page"), {"fields": ["policy_text_fr", "policy_text_en"]}),
    ]
