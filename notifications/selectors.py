"""Reads for the back-office pages of the notifications."""

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from notifications import registry
from notifications.events import EDITABLE_EVENTS
from notifications.models import EmailTemplate, Notification, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def notification_list():
    """Every notification, newest first, with what the list shows."""
    return Notification.objects.select_related("ret", "user").order_by("-created_at", "-id")


def webhook_delivery_list():
    """Every webhook delivery, newest first, with its endpoint."""
    return WebhookDelivery.objects.select_related("endpoint").order_by("-created_at", "-id")


def disabled_endpoints() -> list[WebhookEndpoint]:
    """The endpoints the worker disabled after repeated failures (the back-office home says)."""
    return list(
        WebhookEndpoint.objects.filter(active=False, disabled_at__isnull=False).order_by("pk")
    )


def pretty_json(body: str) -> str:
    """A payload indented for reading (as stored when it is not JSON)."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def preview_return(reference: str | None = None):
    """The return a template preview is rendered on: the one asked for, else the latest (the
    provider knows how returns are named)."""
    return registry.provider().preview_return(reference)


@dataclass(frozen=True)
class TemplateSlot:
    """One (event, language) of the notification emails page: staff's row, or None (default)."""

    event: str
    language: str
    language_label: "StrOrPromise"
    row: EmailTemplate | None


@dataclass(frozen=True)
class TemplateRow:
    event: str
    event_label: "StrOrPromise"
    slots: list[TemplateSlot]


def email_template_overview() -> list[TemplateRow]:
    """Every event whose template staff may edit with, per language, whether they did."""
    rows = {(row.event, row.language): row for row in EmailTemplate.objects.all()}
    return [
        TemplateRow(
            event=event.value,
            event_label=event.label,
            slots=[
                TemplateSlot(
                    event=event.value,
                    language=code,
                    language_label=name,
                    row=rows.get((event.value, code)),
                )
                for code, name in settings.LANGUAGES
            ],
        )
        for event in EDITABLE_EVENTS
    ]
