"""The shop: users and customers, the catalogue with its stock ledger, orders, and settings."""

from typing import ClassVar, TypedDict

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shop.languages import in_language
from shop.money import CURRENCY_CHOICES


class _MoneyDigits(TypedDict):
    max_digits: int
    decimal_places: int


# Every amount column: `models.DecimalField(_("paid"), **MONEY)`.
MONEY = _MoneyDigits(max_digits=12, decimal_places=2)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("an email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        """A superuser, its password checked as a superuser's (shop.passwords: 12 characters):
        `manage.py createsuperuser` checks it against a user that is not staff yet, and not at
        all when it is given in DJANGO_SUPERUSER_PASSWORD; a ValidationError here refuses it
        on every path, nothing created."""
        extra.update(is_staff=True, is_superuser=True)
        if password is not None:
            validate_password(password, self.model(email=email, **extra))
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Customers and staff alike log in with their email address."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Customer(models.Model):
    """Who ordered. A customer may have no account (guest checkout, imported orders)."""

    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 two-letter code")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.full_name or self.email

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()


class Product(models.Model):
    """A product, its name typed in French and in English (one may be blank, not both)."""

    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name_fr", "name_en", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name_fr="") | ~Q(name_en=""), name="product_has_a_name"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if not (self.name_fr.strip() or self.name_en.strip()):
            raise ValidationError(_("Type the product's name in French or in English."))

    def name_in(self, language: str | None = None) -> str:
        return in_language(self.name_fr, self.name_en, language)

    @property
    def name(self) -> str:
        """The name in the active language."""
        return self.name_in()

    @name.setter
    def name(self, value: str) -> None:
        # One name, as an import or a storefront gives it, fills both languages.
        self.name_fr = self.name_en = value


class Variant(models.Model):
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="variants"
    )
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    option_fr = models.CharField(
        _("option (French)"),
        max_length=100,
        blank=True,
        help_text=_("e.g. the size or the colour"),
    )
    option_en = models.CharField(_("option (English)"), max_length=100, blank=True)
    price = models.DecimalField(_("price"), **MONEY)
    stock_on_hand = models.IntegerField(_("stock on hand"), default=0)
    stock_managed_by_pos = models.BooleanField(
        _("stock managed by a point of sale"),
        default=False,
        help_text=_("The physical shop's till owns this stock: returns never restock it here."),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Off: no longer sold, so never offered to a customer in exchange."),
    )

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["product__name_fr", "sku"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative"),
            models.CheckConstraint(
                condition=Q(stock_on_hand__gte=0), name="variant_stock_not_negative"
            ),
        ]

    def __str__(self):
        return self.label_in()

    def option_in(self, language: str | None = None) -> str:
        return in_language(self.option_fr, self.option_en, language)

    def label_in(self, language: str | None = None) -> str:
        """ "T-shirt M (TS-M)": the product's name, the option, the SKU."""
        name = f"{self.product.name_in(language)} {self.option_in(language)}".strip()
        return f"{name} ({self.sku})"

    @property
    def option(self) -> str:
        """The option in the active language."""
        return self.option_in()

    @option.setter
    def option(self, value: str) -> None:
        # One option, as an import or a storefront gives it, fills both languages.
        self.option_fr = self.option_en = value


class StockMovement(models.Model):
    """The stock ledger: every change of a variant's stock is a row here."""

    class Kind(models.TextChoices):
        IMPORT = "import", _("import")
        ADJUSTMENT = "adjustment", _("adjustment")
        RETURN = "return", _("return restocked")
        EXCHANGE = "exchange", _("exchange shipped")
        # Held for an exchange's replacement from its approval: out of what may be sold.
        EXCHANGE_RESERVED = "exchange_reserved", _("reserved for an exchange")
        EXCHANGE_RELEASED = "exchange_released", _("exchange reservation released")

    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="movements"
    )
    quantity = models.IntegerField(_("quantity"), help_text=_("positive in, negative out"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    # A stable key for movements that must happen once only (e.g. restocking one return line).
    key = models.CharField(_("key"), max_length=100, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stock_movement_not_zero"),
        ]

    def __str__(self):
        return f"{self.quantity:+d} {self.variant_id} ({self.kind})"


HEX_COLOUR = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("A colour as #rrggbb, e.g. #0b6e4f."), code="colour"
)


class Brand(models.Model):
    """A shop's brand: what the portal, the emails, the labels and the policy page show for its
    orders (shop/brands.py says which brand a page or an order has). One brand is the default
    (a partial unique index holds that there is at most one): orders without a brand have it."""

    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("Names the brand in imports and the API."),
    )
    name = models.CharField(_("name"), max_length=100)
    logo = models.ImageField(_("logo"), upload_to="brands/", blank=True)
    accent_colour = models.CharField(
        _("accent colour"), max_length=7, default="#0b6e4f", validators=[HEX_COLOUR]
    )
    accent_dark_colour = models.CharField(
        _("dark accent colour"),
        max_length=7,
        default="#08553d",
        validators=[HEX_COLOUR],
        help_text=_("For links hovered and buttons pressed."),
    )
    sender_name = models.CharField(_("sender name"), max_length=100, blank=True)
    sender_email = models.EmailField(
        _("sender address"), blank=True, help_text=_("Blank: the site's sender address.")
    )
    return_address = models.TextField(
        _("return address"),
        blank=True,
        help_text=_("Printed on its labels under its name. Blank: the shop's return address."),
    )
    policy_text_fr = models.TextField(_("policy text (French)"), blank=True)
    policy_text_en = models.TextField(_("policy text (English)"), blank=True)
    host_name = models.CharField(
        _("portal host name"),
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text=_("e.g. returns.brand.example: pages without an order show this brand there."),
    )
    is_default = models.BooleanField(_("default brand"), default=False)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="brand_one_default"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.host_name = (self.host_name or "").strip().lower() or None


# An order paid outside any provider's API: its refunds are paid out by hand.
MANUAL_PAYMENT = "manual"


class Order(models.Model):
    class Status(models.TextChoices):
        # In context: French agrees these with "commande" (returns, labels... say "annulé").
        PLACED = "placed", pgettext_lazy("order status", "placed")
        SHIPPED = "shipped", pgettext_lazy("order status", "shipped")
        DELIVERED = "delivered", pgettext_lazy("order status", "delivered")
        CANCELLED = "cancelled", pgettext_lazy("order status", "cancelled")

    number = models.CharField(_("order number"), max_length=40, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    email = models.EmailField(_("email address"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLACED, db_index=True
    )
    shipping_country = models.CharField(_("shipping country"), max_length=2)
    shipping_postcode = models.CharField(_("shipping postcode"), max_length=20, blank=True)
    shipping_address = models.TextField(
        _("shipping address"),
        blank=True,
        help_text=_("The lines above the postcode (street, city), printed on return labels."),
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR"
    )
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    shipping_cost = models.DecimalField(_("shipping cost"), default=0, **MONEY)
    discount = models.DecimalField(_("order discount"), default=0, **MONEY)
    amount_paid = models.DecimalField(_("amount paid"), **MONEY)
    outbound_tracking_number = models.CharField(
        _("outbound tracking number"), max_length=64, blank=True
    )
    # How the order was paid, so that a refund goes back the same way (refunds/providers/):
    # "manual" (refunds paid out by hand, marked with their reference) or a provider's code,
    # its payment's id there (a Stripe PaymentIntent id) and what it captured.
    payment_provider = models.CharField(
        _("payment provider"), max_length=20, default=MANUAL_PAYMENT, blank=True
    )
    payment_reference = models.CharField(
        _("payment reference"),
        max_length=200,
        blank=True,
        help_text=_("The payment's id at the provider, e.g. a Stripe PaymentIntent (pi_...)."),
    )
    amount_captured = models.DecimalField(
        _("amount captured"),
        null=True,
        blank=True,
        help_text=_("What the provider captured; empty: the amount paid."),
        **MONEY,
    )
    # None: the default brand (shop.brands.brand_of).
    brand = models.ForeignKey(
        Brand,
        verbose_name=_("brand"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        # The back-office finds returns by these identifiers (returns/selectors/backoffice.py).
        indexes = [
            models.Index(fields=["email"], name="order_email"),
            models.Index(fields=["outbound_tracking_number"], name="order_tracking_number"),
            # The guest lookup finds an order by its number in any case (number__iexact is
            # UPPER(number) on PostgreSQL): without this it walks the placed_at index.
            models.Index(Upper("number"), name="order_number_upper"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(shipping_cost__gte=0), name="order_shipping_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0), name="order_discount_not_negative"
            ),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="order_paid_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_captured__isnull=True) | Q(amount_captured__gte=0),
                name="order_captured_not_negative",
            ),
        ]

    def __str__(self):
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price_paid = models.DecimalField(_("unit price paid"), **MONEY)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_min_1"),
            models.CheckConstraint(
                condition=Q(unit_price_paid__gte=0), name="order_line_price_not_negative"
            ),
            models.UniqueConstraint(fields=["order", "variant"], name="order_line_variant_once"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.variant}"

    @property
    def total_paid(self):
        return self.unit_price_paid * self.quantity


class ShopSettings(models.Model):
    """The shop's settings, a single editable row (pk=1)."""

    shop_name = models.CharField(_("shop name"), max_length=100, default="Maison Lumière")
    returns_allowed = models.BooleanField(
        _("returns allowed"),
        default=True,
        help_text=_("Off: customers cannot request returns; staff still can create them."),
    )
    return_window_days = models.PositiveIntegerField(
        _("return window (days)"), default=30, help_text=_("Counted from delivery.")
    )
    default_return_fee = models.DecimalField(_("default return fee"), default=0, **MONEY)
    offer_money_back = models.BooleanField(_("offer money back"), default=True)
    offer_store_credit = models.BooleanField(_("offer store credit"), default=True)
    # --- store credit codes (refunds/credit.py)
    store_credit_bonus_percent = models.DecimalField(
        _("store credit bonus (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        help_text=_(
            "Added to a refund the customer takes as store credit instead of money, e.g. 10."
        ),
    )
    store_credit_valid_days = models.PositiveIntegerField(
        _("store credit valid for (days)"),
        default=0,
        help_text=_("A store credit code expires this many days after it is issued; 0: never."),
    )
    offer_exchange = models.BooleanField(_("offer exchange"), default=True)
    instant_exchange = models.BooleanField(
        _("instant exchange"),
        default=False,
        help_text=_(
            "On: an exchange's replacement order is made when the return is approved, "
            "without waiting for the parcel. Off: when the parcel is received."
        ),
    )
    in_store_returns_allowed = models.BooleanField(_("in-store returns allowed"), default=True)
    notify_customers_by_default = models.BooleanField(
        _("notify customers by default"), default=True
    )
    # --- return labels and parcel tracking (returns/services/labels.py, tracking.py, expiry.py)
    return_address = models.TextField(
        _("return address"),
        blank=True,
        help_text=_("Where return parcels go, printed on the labels under the shop's name."),
    )
    return_expiry_days = models.PositiveIntegerField(
        _("approved returns expire after (days)"),
        default=30,
        help_text=_("When the parcel has not moved that long after the approval; 0: never."),
    )
    delivered_parcels_need_inspection = models.BooleanField(
        _("delivered parcels await inspection"),
        default=True,
        help_text=_(
            "Off: a parcel the carrier delivers is received as requested at once, and restocked."
        ),
    )
    notify_parcel_in_transit = models.BooleanField(
        _("tell the customer when the parcel is on its way"), default=True
    )
    notify_parcel_received = models.BooleanField(
        _("tell the customer when the parcel arrives"), default=True
    )
    # --- the public return policy page (returns/policy_page.py): what no rule enforces
    refund_within_days = models.PositiveIntegerField(
        _("refunds made within (days)"),
        default=14,
        help_text=_("What the policy page promises: days from receiving the parcel to the refund."),
    )
    # --- automatic refunds (refunds/services.py refund_automatically): once a return is
    # received and inspected, refunded through the order's payment provider without a click
    auto_refund_money_back = models.BooleanField(
        _("refund money back automatically"),
        default=False,
        help_text=_(
            "Once the parcel is received and inspected, the refund is sent to the order's "
            "payment provider (or left pending for staff when paid by hand)."
        ),
    )
    auto_refund_store_credit = models.BooleanField(
        _("give store credit automatically"),
        default=False,
        help_text=_("Once the parcel is received and inspected, the store credit is given."),
    )
    policy_text_above_fr = models.TextField(_("policy page: text above (French)"), blank=True)
    policy_text_above_en = models.TextField(_("policy page: text above (English)"), blank=True)
    policy_text_below_fr = models.TextField(_("policy page: text below (French)"), blank=True)
    policy_text_below_en = models.TextField(_("policy page: text below (English)"), blank=True)

    class Meta:
        verbose_name = _("shop settings")
        verbose_name_plural = _("shop settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="shop_settings_single_row"),
            models.CheckConstraint(
                condition=Q(default_return_fee__gte=0), name="shop_settings_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(store_credit_bonus_percent__gte=0, store_credit_bonus_percent__lte=100),
                name="shop_settings_credit_bonus_0_to_100",
            ),
        ]

    def __str__(self):
        return str(_("Shop settings"))

    @classmethod
    def load(cls) -> "ShopSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class ThrottleCounter(models.Model):
    """Attempts of one kind (login, signup, password reset, guest lookup) counted for one
    identity in its current window (shop/throttle.py). A row in the database, not the cache:
    every web process counts in the same place, and one UPDATE adds one atomically."""

    # "<scope>:<hash of each identity part>": emails and addresses are not stored in clear.
    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    window_ends = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("throttle counter")
        verbose_name_plural = _("throttle counters")

    def __str__(self):
        return f"{self.key}: {self.count}"
