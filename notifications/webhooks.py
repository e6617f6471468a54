"""Anymail's tracking webhook: the provider reports delivered, bounced, complained.

The URLs are Anymail's (/anymail/<provider>/tracking/), authenticated by Anymail with the
shared secret ANYMAIL_WEBHOOK_SECRET ("user:password" in the webhook URL given to the
provider) plus the provider's own signature where it has one. Anymail turns each report into
a `tracking` signal; this receiver applies it to the notification.

Anymail's views trust the body's shape: a body that is not JSON, or not the provider's layout,
failed inside them with a 500 (which providers retry forever). `urlpatterns` are Anymail's
views with their reading guarded: a body nested deeper than shop.limits.MAX_JSON_DEPTH, or
that the view cannot read, is a 400 and reaches no receiver. What the receivers do is not
guarded: a failure there stays a 500, and the provider retries.
"""

import logging

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailAPIError
from anymail.signals import tracking
from django.core.exceptions import BadRequest
from django.dispatch import receiver
from django.urls import URLPattern

from notifications.services import notification_record_tracking
from shop.limits import json_depth_exceeded

logger = logging.getLogger(__name__)

# What Anymail's parsing raises on a body of another shape than the provider's.
UNREADABLE = (ValueError, TypeError, LookupError, AttributeError, RecursionError)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@receiver(tracking, dispatch_uid="notifications.tracking")
def on_tracking_event(sender, event, esp_name, **kwargs):
    notification_record_tracking(
        event_type=event.event_type,
        message_id=event.message_id,
        metadata=event.metadata,
        description=event.description or event.mta_response or "",
    )


def _refuse(view, request, exc: BaseException) -> BadRequest:
    logger.warning("Anymail webhook %s: unreadable body, refused: %r", view.__class__.__name__, exc)
    return BadRequest(f"unreadable body: {exc.__class__.__name__}")


def guarded(view_class):
    """A subclass of an Anymail webhook view that answers 400 to a body it cannot read."""

    def run_validators(self, request):
        if request.content_type not in FORM_TYPES and json_depth_exceeded(request.body):
            raise _refuse(self, request, ValueError("nested too deep"))
        try:
            super(cls, self).run_validators(request)
        except (*UNREADABLE, AnymailAPIError) as exc:  # e.g. Amazon's "Malformed SNS message"
            raise _refuse(self, request, exc) from exc

    def parse_events(self, request):
        try:
            return list(super(cls, self).parse_events(request))
        except UNREADABLE as exc:
            raise _refuse(self, request, exc) from exc

    cls = type(
        view_class.__name__,
        (view_class,),
        {"run_validators": run_validators, "parse_events": parse_events},
    )
    return cls


def _guarded_pattern(pattern: URLPattern) -> URLPattern:
    view = pattern.callback
    view_class = getattr(view, "view_class", None)
    if view_class is None or not hasattr(view_class, "parse_events"):
        return pattern
    callback = guarded(view_class).as_view(**getattr(view, "view_initkwargs", {}))
    return URLPattern(pattern.pattern, callback, pattern.default_args, pattern.name)


# Anymail's URLs, each view guarded (config/urls.py includes them under /anymail/).
app_name = anymail_urls.app_name
urlpatterns = [_guarded_pattern(pattern) for pattern in anymail_urls.urlpatterns]
