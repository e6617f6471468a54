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
"""

import logging

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailConfigurationError, AnymailWebhookValidationFailure
from anymail.signals import tracking
from anymail.utils import get_anymail_setting
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt

from notifications.services import notification_record_tracking

logger = logging.getLogger(__name__)

_SUFFIX = "_tracking_webhook"
# Anymail's tracking view of each provider, by the provider's name in its URL.
TRACKING_VIEWS = {
    pattern.name[: -len(_SUFFIX)]: pattern.callback.view_class
    for pattern in anymail_urls.urlpatterns
    if getattr(pattern, "name", None) and pattern.name.endswith(_SUFFIX)
}
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
