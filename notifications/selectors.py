"""Reads for the back-office pages of the notifications."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from notifications import registry
from notifications.events import EDITABLE_EVENTS
from notifications.models import EmailTemplate, Notification

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def notification_list():
    """Every notification, newest first, with what the list shows."""
    return Notification.objects.select_related("ret", "user").order_by("-created_at", "-id")


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
