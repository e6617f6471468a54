from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Customer, Order, OrderLine, Product, ShopSettings, StockMovement, User, Variant

admin.site.site_header = _("Returns back-office")
admin.site.site_title = _("Returns back-office")
admin.site.index_title = _("Back-office")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["full_name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups",
                                       "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"],
                             "fields": ["email", "password1", "password2"]})]


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
    list_display = ["name", "category"]
    search_fields = ["name", "variants__sku"]
    inlines = [VariantInline]


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["sku", "product", "option", "price", "stock_on_hand", "stock_managed_by_pos"]
    search_fields = ["sku", "product__name"]
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


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["variant"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "email", "status", "placed_at", "amount_paid",
                    "currency"]
    list_filter = ["status", "placed_at"]
    search_fields = ["number", "email", "customer__first_name", "customer__last_name"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    inlines = [OrderLineInline]
    show_full_result_count = False


@admin.register(ShopSettings)
class ShopSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not ShopSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
