"""Return rules: an ordered list that staff edit, each with conditions and one action.

Exported by returns/models/__init__.py. The evaluation is in returns/rules.py; here are only
the fields, their choices and the constraints the database keeps.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from shop.models import MONEY


class RuleAction(models.TextChoices):
    FEE_FIXED = "fee_fixed", _("return fee of a fixed amount")
    FEE_PERCENT = "fee_percent", _("restocking fee: a percentage of the items")
    BLOCK = "block", _("block the return")
    SHIP_WITH = "ship_with", _("ship back with a given method")
    IN_STORE_ONLY = "in_store_only", _("in-store returns only")
    AUTO_APPROVE = "auto_approve", _("approve at once")
    NEEDS_APPROVAL = "needs_approval", _("needs staff approval")


class RuleKind(models.TextChoices):
    """Actions of one kind compete: the first matching rule of each kind wins."""

    FEE = "fee", _("fee")
    BLOCK = "block", _("block")
    SHIPPING = "shipping", _("shipping method")
    IN_STORE = "in_store", _("in store only")
    APPROVAL = "approval", _("approval")


ACTION_KIND = {
    RuleAction.FEE_FIXED: RuleKind.FEE,
    RuleAction.FEE_PERCENT: RuleKind.FEE,
    RuleAction.BLOCK: RuleKind.BLOCK,
    RuleAction.SHIP_WITH: RuleKind.SHIPPING,
    RuleAction.IN_STORE_ONLY: RuleKind.IN_STORE,
    RuleAction.AUTO_APPROVE: RuleKind.APPROVAL,
    RuleAction.NEEDS_APPROVAL: RuleKind.APPROVAL,
}


class CountryMode(models.TextChoices):
    IN = "in", _("is one of")
    NOT_IN = "not_in", _("is not one of")


def parse_countries(text: str) -> list[str]:
    """ "fr, be;DE" -> ["BE", "DE", "FR"]: the ISO codes staff typed, upper case, sorted."""
    parts = text.replace(";", ",").replace(" ", ",").split(",")
    return sorted({part.strip().upper() for part in parts if part.strip()})


class ReturnRule(models.Model):
    """When every condition set holds (blank ones are ignored), the action applies.

    Order-level conditions: shipping country, channel, the order's value (amount paid) and its
    age in days since delivery. Line-level conditions: product, category, reason; a rule with
    any of them matches the lines they hold for (a fee in percent is then computed on those
    lines, a block refuses only them).
    """

    Action = RuleAction
    CountryMode = CountryMode

    position = models.PositiveIntegerField(
        _("position"), default=0, db_index=True, help_text=_("Rules are read in this order.")
    )
    active = models.BooleanField(_("active"), default=True)
    name = models.CharField(
        _("name"), max_length=100, help_text=_("For staff, e.g. “Free returns from Germany”.")
    )
    # --- conditions
    countries = models.CharField(
        _("shipping countries"),
        max_length=200,
        blank=True,
        help_text=_("ISO codes separated by commas, e.g. “FR, BE”. Blank: any country."),
    )
    country_mode = models.CharField(
        _("the shipping country"),
        max_length=10,
        choices=CountryMode.choices,
        default=CountryMode.IN,
    )
    product = models.ForeignKey(
        "shop.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.CharField(_("category"), max_length=100, blank=True)
    min_order_value = models.DecimalField(_("order value from"), null=True, blank=True, **MONEY)
    max_order_value = models.DecimalField(_("order value up to"), null=True, blank=True, **MONEY)
    min_days_since_delivery = models.PositiveIntegerField(
        _("days since delivery from"), null=True, blank=True
    )
    max_days_since_delivery = models.PositiveIntegerField(
        _("days since delivery up to"), null=True, blank=True
    )
    reason = models.ForeignKey(
        "returns.ReturnReason",
        verbose_name=_("reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(
        _("channel"),
        max_length=20,
        blank=True,
        choices=[("portal", _("customer portal")), ("backoffice", _("back-office"))],
        help_text=_("Blank: both."),
    )
    # --- the action
    action = models.CharField(_("action"), max_length=20, choices=RuleAction.choices)
    amount = models.DecimalField(
        _("fee amount"), null=True, blank=True, **MONEY, help_text=_("In the order's currency.")
    )
    percent = models.DecimalField(
        _("fee percent"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Of the paid value of the items returned."),
    )
    message_fr = models.TextField(_("message to the customer (French)"), blank=True)
    message_en = models.TextField(_("message to the customer (English)"), blank=True)
    shipping_method = models.ForeignKey(
        "returns.ShippingMethod",
        verbose_name=_("shipping method"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("return rule")
        verbose_name_plural = _("return rules")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="fee_fixed") | Q(amount__isnull=False, amount__gte=0),
                name="return_rule_fixed_fee_amount",
            ),
            models.CheckConstraint(
                condition=~Q(action="fee_percent")
                | Q(percent__isnull=False, percent__gte=0, percent__lte=100),
                name="return_rule_percent_fee_0_100",
            ),
            models.CheckConstraint(
                condition=~Q(action="ship_with") | Q(shipping_method__isnull=False),
                name="return_rule_ship_with_method",
            ),
            models.CheckConstraint(
                condition=~Q(action="block") | ~Q(message_en="") | ~Q(message_fr=""),
                name="return_rule_block_has_message",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def kind(self) -> str:
        return ACTION_KIND[RuleAction(self.action)]

    @property
    def country_codes(self) -> list[str]:
        return parse_countries(self.countries)

    @property
    def message(self) -> str:
        """The customer's message in the active language (the other one when it is blank)."""
        english = (get_language() or "fr").startswith("en")
        first, second = (
            (self.message_en, self.message_fr) if english else (self.message_fr, self.message_en)
        )
        return first or second

    @property
    def has_line_conditions(self) -> bool:
        return bool(self.product_id or self.category or self.reason_id)

    def clean(self):
        self.countries = ", ".join(parse_countries(self.countries))
        errors = {}
        if any(len(code) != 2 or not code.isalpha() for code in self.country_codes):
            errors["countries"] = _("Use two-letter ISO codes, e.g. “FR, BE, DE”.")
        required = {
            RuleAction.FEE_FIXED: ("amount", _("Give the fee amount.")),
            RuleAction.FEE_PERCENT: ("percent", _("Give the fee percent.")),
            RuleAction.SHIP_WITH: ("shipping_method", _("Choose the shipping method.")),
        }
        if self.action in required:
            field, message = required[self.action]
            if getattr(self, field) in (None, ""):
                errors[field] = message
        if self.action == RuleAction.BLOCK and not (self.message_en or self.message_fr):
            errors["message_en"] = _("Tell the customer why the item cannot be returned.")
        if self.percent is not None and not 0 <= self.percent <= 100:
            errors["percent"] = _("A percent is between 0 and 100.")
        if self.amount is not None and self.amount < 0:
            errors["amount"] = _("The fee cannot be negative.")
        for low, high in (
            ("min_order_value", "max_order_value"),
            ("min_days_since_delivery", "max_days_since_delivery"),
        ):
            if (
                getattr(self, low) is not None
                and getattr(self, high) is not None
                and getattr(self, low) > getattr(self, high)
            ):
                errors[high] = _("The upper bound is below the lower one.")
        if errors:
            raise ValidationError(errors)
