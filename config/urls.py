from django.contrib import admin
from django.urls import include, path

from returns.webhooks import carrier_tracking_webhook

urlpatterns = [
    path("admin/", admin.site.urls),
    # Anymail's tracking webhooks (/anymail/<provider>/tracking/), for the notifications, each
    # view reading its body guarded (notifications/webhooks.py).
    path("anymail/", include("notifications.webhooks")),
    # Carriers' tracking webhooks (HMAC-signed: returns/webhooks.py).
    path(
        "carriers/<slug:carrier_code>/tracking/",
        carrier_tracking_webhook,
        name="carrier_tracking_webhook",
    ),
    # The customer portal, at the root (its URL names are global: emails link to them).
    path("", include("portal.urls")),
]
