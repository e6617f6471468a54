"""Rendering a notification: which template (staff's row or the default file), its context, and
the EmailMultiAlternatives the worker sends.

Subjects and text bodies are rendered without autoescaping (they are not HTML); HTML bodies
with it, so what customers and staff typed cannot break the markup.
"""

from dataclasses import dataclass
from decimal import Decimal
from email.utils import make_msgid

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Sum
from django.template import Context, Engine
from django.utils import translation

from notifications.events import NotificationEvent
from notifications.models import EmailTemplate
from shop.models import ShopSettings
from shop.money import quantize

PARTS = {"subject": "subject.txt", "text_body": "txt", "html_body": "html"}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text_body: str
    html_body: str


def compile_template_source(source: str):
    """A template from staff's text; raises TemplateSyntaxError on a mistake. (Escaping is
    the context's business: see render_email.)"""
    return Engine.get_default().from_string(source)


def default_template_name(event: str, language: str, part: str) -> str:
    return f"emails/{event}.{language}.{PARTS[part]}"


def default_template_source(event: str, language: str, part: str) -> str:
    """The text of the default file shipped with the code (what the edit page starts from)."""
    return Engine.get_default().get_template(default_template_name(event, language, part)).source


def template_sources(event: str, language: str) -> dict[str, str]:
    """Staff's version of the three parts when there is one, else the defaults."""
    row = EmailTemplate.objects.filter(event=event, language=language).first()
    if row is not None:
        return {part: getattr(row, part) for part in PARTS}
    return {part: default_template_source(event, language, part) for part in PARTS}


def refund_amount(ret) -> Decimal | None:
    """What was refunded or credited for the return, if the refunds app records it."""
    if not apps.is_installed("refunds"):
        return None
    try:
        refund_model = apps.get_model("refunds", "Refund")
    except LookupError:
        return None
    field_names = {field.name for field in refund_model._meta.get_fields()}
    if "ret" not in field_names or "amount" not in field_names:
        return None
    refunds = refund_model.objects.filter(ret=ret)
    if "status" in field_names:  # failed or cancelled refunds paid nothing back
        refunds = refunds.exclude(status__in=["failed", "cancelled"])
    total = refunds.aggregate(total=Sum("amount"))["total"]
    # SQLite sums decimals with spurious digits: back to the currency's minor unit.
    return None if total is None else quantize(total, ret.order.currency)


def email_context(ret, return_event=None) -> dict:
    order = ret.order
    lines = ret.lines.select_related("order_line__variant__product").order_by("id")
    # Rendered in the language of the email (render_notification activates it).
    note = (
        return_event.text if return_event is not None and return_event.visible_to_customer else ""
    )
    return {
        "shop_name": ShopSettings.load().shop_name,
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
            for line in lines
        ],
        "status": ret.status,
        "status_label": ret.customer_status_label,
        "rejection_reason": ret.rejection_reason,
        "note": note,
        "refund_amount": refund_amount(ret),
        "currency": order.currency,
        "return_url": f"{settings.SITE_URL.rstrip('/')}/returns/{ret.rma_number}/",
        "tracking_number": _label_tracking_number(ret),
    }


# The emails that carry the return's label (its PDF attached).
LABEL_EVENTS = {NotificationEvent.APPROVED_WITH_LABEL, NotificationEvent.LABEL_RESENT}


def _label_tracking_number(ret) -> str:
    from returns.selectors.labels import (
        live_label,  # the labels build on the outbox, not the reverse
    )

    label = live_label(ret)
    return label.tracking_number if label is not None else ""


def attach_label(message: EmailMultiAlternatives, ret) -> bool:
    """Attach the return's live label PDF; False when it has none (cancelled since)."""
    from returns.selectors.labels import label_attachment

    attachment = label_attachment(ret)
    if attachment is None:
        return False
    message.attach(*attachment)
    return True


def render_email(
    event: str, language: str, context: dict, sources: dict[str, str] | None = None
) -> RenderedEmail:
    """Render one event's email in `language` (activated, so labels and numbers follow it)."""
    if event not in NotificationEvent.values:
        raise ValueError(f"unknown notification event {event!r}")
    sources = sources if sources is not None else template_sources(event, language)
    with translation.override(language):
        rendered = {
            part: compile_template_source(source).render(
                Context(context, autoescape=part == "html_body")
            )
            for part, source in sources.items()
        }
    # A subject is one line, whatever the template's line breaks.
    subject = " ".join(rendered["subject"].split())
    return RenderedEmail(
        subject=subject,
        text_body=rendered["text_body"].strip() + "\n",
        html_body=rendered["html_body"],
    )


def render_notification(notification) -> RenderedEmail:
    ret = notification.ret
    with translation.override(notification.language):
        context = email_context(ret, notification.return_event)
    return render_email(notification.event, notification.language, context)


def build_message(notification) -> EmailMultiAlternatives:
    rendered = render_notification(notification)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={
            # Our own id, so a backend without provider ids (SMTP, files) still has one to store.
            "Message-ID": make_msgid(domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2]),
            "X-Notification-ID": str(notification.pk),
        },
    )
    message.attach_alternative(rendered.html_body, "text/html")
    if notification.event in LABEL_EVENTS:
        attach_label(message, notification.ret)
    # Anymail sends these to the provider, which echoes them in its tracking webhooks.
    message.metadata = {"notification_id": str(notification.pk)}
    message.tags = [notification.event]
    return message
