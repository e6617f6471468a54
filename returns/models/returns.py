"""Returns: reasons, actions, the Return with its lines, its status machine and its timeline.

The transitions here are pure: they only change fields. Every status change is made by a
function of returns/services/, which locks the row, checks permission and eligibility, calls
the transition, saves, and writes the ReturnEvent (and the outbox row) in one transaction.
"""

import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from returns.events import TEXT, render_event
from returns.models.rules import STAFF_FEE, FeeLine
from shop.languages import in_language
from shop.models import MONEY, Order, OrderLine, Variant

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class TranslatedNameMixin(models.Model):
    """A name typed by staff in both languages; `name` picks the active language's."""

    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    @property
    def name(self):
        return in_language(self.name_fr, self.name_en)


class ReturnReason(TranslatedNameMixin):
    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("Stable identifier used by the code and the imports."),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    restock_by_default = models.BooleanField(
        _("restock by default"),
        default=True,
        help_text=_("Off for reasons such as a defective product: the item is not put back."),
    )
    needs_detail = models.BooleanField(_("asks for details"), default=False)
    our_fault = models.BooleanField(
        _("our fault: no fee"),
        default=False,
        help_text=_(
            "For reasons such as a defective or wrong item: no postage or restocking fee is "
            "charged."
        ),
    )
    needs_photos = models.BooleanField(
        _("asks for photos"),
        default=False,
        help_text=_("On: the customer adds at least one photo of each item returned for it."),
    )

    class Meta:
        verbose_name = _("return reason")
        verbose_name_plural = _("return reasons")
        ordering = ["position", "id"]


class ReturnAction(TranslatedNameMixin):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("return action")
        verbose_name_plural = _("return actions")
        ordering = ["position", "id"]


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    IN_TRANSIT = "in_transit", _("in transit")
    RECEIVED = "received", _("received")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")


# What staff read next to each status.
STATUS_DESCRIPTIONS: "dict[str, StrOrPromise]" = {
    ReturnStatus.REQUESTED: _(
        "The customer asked for a return; review the reason and approve or reject it."
    ),
    ReturnStatus.APPROVED: _("Approved: waiting for the customer to send the parcel."),
    ReturnStatus.REJECTED: _("Refused, with a reason given to the customer. Final."),
    ReturnStatus.IN_TRANSIT: _("The carrier has the parcel on its way back to the warehouse."),
    ReturnStatus.RECEIVED: _(
        "The parcel arrived and was inspected; settle the refund, credit or exchange."
    ),
    ReturnStatus.COMPLETED: _("Refunded, credited or exchanged. Final."),
    ReturnStatus.CANCELLED: _("Cancelled by the customer or the shop before it shipped. Final."),
    ReturnStatus.EXPIRED: _("Approved but never sent back in time. Final."),
}

# What the customer reads in the portal and the emails.
STATUS_CUSTOMER_LABELS: "dict[str, StrOrPromise]" = {
    ReturnStatus.REQUESTED: _("We have your request"),
    ReturnStatus.APPROVED: _("Approved: please send your parcel"),
    ReturnStatus.REJECTED: _("Return not accepted"),
    ReturnStatus.IN_TRANSIT: _("Your parcel is on its way to us"),
    ReturnStatus.RECEIVED: _("We received your parcel"),
    ReturnStatus.COMPLETED: _("Done: your refund is settled"),
    ReturnStatus.CANCELLED: _("Cancelled"),
    ReturnStatus.EXPIRED: _("Expired: the parcel was not sent in time"),
}

# What the customer reads of a received return whose items they keep.
KEPT_CUSTOMER_LABEL = _("Nothing to send back: you keep the items")

FINAL_STATUSES = {
    ReturnStatus.REJECTED,
    ReturnStatus.COMPLETED,
    ReturnStatus.CANCELLED,
    ReturnStatus.EXPIRED,
}
# Returns whose lines hold their quantity: the others free it again.
LIVE_STATUSES = [
    ReturnStatus.REQUESTED,
    ReturnStatus.APPROVED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.RECEIVED,
    ReturnStatus.COMPLETED,
]


def new_rma_number() -> str:
    # Crockford's alphabet: no I, L, O or U, so it reads well over the phone.
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "R-" + "".join(secrets.choice(alphabet) for _ in range(8))


class Return(ConcurrentTransitionMixin, models.Model):
    class Channel(models.TextChoices):
        PORTAL = "portal", _("customer portal")
        BACKOFFICE = "backoffice", _("back-office")

    class RefundMode(models.TextChoices):
        MONEY_BACK = "money_back", _("money back")
        STORE_CREDIT = "store_credit", _("store credit")
        EXCHANGE = "exchange", _("exchange")

    class DeliveryOption(models.TextChoices):
        LABEL = "label", _("return label")
        IN_STORE = "in_store", _("drop in store")

    Status = ReturnStatus

    rma_number = models.CharField(
        _("RMA number"), max_length=20, unique=True, default=new_rma_number, editable=False
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="returns"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    status = FSMField(
        _("status"),
        max_length=20,
        choices=ReturnStatus.choices,
        default=ReturnStatus.REQUESTED,
        protected=True,
        # No index of its own: return_status_created_id leads with it.
    )
    action = models.ForeignKey(
        ReturnAction,
        verbose_name=_("action"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    refund_mode = models.CharField(
        _("refund mode"), max_length=20, choices=RefundMode.choices, default=RefundMode.MONEY_BACK
    )
    replacement_order = models.OneToOneField(
        Order,
        verbose_name=_("replacement order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces_return",
    )
    delivery_option = models.CharField(
        _("delivery option"),
        max_length=20,
        choices=DeliveryOption.choices,
        default=DeliveryOption.LABEL,
    )
    # Chosen by a return rule ("ship back with"); None: the default method.
    shipping_method = models.ForeignKey(
        "returns.ShippingMethod",
        verbose_name=_("return shipping method"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer_comment = models.TextField(
        _("customer comment"), blank=True, help_text=_("Seen by staff only.")
    )
    staff_note = models.TextField(_("staff note"), blank=True, help_text=_("Internal."))
    notify_customer = models.BooleanField(_("notify the customer"), default=True)
    return_fee = models.DecimalField(_("return fee"), default=0, **MONEY)
    # The fee's lines (FeeLine.to_json), set with return_fee (their sum) by the return rules at
    # creation or by staff; empty for a return made before fees had lines.
    fees = models.JSONField(_("fees"), default=list, blank=True)
    keep_item = models.BooleanField(
        _("the customer keeps the items"),
        default=False,
        help_text=_("Set by a return rule: no parcel comes back, no label, no restock."),
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    # No index of its own: return_created_id leads with it (ranges and the default order).
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    # Sent with the confirm or create form: submitting it twice, or twice at once, makes one
    # return. Returns made before keys existed have none: NULL, which the unique index skips.
    idempotency_key = models.CharField(  # noqa: DJ001 - NULL is "no key", not an empty one
        _("idempotency key"), max_length=100, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_return", _("Can approve or reject a return")),
            ("receive_return", _("Can mark a return in transit or received")),
            ("cancel_return", _("Can cancel any return")),
            ("complete_return", _("Can complete a return")),
            ("expire_return", _("Can expire a return")),
            ("override_return_rules", _("Can override the return window and rules")),
        ]
        # The overview's orderings and filters, each read from an index (returns 0008): the
        # default order, a status, and the rare values of channel, refund mode and delivery
        # option as partial indexes (a filter on them walks only their rows).
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="return_created_id"),
            models.Index(fields=["status", "-created_at", "-id"], name="return_status_created_id"),
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(channel="backoffice"),
                name="return_backoffice_created",
            ),
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(refund_mode="store_credit"),
                name="return_credit_created",
            ),
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(refund_mode="exchange"),
                name="return_exchange_created",
            ),
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(delivery_option="in_store"),
                name="return_in_store_created",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(return_fee__gte=0), name="return_fee_not_negative"),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="return_idempotency_key_unique",
            ),
        ]

    def __str__(self):
        return self.rma_number

    @property
    def status_description(self):
        return STATUS_DESCRIPTIONS[self.status]

    @property
    def customer_status_label(self):
        if self.keep_item and self.status == ReturnStatus.RECEIVED:
            return KEPT_CUSTOMER_LABEL  # no parcel was received: there was none to send
        return STATUS_CUSTOMER_LABELS[self.status]

    @property
    def is_final(self):
        return self.status in FINAL_STATUSES

    @property
    def is_exchange_for_item(self) -> bool:
        """An exchange for chosen items: settled as an exchange (refunds.services
        exchange_settle, its price difference) and completed by shipping the item each line
        names (ReturnLine.exchange_variant), never refunded in money. The one answer every
        page and service asks (it reads the lines: prefetch them for a list)."""
        if self.refund_mode != self.RefundMode.EXCHANGE:
            return False
        named = self.__dict__.get("exchange_items_named")  # a list's column (below)
        if named is not None:
            return bool(named)
        return any(line.exchange_variant_id is not None for line in self.lines.all())

    @property
    def fee_lines(self) -> list[FeeLine]:
        """The return's fees, one line each; a fee without lines is one line of staff's."""
        if self.fees:
            return [FeeLine.from_json(line) for line in self.fees]
        if self.return_fee:
            return [FeeLine(kind=STAFF_FEE, amount=self.return_fee)]
        return []

    # --- transitions: pure field changes, guarded by permission and conditions ---------------

    def _touch(self):
        self.status_changed_at = timezone.now()

    @transition(
        field=status,
        source=ReturnStatus.REQUESTED,
        target=ReturnStatus.APPROVED,
        permission="returns.approve_return",
    )
    def approve(self) -> None:
        self._touch()

    @transition(
        field=status,
        source=[ReturnStatus.REQUESTED, ReturnStatus.RECEIVED],
        target=ReturnStatus.REJECTED,
        permission="returns.approve_return",
    )
    def reject(self, reason: str) -> None:
        self.rejection_reason = reason
        self._touch()

    @transition(
        field=status,
        source=[ReturnStatus.REQUESTED, ReturnStatus.APPROVED],
        target=ReturnStatus.CANCELLED,
        # Staff with the permission; a customer cancels their own return through
        # return_cancel, which asks the policy (returns/policy.py may_cancel).
        permission="returns.cancel_return",
    )
    def cancel(self) -> None:
        self._touch()

    @transition(
        field=status,
        source=ReturnStatus.APPROVED,
        target=ReturnStatus.IN_TRANSIT,
        permission="returns.receive_return",
    )
    def mark_in_transit(self) -> None:
        self._touch()

    @transition(
        field=status,
        source=[ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT],
        target=ReturnStatus.RECEIVED,
        permission="returns.receive_return",
    )
    def receive(self) -> None:
        self._touch()

    @transition(
        field=status,
        source=ReturnStatus.RECEIVED,
        target=ReturnStatus.COMPLETED,
        permission="returns.complete_return",
    )
    def complete(self) -> None:
        self._touch()

    @transition(
        field=status,
        source=ReturnStatus.APPROVED,
        target=ReturnStatus.EXPIRED,
        permission="returns.expire_return",
    )
    def expire(self) -> None:
        self._touch()

    @transition(
        field=status,
        source=ReturnStatus.COMPLETED,
        target=ReturnStatus.RECEIVED,
        # No person may: the system reopens a completed return whose money is no longer
        # settled (a refund that completed it failed at its provider afterwards).
        permission=lambda instance, user: False,
    )
    def reopen(self) -> None:
        self._touch()


def exchange_items_named() -> Exists:
    """Whether a return's lines name items in exchange, as a column of a list of returns
    (annotate(exchange_items_named=...)): Return.is_exchange_for_item then reads no line."""
    return Exists(ReturnLine.objects.filter(ret_id=OuterRef("pk"), exchange_variant__isnull=False))


class ReturnLine(models.Model):
    ret = models.ForeignKey(
        Return, verbose_name=_("return"), on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        OrderLine,
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="return_lines",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    reason = models.ForeignKey(
        ReturnReason, verbose_name=_("reason"), on_delete=models.PROTECT, related_name="+"
    )
    reason_detail = models.TextField(_("reason details"), blank=True)
    restock = models.BooleanField(_("restock"), default=True)
    received_quantity = models.PositiveIntegerField(_("received quantity"), null=True, blank=True)
    # For an exchange: the size or colour of this line's product the customer gets instead
    # (returns.policy.exchange_line_refusal: every line of an exchange names one, of its own
    # product). None for a refund or credit.
    exchange_variant = models.ForeignKey(
        Variant,
        verbose_name=_("variant wanted in exchange"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        ordering = ["ret", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="return_line_quantity_min_1"),
            models.CheckConstraint(
                condition=Q(received_quantity__isnull=True)
                | Q(received_quantity__lte=F("quantity")),
                name="return_line_received_at_most_requested",
            ),
            models.UniqueConstraint(fields=["ret", "order_line"], name="return_line_once"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.order_line.variant}"

    @property
    def restock_key(self):
        """The stock ledger key that makes restocking this line happen once only."""
        return f"return-line:{self.pk}:restock"


class ReturnEvent(models.Model):
    """One row per change of a return: its timeline for staff and customers, and the audit log."""

    class Kind(models.TextChoices):
        STATUS = "status", _("status change")
        NOTE = "note", _("note")
        OVERRIDE = "override", _("rule overridden")
        LABEL = "label", _("label")
        NOTIFICATION = "notification", _("notification")
        REFUND = "refund", _("refund")

    ret = models.ForeignKey(
        Return, verbose_name=_("return"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STATUS)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    from_status = models.CharField(
        _("from"), max_length=20, choices=ReturnStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=ReturnStatus.choices, blank=True)
    # What happened, rendered when read in the reader's language (returns/events.py): the code
    # of its message and the message's params. `note` is only what a person typed, as typed.
    code = models.CharField(_("code"), max_length=50, default=TEXT)
    params = models.JSONField(_("params"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    visible_to_customer = models.BooleanField(_("visible to the customer"), default=True)

    class Meta:
        verbose_name = _("return event")
        verbose_name_plural = _("return events")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.ret} {self.from_status} → {self.to_status}"

    @property
    def text(self) -> str:
        """What the timeline shows, in the active language: the message, then the note."""
        return render_event(self)
