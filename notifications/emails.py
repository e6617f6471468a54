"""Rendering a notification: which template (staff's row or the default file), its context (from
the registered provider, see registry.py), and the EmailMultiAlternatives the worker sends.

Subjects and text bodies are rendered without autoescaping (they are not HTML); HTML bodies
with it, so what customers and staff typed cannot break the markup.
"""

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, Engine
from django.utils import translation

from notifications import mime, registry
from notifications.account_emails import account_context
from notifications.events import NotificationEvent, is_account_event
from notifications.models import EmailTemplate, compile_template_source

_SPACES = re.compile(r"[ \t\r\n]+")
PARTS = {"subject": "subject.txt", "text_body": "txt", "html_body": "html"}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text_body: str
    html_body: str
    # The context's "from_email" (the brand's "Name <address>"), else the site's sender.
    from_email: str = ""


def default_template_name(event: str, language: str, part: str) -> str:
    return f"emails/{event}.{language}.{PARTS[part]}"


def default_template_source(event: str, language: str, part: str) -> str:
    """The text of the default file shipped with the code (what the edit page starts from)."""
    return Engine.get_default().get_template(default_template_name(event, language, part)).source


def template_sources(event: str, language: str) -> dict[str, str]:
    """Staff's version of the three parts when there is one, else the defaults. (The account
    emails are never staff's: their text carries a sign-in or reset link.)"""
    row = (
        None
        if is_account_event(event)
        else EmailTemplate.objects.filter(event=event, language=language).first()
    )
    return _sources(row, event, language)


def _sources(row: EmailTemplate | None, event: str, language: str) -> dict[str, str]:
    """The three parts of staff's `row`, or the defaults without one."""
    if row is not None:
        return {part: getattr(row, part) for part in PARTS}
    return {part: default_template_source(event, language, part) for part in PARTS}


def batch_template_sources(notifications: Iterable) -> Callable[[str, str], dict[str, str]]:
    """template_sources for the emails of a batch: the staff's rows of all their events and
    languages read in one query (one for each pair, before), each pair's text made once. The
    query runs when the first email asks (inside its own attempt, as template_sources did: a
    failure is that email's, and the next one asks again)."""
    pairs = {(n.event, n.language) for n in notifications if not is_account_event(n.event)}
    rows: dict[tuple[str, str], EmailTemplate] | None = None

    @functools.cache
    def sources_of(event: str, language: str) -> dict[str, str]:
        nonlocal rows
        if (event, language) not in pairs:
            return template_sources(event, language)
        if rows is None:
            rows = _staff_rows(pairs)
        return _sources(rows.get((event, language)), event, language)

    return sources_of


def _staff_rows(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], EmailTemplate]:
    events, languages = {event for event, _ in pairs}, {language for _, language in pairs}
    found = EmailTemplate.objects.filter(event__in=events, language__in=languages)
    return {(row.event, row.language): row for row in found}


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
    # A subject is one line, whatever the template's line breaks; a no-break space (French
    # typography, before ":") stays one.
    subject = _SPACES.sub(" ", rendered["subject"]).strip()
    return RenderedEmail(
        subject=subject,
        text_body=rendered["text_body"].strip() + "\n",
        html_body=rendered["html_body"],
        from_email=str(context.get("from_email") or ""),
    )


def email_batch(notifications) -> registry.EmailBatch | None:
    """The provider's data for the emails of `notifications` about returns (None when none
    is: account emails read their own)."""
    about_returns = [notification for notification in notifications if notification.ret_id]
    return registry.provider().batch(about_returns) if about_returns else None


def render_notification(
    notification, sources_of=template_sources, batch: registry.EmailBatch | None = None
) -> RenderedEmail:
    """`sources_of(event, language)`: the templates' text (a batch passes a cached one, so
    its emails read each template row once); `batch`: the provider's data loaded for several
    emails (email_batch), else loaded for this one."""
    with translation.override(notification.language):
        if notification.ret_id is None:
            context = account_context(notification)
        else:
            batch = batch if batch is not None else email_batch([notification])
            assert batch is not None
            context = batch.context(notification.ret, notification.return_event)
    sources = sources_of(notification.event, notification.language)
    return render_email(notification.event, notification.language, context, sources)


class OutboxEmail(EmailMultiAlternatives):
    """Django's email, whose MIME tree writes its bytes for less (notifications/mime.py): the
    same bytes, headers, encodings and parts, from every backend that writes them (SMTP, the
    file and console ones, a provider taking raw MIME)."""

    def message(self):
        sender = self.from_email
        # Django's message() sets From from from_email, and encodes it (a name not in ASCII is
        # parsed and written as encoded words): the same sender in every email of a brand, so
        # given here as written once in this process (mime.from_header), set as it is.
        self.from_email = mime.from_header(sender, self.encoding or settings.DEFAULT_CHARSET)
        try:
            return mime.cheaper_to_write(super().message())
        finally:
            self.from_email = sender


def build_message(
    notification, sources_of=template_sources, batch: registry.EmailBatch | None = None
) -> EmailMultiAlternatives:
    if batch is None and notification.ret_id is not None:
        batch = email_batch([notification])  # context and attachments from one load
    rendered = render_notification(notification, sources_of, batch)
    message = OutboxEmail(
        subject=rendered.subject,
        body=rendered.text_body,
        from_email=rendered.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={
            # The row's own id, the same on every attempt and resend: a message sent twice is
            # recognisable as one (and a backend without provider ids still has one to store).
            "Message-ID": notification.message_id,
            "X-Notification-ID": str(notification.pk),
        },
    )
    message.attach_alternative(rendered.html_body, "text/html")
    if batch is not None and notification.ret_id is not None:
        for attachment in batch.attachments(notification.ret, notification.event):
            message.attach(attachment.filename, attachment.content, attachment.mimetype)
    # Anymail sends these to the provider, which echoes them in its tracking webhooks.
    # Anymail reads these two attributes on any EmailMessage; Django's types do not know them.
    message.metadata = {"notification_id": str(notification.pk)}  # type: ignore[attr-defined]
    message.tags = [notification.event]  # type: ignore[attr-defined]
    return message
