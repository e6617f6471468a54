"""The email provider's tracking webhook: it reports delivered, bounced, complained.

POST /anymail/<provider>/tracking/ is served by Anymail's view of that provider, behind our
gate (`anymail_tracking_webhook`):

- only the provider we send with (settings.EMAIL_BACKEND = anymail.backends.<provider>...) has
  an endpoint; any other provider, an inbound URL, or our provider missing its own keys (e.g.
  Mailgun's webhook signing key) is 404, never 500;
- without ANYMAIL_WEBHOOK_SECRET ("user:password" in the webhook URL given to the provider) the
  endpoint refuses everyone (403, nothing changed), where Anymail alone would accept anyone
  with a warning; with DEBUG off the system check notifications.E001 refuses to start;
- a caller without the secret, or failing the provider's own signature where it has one, is
  403 and changes nothing.

Anymail turns each report into a `tracking` signal; the receiver below applies it to the
notification.

Anymail's views trust the body's shape: a body that is not JSON, or not the provider's layout,
failed inside them with a 500 (which providers retry forever). Each view is guarded
(`guarded`): a body nested deeper than shop.limits.MAX_JSON_DEPTH, or that the view cannot read,
is a 400 and reaches no receiver. What the receivers do is not guarded: a failure there stays a
500, and the provider retries.
"""

import logging

from anymail import urls as anymail_urls
from anymail.exceptions import (
    AnymailAPIError,
    AnymailConfigurationError,
    AnymailWebhookValidationFailure,
)
from anymail.signals import tracking
from anymail.utils import get_anymail_setting
from django.conf import settings
from django.core.exceptions import BadRequest
from django.dispatch import receiver
from django.http import Http404, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt

from notifications.services import notification_record_tracking
from shop.limits import json_depth_exceeded

logger = logging.getLogger(__name__)

# What Anymail's parsing raises on a body of another shape than the provider's.
UNREADABLE = (ValueError, TypeError, LookupError, AttributeError, RecursionError)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


_BACKENDS = "anymail.backends."


def sending_provider() -> str:
    """The Anymail provider we send with ("" when EMAIL_BACKEND is not Anymail's)."""
    backend = settings.EMAIL_BACKEND
    if not backend.startswith(_BACKENDS):
        return ""
    return backend[len(_BACKENDS) :].split(".", 1)[0]


def webhook_secrets() -> list[str]:
    """The "user:password" pairs a provider may call us with (ANYMAIL_WEBHOOK_SECRET, one or a
    list, as Anymail reads it); empty when none is set."""
    secret = get_anymail_setting("webhook_secret", default=None)
    if not secret:
        return []
    return [secret] if isinstance(secret, str) else [item for item in secret if item]


@csrf_exempt
def anymail_tracking_webhook(request, provider: str):
    view_class = TRACKING_VIEWS.get(provider)
    if view_class is None or provider != sending_provider():
        raise Http404("no tracking webhook for this provider")
    if not webhook_secrets():
        logger.error(
            "email tracking webhook (%s) refused: ANYMAIL_WEBHOOK_SECRET is not set", provider
        )
        return HttpResponseForbidden("webhook not configured")
    try:
        return view_class.as_view()(request)
    except AnymailConfigurationError as exc:
        # Our provider without its own webhook keys: nothing to serve until they are set.
        logger.error("email tracking webhook (%s) not configured: %s", provider, exc)
        raise Http404("tracking webhook not configured") from None
    except AnymailWebhookValidationFailure as exc:
        logger.warning(
            "email tracking webhook (%s) from %s refused: %s",
            provider,
            request.META.get("REMOTE_ADDR", "?"),
            exc,
        )
        return HttpResponseForbidden("not authenticated")


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


_SUFFIX = "_tracking_webhook"
# Anymail's tracking view of each provider (guarded), by the provider's name in its URL.
TRACKING_VIEWS = {
    pattern.name[: -len(_SUFFIX)]: guarded(pattern.callback.view_class)
    for pattern in anymail_urls.urlpatterns
    if getattr(pattern, "name", None) and pattern.name.endswith(_SUFFIX)
}
