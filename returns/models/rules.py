"""Return rules: an ordered list that staff edit, each with conditions and one action.

Exported by returns/models/__init__.py. The evaluation is in returns/rules.py; here are only
the fields, their choices and the constraints the database keeps.
"""

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from shop.models import MONEY
from shop.money import quantize

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class RuleAction(models.TextChoices):
    FEE_FIXED = "fee_fixed", _("postage fee of a fixed amount")
    FEE_PERCENT = "fee_percent", _("restocking fee: a percentage of the items")
    KEEP_ITEM = "keep_item", _("keep the item: nothing is sent back")
    BLOCK = "block", _("block the return")
    SHIP_WITH = "ship_with", _("ship back with a given method")
    IN_STORE_ONLY = "in_store_only", _("in-store returns only")
    AUTO_APPROVE = "auto_approve", _("approve at once")
    NEEDS_APPROVAL = "needs_approval", _("needs staff approval")


class RuleKind(models.TextChoices):
    """Actions of one kind compete: the first matching rule of each kind wins (per item for
    the item kinds: blocks, restocking fees, keeping the item). Kinds add up: a postage fee
    and a restocking fee are both charged."""

    POSTAGE = "postage", _("postage fee")
    RESTOCKING = "restocking", _("restocking fee")
    BLOCK = "block", _("block")
    SHIPPING = "shipping", _("shipping method")
    IN_STORE = "in_store", _("in store only")
    APPROVAL = "approval", _("approval")
    KEEP = "keep", _("keep the item")


# The kinds that charge the customer, in the order of the quote's fee lines.
FEE_KINDS = (RuleKind.POSTAGE, RuleKind.RESTOCKING)
# The kinds decided item by item: each item by the first matching rule of the kind.
ITEM_KINDS = (RuleKind.BLOCK, RuleKind.RESTOCKING, RuleKind.KEEP)

ACTION_KIND = {
    RuleAction.FEE_FIXED: RuleKind.POSTAGE,
    RuleAction.FEE_PERCENT: RuleKind.RESTOCKING,
    RuleAction.KEEP_ITEM: RuleKind.KEEP,
    RuleAction.BLOCK: RuleKind.BLOCK,
    RuleAction.SHIP_WITH: RuleKind.SHIPPING,
    RuleAction.IN_STORE_ONLY: RuleKind.IN_STORE,
    RuleAction.AUTO_APPROVE: RuleKind.APPROVAL,
    RuleAction.NEEDS_APPROVAL: RuleKind.APPROVAL,
}


# A fee set by hand (staff typed it), or a return made before fees had lines.
STAFF_FEE = "staff"


@dataclass(frozen=True)
class FeeLine:
    """One fee of a return, as the quote shows it: its kind (a fee kind, or STAFF_FEE), its
    amount (rounded to the currency once, where it is computed; never negative), its name in
    both languages (blank: the kind's own words), the rule that set it (None: the shop's
    default or staff). A restocking fee also keeps its rule's percent and bounds as they were
    and the order lines it is on, so the quote charges it on what actually comes back
    (`on_base`); `base` is the paid value it was last computed on."""

    kind: str
    amount: Decimal
    name_fr: str = ""
    name_en: str = ""
    rule_id: int | None = None
    percent: Decimal | None = None
    base: Decimal | None = None
    fee_min: Decimal | None = None
    fee_max: Decimal | None = None
    order_line_ids: tuple[int, ...] = ()

    def on_base(self, base: Decimal, currency: str) -> "FeeLine":
        """This restocking fee on items that paid `base`: its percent of it rounded once, then
        held between its minimum and maximum, and never above `base` itself."""
        assert self.percent is not None, "a restocking fee has its percent"
        amount = quantize(base * self.percent / Decimal(100), currency)
        if self.fee_min is not None:
            amount = max(amount, quantize(self.fee_min, currency))
        if self.fee_max is not None:
            amount = min(amount, quantize(self.fee_max, currency))
        return replace(self, amount=max(min(amount, base), Decimal(0)), base=base)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "amount": str(self.amount),
            "name_fr": self.name_fr,
            "name_en": self.name_en,
            "rule_id": self.rule_id,
            "percent": _text(self.percent),
            "base": _text(self.base),
            "fee_min": _text(self.fee_min),
            "fee_max": _text(self.fee_max),
            "order_line_ids": list(self.order_line_ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FeeLine":
        return cls(
            kind=data["kind"],
            amount=Decimal(data["amount"]),
            name_fr=data.get("name_fr", ""),
            name_en=data.get("name_en", ""),
            rule_id=data.get("rule_id"),
            percent=_decimal(data.get("percent")),
            base=_decimal(data.get("base")),
            fee_min=_decimal(data.get("fee_min")),
            fee_max=_decimal(data.get("fee_max")),
            order_line_ids=tuple(data.get("order_line_ids", ())),
        )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


class CountryMode(models.TextChoices):
    IN = "in", _("is one of")
    NOT_IN = "not_in", _("is not one of")


def parse_countries(text: str) -> list[str]:
    """ "fr, be;DE" -> ["BE", "DE", "FR"]: the ISO codes staff typed, upper case, sorted."""
    parts = text.replace(";", ",").replace(" ", ",").split(",")
    return sorted({part.strip().upper() for part in parts if part.strip()})


class ReturnRule(models.Model):
    """When every condition set holds (blank ones are ignored), the action applies.

    Order-level conditions: shipping country, channel, the order's value (amount paid), its
    age in days since delivery, the return's shipping method. Line-level conditions: product,
    category, reason, an item's price paid below a threshold; a rule with any of them matches
    the lines they hold for (a fee in percent is then computed on those lines, a block refuses
    only them, keeping the item keeps only them).
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
    item_value_below = models.DecimalField(
        _("item price paid below"),
        null=True,
        blank=True,
        **MONEY,
        help_text=_("The unit price the customer paid, e.g. keep items under 15.00."),
    )
    ships_with = models.ForeignKey(
        "returns.ShippingMethod",
        verbose_name=_("the return ships with"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The method the parcel comes back with (a rule's, else the default one)."),
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
    fee_min = models.DecimalField(
        _("restocking fee at least"), null=True, blank=True, **MONEY, help_text=_("Per rule.")
    )
    fee_max = models.DecimalField(
        _("restocking fee at most"), null=True, blank=True, **MONEY, help_text=_("Per rule.")
    )
    charge_in_store = models.BooleanField(
        _("charge parcels dropped in store too"),
        default=False,
        help_text=_("A postage fee is not charged for in-store drop-offs unless this is ticked."),
    )
    label_fr = models.CharField(
        _("name on the quote (French)"),
        max_length=100,
        blank=True,
        help_text=_("The fee's line the customer reads, e.g. “Frais de retour”."),
    )
    label_en = models.CharField(
        _("name on the quote (English)"),
        max_length=100,
        blank=True,
        help_text=_("The fee's line the customer reads, e.g. “Return postage”."),
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
            models.CheckConstraint(
                condition=(Q(fee_min__isnull=True) | Q(fee_min__gte=0))
                & (Q(fee_max__isnull=True) | Q(fee_max__gte=0))
                & (
                    Q(fee_min__isnull=True) | Q(fee_max__isnull=True) | Q(fee_min__lte=F("fee_max"))
                ),
                name="return_rule_fee_bounds",
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
        return bool(
            self.product_id or self.category or self.reason_id or self.item_value_below is not None
        )

    def quote_names(self) -> dict[str, str]:
        """The fee's name on the customer's quote in both languages (blank ones: the other
        language's, else the rule's staff name)."""
        french = self.label_fr or self.label_en or self.name
        english = self.label_en or self.label_fr or self.name
        return {"fr": french, "en": english}

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
        if self.action == RuleAction.SHIP_WITH and self.ships_with_id:
            # The method is what this rule decides: it cannot also be its condition.
            errors["ships_with"] = _("A rule that chooses the method cannot depend on it.")
        errors.update(self._amount_errors())
        for low, high in (
            ("fee_min", "fee_max"),
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

    def _amount_errors(self) -> dict[str, "StrOrPromise"]:
        errors: dict[str, StrOrPromise] = {}
        if self.percent is not None and not 0 <= self.percent <= 100:
            errors["percent"] = _("A percent is between 0 and 100.")
        if self.amount is not None and self.amount < 0:
            errors["amount"] = _("The fee cannot be negative.")
        for bound in ("fee_min", "fee_max", "item_value_below"):
            if getattr(self, bound) is not None and getattr(self, bound) < 0:
                errors[bound] = _("An amount cannot be negative.")
        return errors
