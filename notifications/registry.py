"""What the outbox asks of the app whose changes it emails about.

The notifications app imports nothing from returns (nor refunds): it knows an email by its
event, its recipient and a template context. The app that enqueues emails (returns) registers
an EmailProvider in its AppConfig.ready(); the outbox asks it who to write to when an email is
queued, and for the context and attachments when the worker renders it, after commit, in the
customer's language: through `batch`, which loads what a batch of emails (or one) reads at
once. A resend renders again from the data of the moment, like the first send.
"""

from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str  # the customer's language as recorded, possibly one we have no templates for


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


class EmailBatch(Protocol):
    """What the emails of several notifications read, loaded at once (EmailProvider.batch):
    each email's context and attachments then come with no query."""

    def context(self, ret, return_event=None) -> dict:
        """As EmailProvider.context, for a return of the batch."""

    def attachments(self, ret, event: str) -> list[Attachment]:
        """As EmailProvider.attachments, for a notification of the batch."""


class EmailProvider(Protocol):
    # The relations of a notification the provider reads (select_related paths): the worker
    # fetches them with the row it claims, in one query.
    notification_related: tuple[str, ...]

    def recipient(self, ret) -> Recipient:
        """Who is emailed about `ret`."""

    def context(self, ret, return_event=None) -> dict:
        """The template context of an email about `ret` (and its change `return_event`),
        built in the active language. Its keys are the variables the templates use."""

    def attachments(self, ret, event: str) -> list[Attachment]:
        """The files the email of `event` carries, as they are now."""

    def batch(self, notifications) -> EmailBatch:
        """The data of the emails of `notifications` (rows about returns), in a fixed number of
        queries whatever their number: the worker sends a batch of emails (or one) from it."""

    def preview_return(self, reference: str | None):
        """The sample a template preview renders on: the one `reference` names, else the
        latest; None when there is none."""

    def record_resend(self, notification, *, actor, previous_status: str) -> None:
        """Leave on the return the trace of a person sending its email again."""


_provider: EmailProvider | None = None


def register(provider: EmailProvider) -> None:
    global _provider
    _provider = provider


def provider() -> EmailProvider:
    if _provider is None:
        raise ImproperlyConfigured(
            "No email provider is registered: the app that queues notifications registers one "
            "with notifications.registry.register() in its AppConfig.ready()."
        )
    return _provider
