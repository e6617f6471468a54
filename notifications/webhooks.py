"""Anymail's tracking webhook: the provider reports delivered, bounced, complained.

The URLs are Anymail's (/anymail/<provider>/tracking/), authenticated by Anymail with the
shared secret ANYMAIL_WEBHOOK_SECRET ("user:password" in the webhook URL given to the
provider) plus the provider's own signature where it has one. Anymail turns each report into
a `tracking` signal; this receiver applies it to the notification.
"""

from anymail.signals import tracking
from django.dispatch import receiver

from notifications.services import notification_record_tracking


@receiver(tracking, dispatch_uid="notifications.tracking")
def on_tracking_event(sender, event, esp_name, **kwargs):
    notification_record_tracking(
        event_type=event.event_type,
        message_id=event.message_id,
        metadata=event.metadata,
        description=event.description or event.mta_response or "",
    )
