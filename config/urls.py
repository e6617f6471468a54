from django.contrib import admin
from django.urls import include, path

from config.bench import minimal as bench_minimal
from notifications.webhooks import anymail_tracking_webhook
from ops.views import healthz, metrics
from refunds.webhooks import payment_provider_webhook
from returns.webhooks import carrier_tracking_webhook, sendcloud_webhook

urlpatterns = [
    path("admin/", admin.site.urls),
    # The email provider's tracking webhook, for the notifications: Anymail's view of the
    # provider we send with, behind a gate that refuses it without a secret
    # (notifications/webhooks.py).
    path(
        "anymail/<slug:provider>/tracking/",
        anymail_tracking_webhook,
        name="anymail_tracking_webhook",
    ),
    # Carriers' tracking webhooks (HMAC-signed: returns/webhooks.py).
    path(
        "carriers/<slug:carrier_code>/tracking/",
        carrier_tracking_webhook,
        name="carrier_tracking_webhook",
    ),
    # Sendcloud's webhook, in its own format and signature (returns/carriers/sendcloud.py).
    path("carriers/sendcloud/webhook/", sendcloud_webhook, name="sendcloud_webhook"),
    # The payment providers' refund webhooks (Stripe-signed: refunds/webhooks.py).
    path(
        "payments/<slug:provider_code>/webhook/",
        payment_provider_webhook,
        name="payment_provider_webhook",
    ),
    # The storefront integration's REST API (api/, docs/openapi.yaml).
    path("api/v1/", include("api.urls")),
    # The site's health for load balancers and monitors: open, never cached (ops/views.py).
    path("healthz", healthz, name="healthz"),
    # Prometheus' scrape, behind METRICS_TOKEN (ops/views.py).
    path("metrics", metrics, name="metrics"),
    # The benchmarks' logged-in minimal page: 404 unless BENCH_VIEWS (config/bench.py).
    path("bench/minimal/", bench_minimal, name="bench_minimal"),
    # The customer portal, at the root (its URL names are global: emails link to them).
    path("", include("portal.urls")),
]
