"""What the returns app tells the outbox about its emails: who is written to, the context of the
editable templates (templates/emails/), the label PDF the label emails carry, the sample return
of the template preview, and the event a resend leaves on the return.

The outbox (notifications) imports nothing from returns: ReturnsConfig.ready() registers
ReturnEmails with notifications.registry, and the worker asks it when it renders an email, after
commit, in the customer's language.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from notifications.events import NotificationEvent
from notifications.registry import Attachment, Recipient
from refunds.money import ReturnMoney, money_for_returns, with_money_columns
from returns.models import Return, ReturnEvent, ReturnLine, ReturnStatus
from returns.models.labels import LabelStatus, ReturnLabel
from returns.policy_page import policy_url
from returns.selectors.labels import PDF_CONTENT_TYPE, label_filename
from shop.brands import default_brand, sender_of
from shop.models import Brand, ShopSettings

# The colour of the emails' button without a brand (the portal's accent).
DEFAULT_ACCENT = "#111827"
# The emails that carry the return's label (its PDF attached).
LABEL_EVENTS = {NotificationEvent.APPROVED_WITH_LABEL, NotificationEvent.LABEL_RESENT}

# The email telling the customer of a status change staff make. Marking a parcel in transit by
# hand has none (the customer sent it themselves; a carrier's scan has its own, returns/services/
# tracking.py), nor has an inspection. An approval with a label becomes "approved_with_label".
STATUS_EMAILS: dict[str, str] = {
    ReturnStatus.APPROVED: NotificationEvent.APPROVED,
    ReturnStatus.REJECTED: NotificationEvent.REJECTED,
    ReturnStatus.RECEIVED: NotificationEvent.RECEIVED,
    ReturnStatus.CANCELLED: NotificationEvent.CANCELLED,
    ReturnStatus.EXPIRED: NotificationEvent.EXPIRED,
}
# Completing tells how the return was settled.
COMPLETION_EMAILS: dict[str, str] = {
    Return.RefundMode.MONEY_BACK: NotificationEvent.REFUNDED,
    Return.RefundMode.STORE_CREDIT: NotificationEvent.CREDITED,
    Return.RefundMode.EXCHANGE: NotificationEvent.EXCHANGED,
}


def status_change_email(ret: Return, status: str) -> str | None:
    """The email moving `ret` to `status` sends when the customer is to be told, None when that
    change has none: the return's page offers "notify the customer" only where this answers,
    and tell_customer sends this one."""
    if status == ReturnStatus.COMPLETED:
        return COMPLETION_EMAILS[ret.refund_mode]
    if status == ReturnStatus.RECEIVED and ret.keep_item:
        return NotificationEvent.KEPT  # received on approval: nothing to send back
    return STATUS_EMAILS.get(status)


def refund_amount(money: ReturnMoney) -> Decimal | None:
    """What was refunded or credited for the return: the figure of its money state
    (refunds/money.py), the one the pages show; None while nothing was."""
    return money.refunded if money.refunded else None


def customer_note(return_event: ReturnEvent | None) -> str:
    """The words of the change the customer may read, for {{ note }}.

    The one place an email reads an event's text, rendered from its code and parameters in the
    active language (the email's: render_notification activates it)."""
    if return_event is None or not return_event.visible_to_customer:
        return ""
    return return_event.text


def exchange_item(ret: Return, lines: Iterable[ReturnLine] | None = None) -> str:
    """The items the customer asked for in exchange, each line's, as the emails name them
    ("T-shirt (XL), Shoes (42)"; "" when none). `lines`: the return's, with their wanted
    variants' products, when already loaded (EmailFacts), else read."""
    if not ret.is_exchange_for_item:
        return ""
    if lines is None:
        lines = ret.lines.select_related("exchange_variant__product").order_by("id")
    names = []
    for line in lines:
        variant = line.exchange_variant
        if variant is not None:
            name = variant.product.name
            names.append(f"{name} ({variant.option})" if variant.option else name)
    return ", ".join(names)


def brand_context(brand: Brand | None, shop_name: str) -> dict:
    """The brand's look in the emails: its logo's address, its colour, the From header (the
    shop's name when there is no brand)."""
    if brand is None:
        return {
            "accent_colour": DEFAULT_ACCENT,
            "from_email": sender_of(None, settings.DEFAULT_FROM_EMAIL, shop_name),
        }
    logo = reverse("brand_logo", args=[brand.code]) if brand.logo else ""
    return {
        "brand_name": brand.name,
        "logo_url": f"{settings.SITE_URL.rstrip('/')}{logo}" if logo else "",
        "accent_colour": brand.accent_colour,
        "from_email": sender_of(brand, settings.DEFAULT_FROM_EMAIL),
    }


class EmailFacts:
    """What the emails about several returns read, loaded at once in a fixed number of queries
    whatever their number (one return or a batch of the worker's): the returns afresh with
    their money state (refunds.money.money_for_returns on with_money_columns: one query), their
    lines with their products (one), their live labels (one, and one for the PDFs of those
    `attach` names), the default brand and the shop's settings (once, only when an order has
    no brand). Then each email's context and attachments are built with no query, in the
    active language (the email's): the one place the emails' variables are computed."""

    def __init__(self, returns: Iterable[Return], *, attach: Iterable[int] = ()):
        ids = sorted({ret.pk for ret in returns})
        fresh = list(
            with_money_columns(
                Return.objects.filter(pk__in=ids).select_related("order__customer", "order__brand")
            )
        )
        self.returns = {ret.pk: ret for ret in fresh}
        self.money = money_for_returns(fresh)
        self.lines: dict[int, list[ReturnLine]] = {pk: [] for pk in ids}
        lines = ReturnLine.objects.filter(ret_id__in=ids).select_related(
            "order_line__variant__product", "exchange_variant__product"
        )
        for line in lines.order_by("id"):
            self.lines[line.ret_id].append(line)
        labels = ReturnLabel.objects.filter(ret_id__in=ids, status=LabelStatus.CREATED)
        self.labels = {label.ret_id: label for label in labels.defer("pdf")}  # one live at most
        attach_ids = [pk for pk in set(attach) if pk in self.labels]
        self.pdfs: dict[int, bytes] = {}
        if attach_ids:
            pdfs = ReturnLabel.objects.filter(pk__in=[self.labels[pk].pk for pk in attach_ids])
            by_label = dict(pdfs.values_list("pk", "pdf"))
            self.pdfs = {pk: bytes(by_label[self.labels[pk].pk]) for pk in attach_ids}
        without_brand = any(ret.order.brand_id is None for ret in fresh)
        self.default_brand = default_brand() if without_brand else None
        self._shop_name: str | None = None

    def brand(self, ret: Return) -> Brand | None:
        """brand_of the return's order, from what was loaded."""
        return ret.order.brand if ret.order.brand_id is not None else self.default_brand

    def shop_name(self, brand: Brand | None) -> str:
        if brand is not None:
            return brand.name
        if self._shop_name is None:
            self._shop_name = ShopSettings.load().shop_name
        return self._shop_name

    def context(self, ret: Return, return_event: ReturnEvent | None = None) -> dict:
        """The variables of the email templates (listed for staff in notifications/admin.py),
        in the active language."""
        ret = self.returns[ret.pk]
        order = ret.order
        brand = self.brand(ret)
        shop_name = self.shop_name(brand)
        label = self.labels.get(ret.pk)
        return {
            "shop_name": shop_name,
            **brand_context(brand, shop_name),
            "rma_number": ret.rma_number,
            "order_number": order.number,
            "customer_first_name": order.customer.first_name,
            "customer_name": order.customer.full_name,
            "items": [
                {
                    "product_name": line.order_line.variant.product.name,
                    "option": line.order_line.variant.option,
                    "quantity": line.quantity,
                }
                for line in self.lines[ret.pk]
            ],
            "status": ret.status,
            "status_label": ret.customer_status_label,
            "rejection_reason": ret.rejection_reason,
            "note": customer_note(return_event),
            "exchange_item": exchange_item(ret, self.lines[ret.pk]),
            "refund_amount": refund_amount(self.money[ret.pk]),
            "refund_mode": ret.refund_mode,
            "currency": order.currency,
            "return_url": f"{settings.SITE_URL.rstrip('/')}/returns/{ret.rma_number}/",
            "tracking_number": label.tracking_number if label is not None else "",
            "policy_url": policy_url(brand),
        }

    def attachments(self, ret: Return, event: str) -> list[Attachment]:
        """The live label PDF for the label emails (loaded when `attach` named the return);
        nothing when it was cancelled since."""
        if event not in LABEL_EVENTS or ret.pk not in self.pdfs:
            return []
        label = self.labels[ret.pk]
        label.ret = self.returns[ret.pk]  # its file name reads the RMA number
        return [Attachment(label_filename(label), self.pdfs[ret.pk], PDF_CONTENT_TYPE)]


def email_context(ret: Return, return_event: ReturnEvent | None = None) -> dict:
    """The variables of the email templates for one return, in the active language."""
    return EmailFacts([ret]).context(ret, return_event)


def email_attachments(ret: Return, event: str) -> list[Attachment]:
    """The live label PDF for the label emails; nothing when it was cancelled since."""
    if event not in LABEL_EVENTS:
        return []
    return EmailFacts([ret], attach=[ret.pk]).attachments(ret, event)


def preview_return(reference: str | None = None) -> Return | None:
    """The return named by RMA number or id, else the latest."""
    returns = Return.objects.select_related("order__customer")
    if reference:
        reference = reference.strip()
        found = returns.filter(rma_number__iexact=reference).first()
        if found is None and reference.isdigit():
            found = returns.filter(pk=int(reference)).first()
        return found
    return returns.order_by("-created_at", "-id").first()


def record_resend(notification, *, actor, previous_status: str) -> ReturnEvent:
    """Staff's trace on the return of an email sent again (not shown to the customer)."""
    return ReturnEvent.objects.create(
        ret_id=notification.ret_id,
        kind=ReturnEvent.Kind.NOTIFICATION,
        actor=actor,
        visible_to_customer=False,
        code="notification.resent",
        params={
            "event": notification.event,
            "recipient": notification.recipient,
            "status": previous_status,
        },
    )


class ReturnEmails:
    """The returns app as the outbox's EmailProvider (notifications/registry.py)."""

    notification_related = (
        "ret__order__customer",
        "return_event",
    )

    def recipient(self, ret: Return) -> Recipient:
        order = ret.order
        return Recipient(
            email=order.email or order.customer.email, language=order.customer.language
        )

    def context(self, ret: Return, return_event: ReturnEvent | None = None) -> dict:
        return email_context(ret, return_event)

    def attachments(self, ret: Return, event: str) -> list[Attachment]:
        return email_attachments(ret, event)

    def batch(self, notifications) -> EmailFacts:
        """What the emails of `notifications` (about returns) read, loaded at once; the label
        emails' PDFs with it."""
        return EmailFacts(
            [notification.ret for notification in notifications],
            attach=[n.ret_id for n in notifications if n.event in LABEL_EVENTS],
        )

    def preview_return(self, reference: str | None) -> Return | None:
        return preview_return(reference)

    def record_resend(self, notification, *, actor, previous_status: str) -> None:
        record_resend(notification, actor=actor, previous_status=previous_status)
