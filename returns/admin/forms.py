"""What staff type in the back-office's return pages: creating a return from an order,
processing a return (its next status, action, note, fee), marking it refunded. The rules that
must also hold for the portal and the commands live in the policy (returns/policy.py) and the
services, not here."""

import uuid
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from refunds.models import RefundMode
from returns import policy
from returns.admin.render import LeanRenderer
from returns.models import (
    STATUS_DESCRIPTIONS,
    Return,
    ReturnAction,
    ReturnLine,
    ReturnReason,
    ReturnStatus,
)
from returns.notify import status_change_email
from returns.selectors.exchanges import staff_exchange_choices
from returns.services import ReturnLineInput
from shop.compiled import CompiledModels, Parameter, db_value
from shop.models import MONEY, Order, ShopSettings, Variant

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_TEXTAREA = {"rows": 3}


def new_key() -> str:
    return uuid.uuid4().hex


def reason_choices(reasons) -> list[tuple[str, str]]:
    return [("", "---------")] + [(reason.code, reason.name) for reason in reasons]


# --- creating a return from an order ---------------------------------------------------------


class _Form(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# A form's fields are typed as plain Fields; these say which kind the form declared.
def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _model_choice(form: forms.Form, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def _overridable_refusal(returnability: policy.Returnability) -> bool:
    """The policy refuses the order, and staff may override every reason it gives."""
    return not returnability.returnable and returnability.staff_may_override


class CreateReturnForm(_Form):
    """One row per order line (quantity, reason, detail, restock), then the return's choices."""

    # Made when the page is shown: submitting it twice makes one return (return_create).
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=60)
    action = forms.ModelChoiceField(
        label=_("Action"),
        queryset=ReturnAction.objects.none(),
        required=False,
        help_text=_("How the return will be settled for the customer, e.g. send a replacement."),
    )
    refund_mode = forms.ChoiceField(label=_("Refund mode"))
    delivery_option = forms.ChoiceField(label=_("Delivery option"))
    start_status = forms.ChoiceField(label=_("Status to start in"), widget=forms.RadioSelect)
    customer_comment = forms.CharField(
        label=_("Customer comment"),
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=_("What the customer said about the return. Seen by staff only."),
    )
    staff_note = forms.CharField(
        label=_("Staff note"),
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=_("An internal note for the other staff."),
    )
    return_fee = forms.DecimalField(
        label=_("Return fee"),
        required=False,
        min_value=0,
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
        help_text=_("Leave empty for the shop's default fee."),
    )
    notify_customer = forms.BooleanField(
        label=_("Notify the customer"),
        required=False,
        help_text=_("Email the customer about this return and its next statuses."),
    )
    override_reason = forms.CharField(
        label=_("Reason for overriding the rules"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Needed only when the return breaks a rule, e.g. the return window has "
            "passed. It is written on the return's timeline."
        ),
    )

    def __init__(
        self,
        *args,
        order: Order,
        lines,
        returnable: dict[int, int],
        reasons: list[ReturnReason],
        settings: ShopSettings,
        user,
        returnability: policy.Returnability | None = None,
        **kwargs,
    ):
        """returnability: the policy's answer on the order; when it refuses a rule staff may
        override, the override reason is required of those who may (the others have no field)."""
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = new_key()
        self.order, self.lines, self.returnable = order, lines, returnable
        self.reasons = {reason.code: reason for reason in reasons}
        _model_choice(self, "action").queryset = ReturnAction.objects.filter(active=True)
        starts = [(ReturnStatus.REQUESTED, _("Requested: to review"))]
        if user.has_perm("returns.approve_return"):
            starts.append((ReturnStatus.APPROVED, _("Approved at once")))
        _choice(self, "start_status").choices = starts
        self.fields["start_status"].initial = starts[-1][0]
        self.fields["notify_customer"].initial = settings.notify_customers_by_default
        may_override = self.may_override = user.has_perm(policy.OVERRIDE_PERMISSION)
        self._offer(
            "refund_mode",
            Return.RefundMode,
            policy.offered_refund_modes(settings, staff_may_override=may_override),
        )
        self._offer(
            "delivery_option",
            Return.DeliveryOption,
            policy.offered_delivery_options(settings, staff_may_override=may_override),
        )
        if not may_override:
            del self.fields["override_reason"]
        elif returnability is not None and _overridable_refusal(returnability):
            self.fields["override_reason"].required = True
        self.exchange_choices = staff_exchange_choices(lines)
        for line in lines:
            self._add_line_fields(line, returnable.get(line.pk, 0), reasons)

    def _offer(self, name: str, choices, offered: list[str]) -> None:
        """The policy's choices for the field, the first one chosen to start with (the shop may
        offer none: the field is then required and cannot be filled)."""
        _choice(self, name).choices = [(value, choices(value).label) for value in offered]
        self.fields[name].initial = next(iter(offered), None)

    def _add_line_fields(self, line, remaining: int, reasons) -> None:
        self.fields[f"qty_{line.pk}"] = forms.IntegerField(
            label=_("Quantity to return"),
            min_value=0,
            max_value=remaining,
            initial=0,
            required=False,
            widget=forms.NumberInput(attrs={"min": 0, "max": remaining}),
            disabled=remaining == 0,
        )
        self.fields[f"reason_{line.pk}"] = forms.ChoiceField(
            label=_("Reason"),
            choices=reason_choices(reasons),
            required=False,
            disabled=remaining == 0,
        )
        self.fields[f"detail_{line.pk}"] = forms.CharField(
            label=_("Details"), required=False, max_length=500, disabled=remaining == 0
        )
        # The point of sale owns that stock: returns never restock it, so there is no choice.
        if not line.variant.stock_managed_by_pos:
            self.fields[f"restock_{line.pk}"] = forms.BooleanField(
                label=_("Put back in stock"), required=False, initial=True, disabled=remaining == 0
            )
        self.fields[f"exchange_{line.pk}"] = _exchange_field(
            self.exchange_choices[line.pk], disabled=remaining == 0
        )

    def rows(self):
        """The order lines with their fields, for the template's table."""
        for line in self.lines:
            yield {
                "line": line,
                "returnable": self.returnable.get(line.pk, 0),
                "quantity": self[f"qty_{line.pk}"],
                "reason": self[f"reason_{line.pk}"],
                "detail": self[f"detail_{line.pk}"],
                "restock": (
                    self[f"restock_{line.pk}"] if f"restock_{line.pk}" in self.fields else None
                ),
                "exchange": self[f"exchange_{line.pk}"],
            }

    def clean(self):
        data = super().clean()
        chosen = 0
        for line in self.lines:
            quantity = data.get(f"qty_{line.pk}") or 0
            if quantity and not data.get(f"reason_{line.pk}"):
                self.add_error(f"reason_{line.pk}", gettext("Choose the reason for this item."))
            chosen += quantity
        if not chosen and not self.errors:
            raise forms.ValidationError(gettext("Choose at least one item to return."))
        if data.get("refund_mode") == Return.RefundMode.EXCHANGE:
            # Each line of an exchange names its item from the start (return_create asks the
            # same).
            refusals = policy.exchange_refusals(
                [
                    policy.WantedExchange(
                        key=f"exchange_{line.pk}",
                        variant=data.get(f"exchange_{line.pk}"),
                        product_id=line.variant.product_id,
                        units=data.get(f"qty_{line.pk}") or 0,
                    )
                    for line in self.lines
                    if data.get(f"qty_{line.pk}") and f"exchange_{line.pk}" not in self.errors
                ],
                refund_mode=data["refund_mode"],
                by_staff=True,
            )
            for field, refusal in refusals.items():
                self.add_error(field, refusal.message)
        return data

    def _wanted(self, line) -> Variant | None:
        """The item chosen in exchange for `line`, for an exchange only."""
        if self.cleaned_data.get("refund_mode") != Return.RefundMode.EXCHANGE:
            return None
        return self.cleaned_data.get(f"exchange_{line.pk}")

    def line_inputs(self) -> list[ReturnLineInput]:
        data = self.cleaned_data
        inputs = []
        for line in self.lines:
            quantity = data.get(f"qty_{line.pk}") or 0
            if not quantity:
                continue
            restock_field = f"restock_{line.pk}"
            inputs.append(
                ReturnLineInput(
                    order_line_id=line.pk,
                    quantity=quantity,
                    reason_code=data[f"reason_{line.pk}"],
                    reason_detail=data.get(f"detail_{line.pk}", ""),
                    restock=bool(data.get(restock_field)) if restock_field in self.fields else None,
                    exchange_variant=self._wanted(line),
                )
            )
        return inputs

    def preview_arguments(self) -> dict | None:
        """The arguments of refunds.previews.preview_request for what is picked so far, read
        from the fields that are valid (call is_valid() first); None while no item is picked."""
        data = self.cleaned_data
        quantities = {
            line.pk: data[f"qty_{line.pk}"] for line in self.lines if data.get(f"qty_{line.pk}")
        }
        if not quantities:
            return None
        mode = data.get("refund_mode") or Return.RefundMode.MONEY_BACK
        exchange = mode == Return.RefundMode.EXCHANGE
        wanted = {
            line.pk: data[f"exchange_{line.pk}"]
            for line in self.lines
            if line.pk in quantities and data.get(f"exchange_{line.pk}")
        }
        return {
            "quantities": quantities,
            "reason_codes": {
                line_id: data[f"reason_{line_id}"]
                for line_id in quantities
                if data.get(f"reason_{line_id}")
            },
            "refund_mode": mode,
            "exchange_variants": wanted if exchange else {},
            "return_fee": data.get("return_fee"),
            # in store: no postage unless a rule says so (the rules' answer, as at creation)
            "delivery_option": data.get("delivery_option"),
        }

    def service_arguments(self) -> dict:
        """The keyword arguments of return_create besides actor, order and lines."""
        data = self.cleaned_data
        return {
            "idempotency_key": data["idempotency_key"],
            "refund_mode": data["refund_mode"],
            "delivery_option": data["delivery_option"],
            "action": data.get("action"),
            "start_status": data["start_status"],
            "customer_comment": data.get("customer_comment", ""),
            "staff_note": data.get("staff_note", ""),
            "notify_customer": bool(data.get("notify_customer")),
            "return_fee": data.get("return_fee"),
            "override_reason": data.get("override_reason", ""),
        }


# --- processing a return ---------------------------------------------------------------------

# The inspection of a parcel received unopened is offered beside the statuses (admin/pages.py).
INSPECTED = "inspected"
INSPECTED_DESCRIPTION = _(
    "The carrier delivered the parcel unopened: record what came back per "
    "line; what is put back in stock is restocked once."
)


def _choice_label(status: str):
    if status == INSPECTED:
        return _("inspected (record what came back)")
    return ReturnStatus(status).label


class _ListedChoiceIterator(ModelChoiceIterator):
    """The choices read by the queryset's one plain query: Django's iterator() opens a
    server-side cursor on PostgreSQL (declare, fetch, close) for a handful of rows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class _ListedModelChoiceField(forms.ModelChoiceField):
    iterator = _ListedChoiceIterator


def _actions_query(none: Hashable, stand_ins: dict[str, Any]) -> QuerySet[ReturnAction]:
    # The return's own action stays choosable even once deactivated.
    return ReturnAction.objects.filter(Q(active=True) | Q(pk=None if none else stand_ins["pk"]))


# The actions a return's page offers, compiled to SQL once per connection (shop.compiled):
# Django compiled this read on every page. Its shape: whether the return has no action.
_ACTIONS = CompiledModels(
    "returns.page.actions",
    _actions_query,
    {"pk": Parameter(-7_340_033, db_value(ReturnAction, "id"))},
)


def _offer_actions(field: forms.ModelChoiceField, ret: Return) -> None:
    """The field's queryset: the active actions and the return's own. The choices shown are
    the compiled read's rows; a posted choice is still checked by the queryset itself, read
    afresh (ModelChoiceField.to_python)."""
    none = ret.action_id is None
    field.queryset = _actions_query(none, {"pk": ret.action_id})
    # The choices iterate the field's queryset (the setter's copy): its rows, already read.
    queryset: Any = field.queryset
    queryset._result_cache = _ACTIONS.rows(none, {} if none else {"pk": ret.action_id})
    queryset._prefetch_done = True


class ProcessReturnForm(_Form):
    """The return page's form: the next status (one of those the user may choose) with what it
    needs, and the action, staff note and fee. "Save" sends it all at once."""

    # Its widgets, labels and empty error lists written in Python, the same HTML as Django's
    # templates (returns/admin/render.py): through the templates they were a tenth of the page.
    default_renderer = LeanRenderer()

    seen_status = forms.CharField(widget=forms.HiddenInput)
    next_status = forms.ChoiceField(
        label=_("Next status"), required=False, widget=forms.RadioSelect
    )
    action = _ListedModelChoiceField(
        label=_("Action"), queryset=ReturnAction.objects.none(), required=False
    )
    staff_note = forms.CharField(
        label=_("Staff note"),
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=_("Internal: the customer never sees it."),
    )
    return_fee = forms.DecimalField(
        label=_("Return fee"),
        required=False,
        min_value=0,
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
    )
    rejection_reason = forms.CharField(
        label=_("Reason for the rejection"),
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=_("The customer reads it in the email and on the return's page."),
    )
    status_note = forms.CharField(
        label=_("Message for the timeline"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional. Shown with the new status, to the customer too."),
    )
    notify = forms.BooleanField(label=_("Notify the customer of the new status"), required=False)

    def __init__(
        self,
        *args,
        ret: Return,
        next_statuses: list[str],
        may_edit: bool,
        may_change_exchange_item: bool = False,
        **kwargs,
    ):
        """may_change_exchange_item: the person may change the item sent in exchange now
        (returns.policy.exchange_item_change_refusal, and may_edit)."""
        super().__init__(*args, **kwargs)
        self.ret, self.may_edit = ret, may_edit
        # One choice per line: until the exchange is settled, another size or colour of it.
        self.exchange_lines = list(ret.lines.all()) if may_edit and may_change_exchange_item else []
        choices = (
            staff_exchange_choices(line.order_line for line in self.exchange_lines)
            if self.exchange_lines
            else {}
        )
        for line in self.exchange_lines:
            field = _exchange_field(choices[line.order_line_id])
            field.help_text = _(
                "Until the exchange is settled: another size or colour if the customer asks."
            )
            field.initial = line.exchange_variant_id or ""
            self.fields[f"exchange_{line.pk}"] = field
        self.next_statuses = next_statuses
        self.fields["seen_status"].initial = ret.status
        _choice(self, "next_status").choices = [("", pgettext_lazy("next status", "No change"))] + [
            (status, _choice_label(status)) for status in next_statuses
        ]
        self.fields["next_status"].initial = ""
        # Offered only for the statuses whose change has an email (returns.notify).
        self.notify_statuses = [s for s in next_statuses if status_change_email(ret, s)]
        if self.notify_statuses:
            self.fields["notify"].initial = ret.notify_customer
        else:
            del self.fields["notify"]
        if may_edit:
            # The return's own action stays choosable even once deactivated.
            _offer_actions(_model_choice(self, "action"), ret)
            self.fields["action"].initial = ret.action_id
            self.fields["staff_note"].initial = ret.staff_note
            self.fields["return_fee"].initial = ret.return_fee
            if ret.is_final:
                self.fields["return_fee"].disabled = True
        else:
            for name in ("action", "staff_note", "return_fee"):
                del self.fields[name]
        if self._asks_received_quantities:
            for line in ret.lines.all():
                self._add_received_fields(line)

    @property
    def _asks_received_quantities(self) -> bool:
        return bool({ReturnStatus.RECEIVED, INSPECTED} & set(self.next_statuses))

    def _add_received_fields(self, line) -> None:
        self.fields[f"received_{line.pk}"] = forms.IntegerField(
            label=_("Received"),
            min_value=0,
            max_value=line.quantity,
            initial=line.quantity,
            required=False,
            widget=forms.NumberInput(attrs={"min": 0, "max": line.quantity}),
        )
        if not line.order_line.variant.stock_managed_by_pos:
            self.fields[f"restock_{line.pk}"] = forms.BooleanField(
                label=_("Put back in stock"), required=False, initial=line.restock
            )

    @property
    def descriptions(self) -> "list[tuple[str, StrOrPromise]]":
        """What each status offered means, shown when it is chosen."""
        return [
            (status, STATUS_DESCRIPTIONS.get(status, INSPECTED_DESCRIPTION))
            for status in self.next_statuses
        ]

    def receive_rows(self):
        if not self._asks_received_quantities:
            return []
        return [
            {
                "line": line,
                "received": self[f"received_{line.pk}"],
                "restock": (
                    self[f"restock_{line.pk}"] if f"restock_{line.pk}" in self.fields else None
                ),
            }
            for line in self.ret.lines.all()
        ]

    def clean_next_status(self):
        value = self.cleaned_data.get("next_status") or ""
        if value and value not in self.next_statuses:
            raise forms.ValidationError(gettext("This status cannot be chosen now."))
        return value

    def clean(self):
        data = super().clean()
        if (
            data.get("next_status") == ReturnStatus.REJECTED
            and not (data.get("rejection_reason") or "").strip()
        ):
            self.add_error(
                "rejection_reason",
                gettext("Give the reason for rejecting the return: the customer will read it."),
            )
        return data

    def received(self) -> dict[int, tuple[int, bool | None]]:
        data = self.cleaned_data
        received = {}
        for line in self.ret.lines.all():
            quantity = data.get(f"received_{line.pk}")
            restock_field = f"restock_{line.pk}"
            restock = bool(data.get(restock_field)) if restock_field in self.fields else None
            received[line.pk] = (line.quantity if quantity is None else quantity, restock)
        return received

    def changed_fields(self) -> dict:
        """The return_update arguments for what the person changed (empty: nothing)."""
        if not self.may_edit:
            return {}
        data, ret, changes = self.cleaned_data, self.ret, {}
        if data.get("action") is not None and data["action"].pk != ret.action_id:
            changes["action"] = data["action"]
        if (data.get("staff_note") or "").strip() != ret.staff_note:
            changes["staff_note"] = data.get("staff_note") or ""
        fee = data.get("return_fee")
        if fee is not None and not self.fields["return_fee"].disabled and fee != ret.return_fee:
            changes["return_fee"] = fee
        return changes

    def exchange_item_changes(self) -> list[tuple[ReturnLine, Variant]]:
        """The lines whose item sent in exchange the person changed, with the new one."""
        changes = []
        for line in self.exchange_lines:
            variant = self.cleaned_data.get(f"exchange_{line.pk}")
            if variant is not None and variant.pk != line.exchange_variant_id:
                changes.append((line, variant))
        return changes

    def exchange_rows(self):
        """The lines with their item wanted in exchange, for the template."""
        return [(line, self[f"exchange_{line.pk}"]) for line in self.exchange_lines]


class _VariantChoiceField(forms.TypedChoiceField):
    """A choice among variants read once for the whole form; cleaned into the Variant."""

    def __init__(self, variants: list[Variant], **kwargs):
        self.variants = {variant.pk: variant for variant in variants}
        super().__init__(
            choices=[("", "---------"), *((v.pk, str(v)) for v in variants)],
            coerce=lambda pk: self.variants[int(pk)],
            empty_value=None,
            **kwargs,
        )


def _exchange_field(variants: list[Variant], *, disabled: bool = False) -> forms.Field:
    """The item to send in exchange for one line: any size or colour of its product (staff
    are not bound by the stock)."""
    return _VariantChoiceField(
        variants,
        label=_("Item to send in exchange"),
        required=False,
        disabled=disabled,
        help_text=_("For an exchange: another size or colour of this item."),
    )


# --- refunds from the return page and the overview -------------------------------------------


class MarkRefundedForm(_Form):
    """ "Mark as refunded", for one return (from its page) or several (the overview's bulk
    action): the reference of the money sent back. For one return still to refund, also where
    it goes and optionally a partial amount; several are each refunded what is left of them."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=60)
    reference = forms.CharField(
        label=_("Reference of the refund"),
        required=False,
        max_length=200,
        help_text=_(
            "The payment provider's refund id, the bank transfer's or the payout batch's "
            "reference. Not needed for store credit."
        ),
    )
    mode = forms.ChoiceField(
        label=_("Refunded to"),
        choices=[
            (RefundMode.ORIGINAL_PAYMENT, RefundMode.ORIGINAL_PAYMENT.label),
            (RefundMode.STORE_CREDIT, RefundMode.STORE_CREDIT.label),
        ],
    )
    amount = forms.DecimalField(
        label=_("Amount, if partial"),
        required=False,
        min_value=0,
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
        help_text=_("Leave empty to refund what is left of the quote."),
    )
    reason = forms.CharField(
        label=_("Reason for a partial refund"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, choosable: Return | None, **kwargs):
        """`choosable`: the one return whose mode and amount may be chosen (None: each return
        is refunded what is left, in its own mode, or its pending refund is marked)."""
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = new_key()
        if choosable is None:
            for name in ("mode", "amount", "reason"):
                del self.fields[name]
            return
        self.fields["mode"].initial = (
            RefundMode.STORE_CREDIT
            if choosable.refund_mode == Return.RefundMode.STORE_CREDIT
            else RefundMode.ORIGINAL_PAYMENT
        )

    def settle_arguments(self) -> dict:
        """The refund_settle arguments of the fields the form offers (key aside)."""
        data = self.cleaned_data
        return {
            "reference": data["reference"],
            "mode": data.get("mode"),
            "amount": data.get("amount"),
            "reason": data.get("reason", ""),
        }


class RejectForm(_Form):
    reason = forms.CharField(
        label=_("Reason given to the customer"), widget=forms.Textarea(attrs={"rows": 4})
    )
