"""What staff type on the refund pages. The money rules live in refunds/services.py."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from refunds.models import RefundMode, RepaymentOutcome


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_(
            "Leave empty to refund the quote. Less than the quote is a partial refund "
            "and needs a reason."
        ),
    )
    mode = forms.ChoiceField(
        label=_("Refund to"),
        choices=[
            (RefundMode.ORIGINAL_PAYMENT, RefundMode.ORIGINAL_PAYMENT.label),
            (RefundMode.STORE_CREDIT, RefundMode.STORE_CREDIT.label),
        ],
    )
    reason = forms.CharField(
        label=_("Reason for a partial refund"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reference = forms.CharField(
        label=_("Already refunded outside the system? Its reference"),
        required=False,
        max_length=200,
        help_text=_(
            "The bank transfer's reference or the payment provider's refund id: the "
            "refund is then recorded as refunded at once."
        ),
    )
    # A new key per form shown: submitting the same form twice makes one refund.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex


class ExchangeSettleForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class ReferenceForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=200,
        help_text=_("The payment provider's refund id or the bank transfer's reference."),
    )


class RepaymentForm(forms.Form):
    """How an amount owed back was settled (refunds.services.repayment_record checks it)."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=RepaymentOutcome.choices, widget=forms.RadioSelect
    )
    reference = forms.CharField(
        label=_("Reference of the customer's payment"),
        required=False,
        max_length=200,
        help_text=_("Needed when the customer paid it back."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to write it off: why."),
    )


class ReversalForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this refund reversed?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: the customer sent the money back, a chargeback, a mistake."),
    )
