"""The customer's return request form: what they typed, validated against what they may choose.

The form only offers (and accepts) the lines still returnable with their remaining quantities,
the active reasons, and the refund modes and delivery options the policy offers
(returns/policy.py). return_request asks the policy again when the return is confirmed,
whatever the form let through.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from returns import policy
from returns.models import Return, ReturnReason
from returns.services import ReturnLineInput
from shop.models import OrderLine, ShopSettings, Variant
from shop.templatetags.money import money

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

COMMENT_MAX_LENGTH = 2000


@dataclass(frozen=True)
class LineRow:
    """One returnable order line with its three fields, for the template."""

    order_line: OrderLine
    remaining: int
    quantity: forms.BoundField
    reason: forms.BoundField
    detail: forms.BoundField
    # Why a return rule refuses this item (its fields are then disabled).
    blocked_message: str = ""
    # The size or colour wanted in exchange (when the shop offers exchanges).
    exchange: forms.BoundField | None = None


# How the customer reads each choice; which ones are offered is the policy's answer.
REFUND_MODE_LABELS: "dict[str, StrOrPromise]" = {
    Return.RefundMode.MONEY_BACK: _("Money back, to your original payment"),
    Return.RefundMode.STORE_CREDIT: _("Store credit, to spend on your next order"),
    Return.RefundMode.EXCHANGE: _("Exchange for another size or colour, chosen for each item"),
}


def refund_mode_label(mode: str, shop_settings: ShopSettings) -> "StrOrPromise":
    """The choice as the customer reads it; store credit says the shop's bonus, if any."""
    bonus = shop_settings.store_credit_bonus_percent
    if mode == Return.RefundMode.STORE_CREDIT and bonus:
        whole = bonus == bonus.to_integral_value()
        shown = bonus.quantize(Decimal(1)) if whole else bonus.normalize()  # 10, 12.5
        return _("Store credit, to spend on your next order, with a %(bonus)s %% bonus") % {
            "bonus": formats.number_format(shown, use_l10n=True)
        }
    return REFUND_MODE_LABELS[mode]


DELIVERY_OPTION_LABELS: "dict[str, StrOrPromise]" = {
    Return.DeliveryOption.LABEL: _("Send it by post with a prepaid return label"),
    Return.DeliveryOption.IN_STORE: _("Drop it off in one of our shops"),
}


class ReturnRequestForm(forms.Form):
    refund_mode = forms.ChoiceField(
        label=_("How would you like to be refunded?"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how you would like to be refunded."),
            "invalid_choice": _("This refund option is not offered."),
        },
    )
    delivery_option = forms.ChoiceField(
        label=_("How will you send the items back?"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how the items will come back to us."),
            "invalid_choice": _("This way of returning items is not offered."),
        },
    )
    customer_comment = forms.CharField(
        label=_("A comment for us (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args,
        order_lines: list[OrderLine],
        returnable: dict[int, int],
        reasons: list[ReturnReason],
        shop_settings: ShopSettings,
        blocked: dict[int, str] | None = None,
        in_store_only: bool = False,
        exchange_items: dict[int, list[Variant]] | None = None,
        currency: str = "EUR",
        **kwargs,
    ):
        """exchange_items: by order line id, what may be offered in exchange for that line
        (returns.selectors.exchanges.exchange_offers), given only when the shop offers
        exchanges: each line then has its own choice."""
        super().__init__(*args, **kwargs)
        self.reasons = {reason.code: reason for reason in reasons}
        self.order_lines = [line for line in order_lines if returnable.get(line.pk, 0) > 0]
        self.returnable = returnable
        # Items a return rule refuses, with its message: shown, not choosable (whatever is
        # posted, a disabled field keeps its initial 0; return_request refuses them anyway).
        self.blocked = blocked or {}
        reason_choices = [("", _("Choose a reason"))] + [(r.code, r.name) for r in reasons]
        for line in self.order_lines:
            remaining = 0 if line.pk in self.blocked else returnable[line.pk]
            disabled = line.pk in self.blocked
            self.fields[self._name(line, "quantity")] = forms.TypedChoiceField(
                label=_("Quantity"),
                coerce=int,
                initial=0,
                disabled=disabled,
                choices=[(n, str(n)) for n in range(remaining + 1)],
                error_messages={
                    "invalid_choice": _("You can return at most %(count)d of this item.")
                    % {"count": remaining}
                },
            )
            self.fields[self._name(line, "reason")] = forms.ChoiceField(
                label=_("Reason"),
                required=False,
                choices=reason_choices,
                disabled=disabled,
                error_messages={"invalid_choice": _("Choose a reason from the list.")},
            )
            self.fields[self._name(line, "detail")] = forms.CharField(
                label=_("Tell us more"),
                required=False,
                max_length=1000,
                disabled=disabled,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        refund_mode = cast(forms.ChoiceField, self.fields["refund_mode"])
        refund_mode.choices = [
            (mode, refund_mode_label(mode, shop_settings))
            for mode in policy.offered_refund_modes(shop_settings)
        ]
        delivery_option = cast(forms.ChoiceField, self.fields["delivery_option"])
        delivery_option.choices = [
            (option, DELIVERY_OPTION_LABELS[option])
            for option in policy.offered_delivery_options(
                shop_settings, in_store_only=in_store_only
            )
        ]
        if len(delivery_option.choices) == 1:
            delivery_option.initial = delivery_option.choices[0][0]
        if len(refund_mode.choices) == 1:
            refund_mode.initial = refund_mode.choices[0][0]
        # By order line id, by variant id: what each line may get in exchange.
        self.exchange_items = {
            line_id: {variant.pk: variant for variant in variants}
            for line_id, variants in (exchange_items or {}).items()
        }
        self.offers_exchange = Return.RefundMode.EXCHANGE in dict(refund_mode.choices)
        if self.offers_exchange:
            for line in self.order_lines:
                self.fields[self._name(line, "exchange_variant")] = self._exchange_field(
                    self.exchange_items.get(line.pk, {}), currency, disabled=line.pk in self.blocked
                )

    @staticmethod
    def _exchange_field(
        offer: dict[int, Variant], currency: str, *, disabled: bool
    ) -> forms.TypedChoiceField:
        """The item wanted in exchange for one line: each size or colour of its product still
        in stock, with its price."""
        choices = [
            (variant.pk, f"{variant.option or variant.sku} · {money(variant.price, currency)}")
            for variant in offer.values()
        ]
        return forms.TypedChoiceField(
            label=_("In exchange for"),
            required=False,
            coerce=int,
            empty_value=None,
            disabled=disabled,
            choices=[("", _("Choose a size or colour (exchange only)")), *choices],
            help_text=(
                _("For an exchange only: the size or colour you would like instead.")
                if choices
                else _("No other size or colour is available for an exchange at the moment.")
            ),
            error_messages={
                "invalid_choice": _("This item is not available in exchange: choose another one.")
            },
        )

    @staticmethod
    def _name(line: OrderLine, part: str) -> str:
        return f"line-{line.pk}-{part}"

    def line_rows(self) -> list[LineRow]:
        return [
            LineRow(
                order_line=line,
                remaining=self.returnable[line.pk],
                quantity=self[self._name(line, "quantity")],
                reason=self[self._name(line, "reason")],
                detail=self[self._name(line, "detail")],
                blocked_message=self.blocked.get(line.pk, ""),
                exchange=(
                    self[self._name(line, "exchange_variant")] if self.offers_exchange else None
                ),
            )
            for line in self.order_lines
        ]

    def clean(self):
        cleaned = super().clean()
        chosen = 0
        for line in self.order_lines:
            quantity = cleaned.get(self._name(line, "quantity")) or 0
            if not quantity:
                continue
            chosen += 1
            reason_field = self._name(line, "reason")
            reason = self.reasons.get(cleaned.get(reason_field) or "")
            if reason is None:
                if reason_field not in self.errors:  # not already refused as unknown
                    self.add_error(reason_field, _("Choose why you are returning this item."))
            elif reason.needs_detail and not cleaned.get(self._name(line, "detail"), "").strip():
                self.add_error(
                    self._name(line, "detail"), _("Please tell us more about this reason.")
                )
        if not chosen and not self.errors:
            raise forms.ValidationError(
                _("Choose at least one item to return, with its quantity."), code="no_items"
            )
        if chosen:
            self._check_exchange(cleaned)
        return cleaned

    def _check_exchange(self, cleaned: dict) -> None:
        """The policy's answer on the items chosen (return_request asks it again): with an
        exchange, each line returned names a size or colour of its product, in stock for every
        unit wanted; with a refund, what the lines' choices say is not asked."""
        if cleaned.get("refund_mode") != Return.RefundMode.EXCHANGE:
            return
        if not self.offers_exchange:
            return
        wanted = [
            policy.WantedExchange(
                key=self._name(line, "exchange_variant"),
                variant=self._wanted(line),
                product_id=line.variant.product_id,
                units=quantity,
            )
            for line in self.order_lines
            if (quantity := cleaned.get(self._name(line, "quantity")) or 0)
            and self._name(line, "exchange_variant") not in self.errors
        ]
        refusals = policy.exchange_refusals(wanted, refund_mode=cleaned["refund_mode"])
        for field, refusal in refusals.items():
            self.add_error(field, refusal.message)

    def _wanted(self, line: OrderLine) -> Variant | None:
        chosen = self.cleaned_data.get(self._name(line, "exchange_variant"))
        return self.exchange_items.get(line.pk, {}).get(chosen or 0)

    def wanted_exchange_items(self) -> dict[int, Variant]:
        """By order line id: the item chosen in exchange for each line returned, for an
        exchange only (call after is_valid())."""
        if self.cleaned_data.get("refund_mode") != Return.RefundMode.EXCHANGE:
            return {}
        wanted = {}
        for line in self.order_lines:
            variant = self._wanted(line)
            if variant is not None and self.cleaned_data.get(self._name(line, "quantity")):
                wanted[line.pk] = variant
        return wanted

    def line_inputs(self) -> list[ReturnLineInput]:
        """The chosen lines, each with its item wanted in exchange, for return_request (call
        after is_valid())."""
        wanted = self.wanted_exchange_items()
        inputs = []
        for line in self.order_lines:
            quantity = self.cleaned_data.get(self._name(line, "quantity")) or 0
            if quantity:
                inputs.append(
                    ReturnLineInput(
                        order_line_id=line.pk,
                        quantity=quantity,
                        reason_code=self.cleaned_data[self._name(line, "reason")],
                        reason_detail=self.cleaned_data[self._name(line, "detail")].strip(),
                        exchange_variant=wanted.get(line.pk),
                    )
                )
        return inputs

    def quantities(self) -> dict[int, int]:
        return {item.order_line_id: item.quantity for item in self.line_inputs()}

    def reason_codes(self) -> dict[int, str]:
        return {item.order_line_id: item.reason_code for item in self.line_inputs()}

    @classmethod
    def asks_exchange(cls, data: Mapping[str, str]) -> bool:
        """Whether submitted values ask for an item in exchange (the refund mode, or an item
        named for a line): only then does checking them need the items offered."""
        return data.get("refund_mode") == Return.RefundMode.EXCHANGE or any(
            value for name, value in data.items() if name.endswith("-exchange_variant")
        )

    def draft(self) -> dict[str, str]:
        """The submitted values to keep in the session until the customer confirms; the
        confirmation binds them to a fresh form, so every check runs again."""
        return {name: str(value) for name, value in self.data.items() if name in self.fields}
