"""Refunds: what the merchant paid back for a return, the store-credit ledger, exchange dues.

The database holds what it can of the money invariants (amounts positive, one live full refund
per return, one ledger credit per refund); the rest (the sum of an order's refunds never above
what was paid, a store-credit balance never negative) is checked by refunds/services.py under a
row lock, because a CHECK constraint cannot see other rows.
"""

import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from returns.models import Return, ReturnStatus
from shop.models import MANUAL_PAYMENT, MONEY, Customer, Order, User
from shop.money import CURRENCY_CHOICES


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    REFUNDED = "refunded", _("refunded")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")
    # Paid out, then taken back by an explicit, audited action (refunds.services.refund_reverse).
    REVERSED = "reversed", _("reversed")


# Refunds that hold money: they count against what the order paid.
LIVE_REFUND_STATUSES = [RefundStatus.PENDING, RefundStatus.REFUNDED]


class ProviderState(models.TextChoices):
    """Where a refund stands at its payment provider (refunds/providers/). A refund is marked
    refunded only once the provider confirms it; until then it is pending, whatever this says."""

    NOT_SENT = "", _("not sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent, awaiting the provider's confirmation")
    NO_ANSWER = "no_answer", _("no answer from the provider: send it again")


# The provider of refunds paid out by hand (bank transfer, the provider's dashboard) and of
# store credit: staff mark them refunded with their reference.
MANUAL_PROVIDER = MANUAL_PAYMENT


class RefundMode(models.TextChoices):
    ORIGINAL_PAYMENT = "original_payment", _("original payment")
    STORE_CREDIT = "store_credit", _("store credit")
    EXCHANGE = "exchange", _("exchange price difference")


class Refund(models.Model):
    """Money (or store credit) owed back to the customer for a return, settled once."""

    Status = RefundStatus
    Mode = RefundMode

    ret = models.ForeignKey(
        Return, verbose_name=_("return"), on_delete=models.PROTECT, related_name="refunds"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    quote = models.JSONField(_("quote"), help_text=_("The quote's lines, frozen at creation."))
    includes_shipping = models.BooleanField(
        _("includes the original shipping"),
        default=False,
        help_text=_("Original shipping is refunded once per order."),
    )
    mode = models.CharField(_("mode"), max_length=20, choices=RefundMode.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RefundStatus.choices,
        default=RefundStatus.PENDING,
        db_index=True,
    )
    is_partial = models.BooleanField(_("partial refund"), default=False)
    partial_reason = models.TextField(_("reason for a partial refund"), blank=True)
    reference = models.CharField(
        _("reference"),
        max_length=200,
        blank=True,
        help_text=_("The payment provider's refund id or the bank transfer's reference."),
    )
    note = models.TextField(_("note"), blank=True)
    provider = models.CharField(
        _("payment provider"), max_length=20, default=MANUAL_PROVIDER, db_index=True
    )
    provider_state = models.CharField(
        _("at the provider"), max_length=20, choices=ProviderState.choices, blank=True
    )
    provider_message = models.TextField(
        _("provider's message"), blank=True, help_text=_("Why the provider refused or failed it.")
    )
    provider_sent_at = models.DateTimeField(_("sent to the provider at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    marked_at = models.DateTimeField(_("marked at"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reversed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversal_reason = models.TextField(_("reason for the reversal"), blank=True)
    idempotency_key = models.CharField(
        _("idempotency key"),
        max_length=100,
        unique=True,
        help_text=_("Sent with the refund form: submitting it twice makes one refund."),
    )

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        permissions = [("manage_refund", _("Can create and mark refunds"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["ret"],
                condition=Q(status__in=LIVE_REFUND_STATUSES, is_partial=False),
                name="refund_one_live_full_refund_per_return",
            ),
            models.CheckConstraint(
                condition=Q(is_partial=False) | ~Q(partial_reason=""),
                name="refund_partial_has_reason",
            ),
            # The provider's webhook finds its refund by the provider's id: one row per id.
            models.UniqueConstraint(
                fields=["provider", "reference"],
                condition=~Q(provider=MANUAL_PROVIDER) & ~Q(reference=""),
                name="refund_provider_reference_once",
            ),
            # A reversal takes back money paid out: it is always explained.
            models.CheckConstraint(
                condition=~Q(status=RefundStatus.REVERSED) | ~Q(reversal_reason=""),
                name="refund_reversal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_REFUND_STATUSES

    @property
    def goes_through_provider(self) -> bool:
        """Paid out by a provider's API: only its confirmation marks it refunded."""
        return self.provider != MANUAL_PROVIDER

    @property
    def is_reversible(self) -> bool:
        """Paid out, and its return not completed (completing settled the money for good):
        only refund_reverse takes it back. A pending refund is cancelled instead."""
        return self.status == RefundStatus.REFUNDED and self.ret.status != ReturnStatus.COMPLETED

    # --- transitions: pure field changes; refunds/services.py locks, checks and saves --------

    def mark_refunded(self, *, actor: User | None, reference: str) -> None:
        self.status = RefundStatus.REFUNDED
        self.reference = reference
        self.marked_by = actor
        self.marked_at = timezone.now()
        self.provider_message = ""

    def mark_failed(self, *, actor: User | None, note: str) -> None:
        self.status = RefundStatus.FAILED
        self.note = note
        self.marked_by = actor
        self.marked_at = timezone.now()

    def cancel(self, *, actor: User | None, note: str) -> None:
        self.status = RefundStatus.CANCELLED
        self.note = note
        self.marked_by = actor
        self.marked_at = timezone.now()

    def reverse(self, *, actor: User, reason: str) -> None:
        self.status = RefundStatus.REVERSED
        self.reversed_by = actor
        self.reversed_at = timezone.now()
        self.reversal_reason = reason


class StoreCreditCode(models.Model):
    """Store credit as a redeemable code, gift-card style: unguessable, one currency, a balance
    that only the ledger's movements change (refunds/credit.py), an optional expiry.

    The customer's balance is the ledger's sum; each code's `balance` is the part of it that
    code holds, moved by one conditional UPDATE with its ledger row, so concurrent redemptions
    never spend more than the balance (and the CHECKs below refuse it if code ever tried)."""

    # No 0/O, 1/I/L: a code is read aloud at a till and typed from a receipt. 16 symbols of 31
    # are 79 bits: unguessable.
    ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    GROUPS, GROUP_SIZE = 4, 4

    code = models.CharField(_("code"), max_length=32, unique=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="store_credit_codes",
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    amount = models.DecimalField(_("amount issued"), **MONEY)
    balance = models.DecimalField(_("balance"), **MONEY)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    refund = models.OneToOneField(
        "Refund",
        verbose_name=_("issued for the refund"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_code",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("store credit code")
        verbose_name_plural = _("store credit codes")
        ordering = ["-created_at", "-id"]
        permissions = [("redeem_storecreditcode", _("Can redeem store credit codes"))]
        indexes = [models.Index(fields=["customer", "currency"], name="credit_code_customer")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_code_amount_positive"),
            models.CheckConstraint(
                condition=Q(balance__gte=0) & Q(balance__lte=models.F("amount")),
                name="credit_code_balance_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @classmethod
    def grouped(cls, bare: str) -> str:
        """Symbols in dash-separated groups, as codes are printed and stored."""
        size = cls.GROUP_SIZE
        return "-".join(bare[i : i + size] for i in range(0, len(bare), size))

    @classmethod
    def new_code(cls) -> str:
        """A fresh random code (refunds.credit.issue_code; the load generator)."""
        return cls.grouped(
            "".join(secrets.choice(cls.ALPHABET) for _ in range(cls.GROUPS * cls.GROUP_SIZE))
        )

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class StoreCreditMovement(models.Model):
    """The store-credit ledger: each credit or spend is a row; a balance is their sum."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="store_credit_movements",
    )
    amount = models.DecimalField(
        _("amount"), help_text=_("positive credited, negative spent"), **MONEY
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    refund = models.ForeignKey(
        Refund,
        verbose_name=_("refund"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_movements",
    )
    code = models.ForeignKey(
        StoreCreditCode,
        verbose_name=_("code"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="movements",
    )
    # What the storefront spent it on (its order number): a code pays for it once.
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("store credit movement")
        verbose_name_plural = _("store credit movements")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "currency"], name="store_credit_customer")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="store_credit_not_zero"),
            # A refund credits the ledger once, however often "mark refunded" is clicked, and
            # its reversal takes the credit back once.
            models.UniqueConstraint(
                fields=["refund"],
                condition=Q(refund__isnull=False, amount__gt=0),
                name="store_credit_once_per_refund",
            ),
            models.UniqueConstraint(
                fields=["refund"],
                condition=Q(refund__isnull=False, amount__lt=0),
                name="store_credit_reversed_once_per_refund",
            ),
            models.UniqueConstraint(
                fields=["code", "reference"],
                condition=Q(code__isnull=False, amount__lt=0) & ~Q(reference=""),
                name="store_credit_code_pays_a_reference_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+} {self.currency} ({self.customer_id})"


class ExchangeDueStatus(models.TextChoices):
    OPEN = "open", _("to collect")
    PAID = "paid", _("paid")


class ExchangeDue(models.Model):
    """What the customer owes when the variant wanted in exchange costs more than what came back.

    Money owed *to* the shop is not a refund: it never counts against what the order paid.
    """

    Status = ExchangeDueStatus

    ret = models.OneToOneField(
        Return, verbose_name=_("return"), on_delete=models.PROTECT, related_name="exchange_due"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="exchange_dues"
    )
    amount = models.DecimalField(_("amount due by the customer"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    quote = models.JSONField(_("quote"), help_text=_("The quote's lines, frozen at creation."))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ExchangeDueStatus.choices,
        default=ExchangeDueStatus.OPEN,
        db_index=True,
    )
    reference = models.CharField(_("payment reference"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked paid by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("amount due for an exchange")
        verbose_name_plural = _("amounts due for exchanges")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="exchange_due_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"

    def mark_paid(self, *, actor: User | None, reference: str) -> None:
        self.status = ExchangeDueStatus.PAID
        self.reference = reference
        self.paid_by = actor
        self.paid_at = timezone.now()


class RepaymentOutcome(models.TextChoices):
    REPAID = "repaid", _("paid back by the customer")
    WRITTEN_OFF = "written_off", _("written off")


class Repayment(models.Model):
    """How an amount owed back was settled: a return refunded before its parcel arrived, then
    received short, was refunded more than it is worth (refunds.money: owed_back). The customer
    paid the difference back, or the merchant wrote it off; either way once, by someone, why."""

    Outcome = RepaymentOutcome

    ret = models.ForeignKey(
        Return, verbose_name=_("return"), on_delete=models.PROTECT, related_name="repayments"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="repayments"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    outcome = models.CharField(_("outcome"), max_length=20, choices=RepaymentOutcome.choices)
    reference = models.CharField(_("payment reference"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("amount owed back")
        verbose_name_plural = _("amounts owed back")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_positive"),
            models.CheckConstraint(
                condition=~Q(outcome=RepaymentOutcome.REPAID) | ~Q(reference=""),
                name="repayment_repaid_has_reference",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=RepaymentOutcome.WRITTEN_OFF) | ~Q(note=""),
                name="repayment_written_off_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_outcome_display()})"
