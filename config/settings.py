"""One settings module, driven by environment variables.

With no variable set, this is the embedded default: SQLite under var/, a Celery broker on the
filesystem, emails written to var/mail. Production sets DATABASE_URL, CELERY_BROKER_URL,
EMAIL_BACKEND (+ ANYMAIL_* keys), SECRET_KEY, ALLOWED_HOSTS and DEBUG=false.
"""

import os
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.logs import configure as configure_logs
from config.logs import level_name
from config.sentry import init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
# Production is DEBUG=false, decided here once from the environment: code asks PRODUCTION, not
# DEBUG (the test runner turns DEBUG off by itself). config/checks.py refuses to start it on an
# unsafe setting (no SECRET_KEY, a per-process cache, demo users, ...).
PRODUCTION = not DEBUG
# The repository's development key: published, so production refuses it (check config.E001).
DEVELOPMENT_SECRET_KEY = "embedded-default-insecure-key-do-not-use-in-production"
SECRET_KEY = env("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "config.admin_site.BackofficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "anymail",
    "csp",
    "shop",
    "returns",
    "refunds",
    "notifications",
    "portal",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "insights",
    "ops",
]

MIDDLEWARE = [
    # The request's id (reused from a well-formed X-Request-ID) in every log line it causes.
    "config.middleware.RequestIdMiddleware",
    # Every request counted and timed, by view and status, for /metrics (ops/metrics.py), when
    # METRICS_ENABLED (config/middleware.py).
    "config.middleware.request_metrics",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    # A NUL byte in a path, a query, a cookie or a form field is a 400 (config/middleware.py).
    "config.middleware.RefuseUnstorableInput",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.middleware.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # Staff-edited emails write {{ amount|money:currency }} without a {% load %}.
            "builtins": ["shop.templatetags.money"],
            # {% load backoffice_chrome %}: the admin's sidebar memoised (config/admin_site.py).
            "libraries": {"backoffice_chrome": "config.chrome_tags"},
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while one writes; IMMEDIATE transactions take
    # the write lock at BEGIN, so two writers queue (busy timeout) instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and the client's address ------------------------------------------------------------
# One cache every process shares (cached charts and lists): files under var/cache/ on the
# embedded default, Redis in production (CACHE_URL=redis://host:6379/1). The throttles of
# logins, signups, password resets and guest lookups count in the database (shop/throttle.py),
# shared and atomic whatever the cache.
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
# Two sites sharing one Redis database keep apart by a prefix (the bench's two servers do).
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="")
# How many proxies stand in front of the web server, each appending to X-Forwarded-For: the
# client's address is that many hops from the right (shop.throttle.client_address). 0: none,
# REMOTE_ADDR is the client's. A forwarded header is the client's to forge when no proxy of
# ours wrote it, so it is read only when this says so.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT is a number of proxies: 0 or more")

AUTH_USER_MODEL = "shop.User"
# Argon2 hashes new passwords; the PBKDF2 hashers after it still verify the hashes made before
# (and a login upgrades them to Argon2).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
# Customers: Django's minimum (8); staff and superusers: STAFF_PASSWORD_MIN_LENGTH (12).
STAFF_PASSWORD_MIN_LENGTH = env.int("STAFF_PASSWORD_MIN_LENGTH", default=12)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {
        "NAME": "shop.passwords.StaffMinimumLengthValidator",
        "OPTIONS": {"min_length": STAFF_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Languages ------------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("TIME_ZONE", default="Europe/Paris")
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# Uploaded files (brand logos, customers' return photos), written and read through Django's
# default_storage and served by our own views (portal/views/brands.py, the photos' views), never
# by a public URL. MEDIA_STORAGE is the storage class (a dotted path), MEDIA_STORAGE_OPTIONS its
# options as a JSON object: by default the disk under MEDIA_ROOT; S3 by configuration with
# django-storages, installed beside the project (README "Photos and logos on S3"):
# MEDIA_STORAGE=storages.backends.s3.S3Storage
# MEDIA_STORAGE_OPTIONS={"bucket_name": "shop-returns-media", "region_name": "eu-west-3"}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
MEDIA_STORAGE = env("MEDIA_STORAGE", default="django.core.files.storage.FileSystemStorage")
STORAGES: dict[str, Any] = {
    "default": {
        "BACKEND": MEDIA_STORAGE,
        "OPTIONS": env.json("MEDIA_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Email ----------------------------------------------------------------------------------
# EMAIL_BACKEND=anymail.backends.<provider>.EmailBackend with its keys as ANYMAIL_<NAME>
# variables (ANYMAIL_MAILGUN_API_KEY=... becomes ANYMAIL["MAILGUN_API_KEY"]).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="returns@shop.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {
    key[len("ANYMAIL_") :]: value for key, value in os.environ.items() if key.startswith("ANYMAIL_")
}

# --- Celery ---------------------------------------------------------------------------------
# The embedded broker is kombu's filesystem transport: it needs no server and works across
# processes, so `make run` starts a real worker. Production sets CELERY_BROKER_URL=redis://...
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A task is acknowledged only once it has run (acks late), one at a time (prefetch 1), so a
    # worker killed mid-task leaves it on the broker. Redis redelivers an unacknowledged task
    # after the visibility timeout, which must exceed the longest countdown we schedule.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=7200),
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
    }
# Publishing (notifications.tasks.publish_send, after the commit of a web request's change) never
# waits on the broker for more than about NOTIFICATIONS_PUBLISH_TIMEOUT_SECONDS: its connection
# has that connect and socket timeout, and neither kombu nor Celery retries it (a broker that
# accepts the connection and never answers is the worst case). The row stays queued and the
# sweep hands it over once the broker answers again. The worker consumes with the options above.
NOTIFICATIONS_PUBLISH_TIMEOUT_SECONDS = env.float(
    "NOTIFICATIONS_PUBLISH_TIMEOUT_SECONDS", default=0.25
)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fix-up closes the database connection around every task unless told to reuse
# it: a session per email. The worker keeps it (config/celery.py closes it only when Django's
# CONN_MAX_AGE and health check say so, as a web request does).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    # Re-publish notifications the broker lost and take back those a dead worker left sending.
    "notifications-sweep": {"task": "notifications.tasks.sweep_notifications", "schedule": 60.0},
    # Approved returns whose parcel never moved expire (ShopSettings.return_expiry_days).
    "returns-expire": {"task": "returns.tasks.expire_returns", "schedule": 3600.0},
    # What is left on expired store credit codes is written off the ledger (refunds/credit.py).
    "store-credit-expire": {"task": "refunds.tasks.expire_store_credit", "schedule": 3600.0},
    # The analytics page's daily figures: the last 3 days and the days of returns changed since
    # (a return counts on its request day; it changes status and is refunded after it).
    "analytics-refresh": {"task": "insights.tasks.refresh_daily_figures", "schedule": 900.0},
    # Throttle counters whose window closed are deleted.
    "throttle-purge": {"task": "shop.tasks.purge_throttle_counters", "schedule": 3600.0},
    # Beat's heartbeat, run by a worker: the health check's "beat" line reads its age.
    "beat-heartbeat": {"task": "ops.tasks.beat_heartbeat", "schedule": 60.0},
}
CELERY_TIMEZONE = TIME_ZONE
# The worker and beat log through our handlers (structlog: JSON lines in production) rather
# than Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Health checks (ops/health.py: manage.py healthcheck, /healthz) -------------------------
# Each limit makes its check fail: the broker's and the worker ping's timeouts, beat's heartbeat
# age (it beats every 60 s), the wait of the oldest due row of an outbox, and the notifications
# failed in the last day.
HEALTH_BROKER_TIMEOUT_SECONDS = env.float("HEALTH_BROKER_TIMEOUT_SECONDS", default=2.0)
HEALTH_WORKER_TIMEOUT_SECONDS = env.float("HEALTH_WORKER_TIMEOUT_SECONDS", default=3.0)
HEALTH_BEAT_MAX_AGE_SECONDS = env.float("HEALTH_BEAT_MAX_AGE_SECONDS", default=300.0)
HEALTH_BACKLOG_MAX_AGE_SECONDS = env.float("HEALTH_BACKLOG_MAX_AGE_SECONDS", default=900.0)
HEALTH_FAILED_NOTIFICATIONS_MAX = env.int("HEALTH_FAILED_NOTIFICATIONS_MAX", default=10)

# --- Metrics (ops/metrics.py: /metrics for Prometheus) ----------------------------------------
# Off unless METRICS_ENABLED; then a scrape must send METRICS_TOKEN as its Bearer token (401
# without; production refuses to start with metrics on and no token, check ops.E001).
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# --- Benchmarks (bench/, config/bench.py) ---------------------------------------------------
# On: /bench/minimal/ answers (the logged-in ceiling) and every response says its number of
# queries (X-Bench-Queries), whatever DEBUG is, so the bench runs with production settings.
# Only `make bench` turns it on, on its throwaway databases.
BENCH_VIEWS = env.bool("BENCH_VIEWS", default=False)
if BENCH_VIEWS:
    MIDDLEWARE.insert(0, "config.bench.QueryCountMiddleware")

# --- Notifications (the outbox) -------------------------------------------------------------
# Transient provider errors are retried after base·2^(n-1) s (capped, with jitter) up to the
# attempt limit. The cap must stay below the broker's visibility timeout (check W001); a row
# in 'sending' longer than STUCK_AFTER (above the task's 90 s hard time limit) had its worker
# die and is taken back by the sweep; a queued row due for longer than the GRACE is published
# again.
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=6)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.float("NOTIFICATIONS_RETRY_BASE_SECONDS", default=30.0)
NOTIFICATIONS_RETRY_MAX_SECONDS = env.float("NOTIFICATIONS_RETRY_MAX_SECONDS", default=1800.0)
NOTIFICATIONS_STUCK_AFTER_SECONDS = env.float("NOTIFICATIONS_STUCK_AFTER_SECONDS", default=300.0)
NOTIFICATIONS_SWEEP_GRACE_SECONDS = env.float("NOTIFICATIONS_SWEEP_GRACE_SECONDS", default=120.0)
# A backlog (at least BATCH_FROM due rows at a sweep) is sent in batches of BATCH_SIZE, each on
# one mail connection, by up to BATCH_PARALLEL tasks at once (each publishes the next while full).
NOTIFICATIONS_BATCH_SIZE = env.int("NOTIFICATIONS_BATCH_SIZE", default=100)
NOTIFICATIONS_BATCH_FROM = env.int("NOTIFICATIONS_BATCH_FROM", default=20)
NOTIFICATIONS_BATCH_PARALLEL = env.int("NOTIFICATIONS_BATCH_PARALLEL", default=4)
# A single email's task that claims its row takes along up to COALESCE - 1 other due rows, sent
# with it on one connection (1: each task sends its own row only). Its 60 s time limit bounds
# what a slow provider may take for them (1.2 s an email at 50). 50, not 20: a batch's fixed
# cost (its claims and data, about 25 ms) was a quarter of a burst's email (bench/README.md).
NOTIFICATIONS_COALESCE = env.int("NOTIFICATIONS_COALESCE", default=50)
# The worker keeps its mail connection open for the next task for this long since its last
# use (0: a connection per task or batch). notifications/delivery.py, open_mail_connection.
NOTIFICATIONS_MAIL_KEEP_SECONDS = env.float("NOTIFICATIONS_MAIL_KEEP_SECONDS", default=30.0)

# --- Outbound webhooks (notifications/webhook_delivery.py) ----------------------------------
# The wait before each retry of a delivery answered 5xx/429, timed out or unreachable: one
# attempt, then one retry per entry (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about a day).
WEBHOOKS_RETRY_SCHEDULE_SECONDS = env.list(
    "WEBHOOKS_RETRY_SCHEDULE_SECONDS",
    cast=float,
    default=[5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
)
# Connect and read timeout of one POST; the task's time limits are above it.
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
# An endpoint whose deliveries failed (retries spent, or refused with a 4xx) this many times in
# a row is disabled and the shop admins told.
WEBHOOKS_DISABLE_AFTER_FAILURES = env.int("WEBHOOKS_DISABLE_AFTER_FAILURES", default=5)
# How much of a receiver's answer is kept on the delivery (characters).
WEBHOOKS_RESPONSE_BODY_MAX_CHARS = env.int("WEBHOOKS_RESPONSE_BODY_MAX_CHARS", default=2000)

# --- Return labels and parcel tracking -------------------------------------------------------
# Carriers by code: a dotted path to a returns.carriers.base.Carrier subclass, or
# {"BACKEND": path, "OPTIONS": {...}} (the options are passed to its constructor). "offline" is
# the built-in one: it works without any network (tracking numbers and PDF labels made here).
RETURN_CARRIERS: dict[str, Any] = {"offline": "returns.carriers.offline.OfflineCarrier"}
# Sendcloud (returns/carriers/sendcloud.py; README "Sendcloud"), named "sendcloud" once its
# public key is set: the API integration's keys, the shop's return address (a JSON object in
# Sendcloud's address shape), the shipping option code per customer country ("FR=...,*=..."),
# and the secret its webhook is signed with (by default the secret key).
SENDCLOUD_PUBLIC_KEY = env("SENDCLOUD_PUBLIC_KEY", default="")
if SENDCLOUD_PUBLIC_KEY:
    RETURN_CARRIERS["sendcloud"] = {
        "BACKEND": "returns.carriers.sendcloud.SendcloudCarrier",
        "OPTIONS": {
            "public_key": SENDCLOUD_PUBLIC_KEY,
            "secret_key": env("SENDCLOUD_SECRET_KEY", default=""),
            "webhook_secret": env("SENDCLOUD_WEBHOOK_SECRET", default=""),
            "base_url": env("SENDCLOUD_BASE_URL", default="https://panel.sendcloud.sc"),
            "return_address": env.json("SENDCLOUD_RETURN_ADDRESS", default={}),
            "shipping_options": env.dict("SENDCLOUD_SHIPPING_OPTIONS", default={}),
            "parcel_weight_kg": env("SENDCLOUD_PARCEL_WEIGHT_KG", default="1"),
        },
    }
# The carrier of labels when no shipping method chose one.
RETURN_DEFAULT_CARRIER = env("RETURN_DEFAULT_CARRIER", default="offline")
# Carriers sign their tracking webhooks with HMAC-SHA256 of "<timestamp>.<raw body>" under this
# secret (per carrier in CARRIER_WEBHOOK_SECRETS, e.g. CARRIER_WEBHOOK_SECRETS=offline=a,acme=b),
# as returns/carriers/signing.py says. Without a secret the webhook refuses every request (and, with
# DEBUG off, the system check returns.E001 refuses to start); a signature whose timestamp is
# further than the tolerance from our clock is refused as a replay.
CARRIER_WEBHOOK_SECRET = env("CARRIER_WEBHOOK_SECRET", default="")
CARRIER_WEBHOOK_SECRETS = env.dict("CARRIER_WEBHOOK_SECRETS", default={})
CARRIER_WEBHOOK_TOLERANCE_SECONDS = env.int("CARRIER_WEBHOOK_TOLERANCE_SECONDS", default=300)

# --- Refunds through the payment provider (refunds/providers/; README "Stripe") ----------------
# Providers by code, as RETURN_CARRIERS: "manual" (staff pay out and type the reference) is
# always there; "stripe" once STRIPE_SECRET_KEY is set. An order's payment_provider says which
# one refunds it. STRIPE_API_BASE points the library elsewhere (the tests' local server).
REFUND_PROVIDERS: dict[str, Any] = {"manual": "refunds.providers.manual.ManualProvider"}
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
if STRIPE_SECRET_KEY:
    REFUND_PROVIDERS["stripe"] = {
        "BACKEND": "refunds.providers.stripe.StripeProvider",
        "OPTIONS": {
            "secret_key": STRIPE_SECRET_KEY,
            "webhook_secret": env("STRIPE_WEBHOOK_SECRET", default=""),
            "api_base": env("STRIPE_API_BASE", default="https://api.stripe.com"),
            "timeout_seconds": env.float("STRIPE_TIMEOUT_SECONDS", default=20.0),
            "max_network_retries": env.int("STRIPE_MAX_NETWORK_RETRIES", default=2),
            "webhook_tolerance_seconds": env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300),
        },
    }
# A refund sent to its provider with no answer recorded after this long died with its process:
# it may be sent again (with the same idempotency key: the provider makes no second refund).
REFUND_SEND_STALE_AFTER_SECONDS = env.int("REFUND_SEND_STALE_AFTER_SECONDS", default=300)

# --- Security --------------------------------------------------------------------------------
# What each of these protects, and the production checklist: SECURITY.md. Production refuses to
# start on an unsafe setting (config/checks.py).
#
# Sessions: a customer's lasts SESSION_COOKIE_AGE (two weeks); a staff member's also ends after
# STAFF_SESSION_IDLE_TIMEOUT seconds without a request (config/middleware.py, 0 turns it off).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
STAFF_SESSION_IDLE_TIMEOUT = env.int("STAFF_SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Content-Security-Policy (django-csp 4): scripts and <style> blocks only from here or with the
# response's nonce ({{ request.csp_nonce }}); style="" attributes stay allowed (the templates'
# bars and widths); no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Browser features no page of ours uses, refused to every page (config/middleware.py).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    # HTTPS only: every cookie Secure, HSTS, redirects to HTTPS (behind a proxy that sets
    # X-Forwarded-Proto; set SECURE_SSL_REDIRECT=false when the proxy already redirects).
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # A load balancer probes /healthz over plain HTTP: answer it rather than redirect it.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True

# --- The REST API (api/) -----------------------------------------------------------------------
# API keys only (api/auth.py): no session, so no CSRF to speak of and no browser ambient rights.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.HasScopes"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "UNAUTHENTICATED_USER": None,
}
# Requests per API key and minute (api/views/base.py, counted by shop.throttle).
API_REQUESTS_PER_MINUTE = env.int("API_REQUESTS_PER_MINUTE", default=600)
SPECTACULAR_SETTINGS = {
    "TITLE": "Returns back-office API",
    "DESCRIPTION": (
        "Orders, returns and refunds for storefronts and integrations. Authenticate with "
        "`Authorization: Bearer <key>`; act for a customer with `X-Customer-Email`; send an "
        "`Idempotency-Key` with every POST. Errors are RFC 9457 problem details."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI and Redoc from local static files (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ReturnStatusEnum": "returns.models.ReturnStatus",
        "OrderStatusEnum": "shop.models.Order.Status",
        "RefundStatusEnum": "refunds.models.RefundStatus",
    },
}
# --- Logs and errors ------------------------------------------------------------------------
# structlog (config/logs.py): JSON lines in production, a readable console in development; each
# line carries the request's (or the task's) request_id.
LOGGING = configure_logs(
    as_json=env.bool("LOG_JSON", default=PRODUCTION),
    level=level_name(env("LOG_LEVEL", default="INFO")),
)
# Errors go to Sentry when SENTRY_DSN is set (config/sentry.py); without it sentry-sdk is not
# started at all.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    init_sentry(
        dsn=SENTRY_DSN,
        environment=env(
            "SENTRY_ENVIRONMENT", default="production" if PRODUCTION else "development"
        ),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
