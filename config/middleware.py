"""Site-wide HTTP middleware: security headers, the staff session's idle timeout, and the
refusal of input no database can store.

`RefuseUnstorableInput` answers 400 to a request whose path, query string, cookies or form
fields carry text no database column can hold (a NUL byte: PostgreSQL refuses it, and every
page that looked it up failed with a 500). It runs before any view, so no view, form or
selector needs to think of it; a JSON body is the business of its own parser
(shop.limits.load_json, returns/carriers/).
"""

import re
import time
import uuid
from collections.abc import Callable, Iterable

import structlog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import BadRequest, MiddlewareNotUsed
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from config.sentry import tag_request
from shop.limits import unsafe_text
from shop.sessions import ACTIVITY_RESOLUTION, LAST_ACTIVITY_KEY, idle_timeout, session_is_idle

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _unsafe(texts: Iterable[str]) -> str | None:
    for text in texts:
        why = unsafe_text(text)
        if why:
            return why
    return None


def _items(data) -> Iterable[str]:
    for key, values in data.lists():
        yield key
        yield from (value for value in values if isinstance(value, str))


# The pages that take files (the photos of a return, on the portal's summary page): there a
# multipart body beyond DATA_UPLOAD_MAX_MEMORY_SIZE streams its files to disk. Anywhere else
# it is read whole first, and Django refuses it (400) before a view that reads request.body,
# such as a webhook, could meet a body already consumed.
UPLOAD_URL_NAMES = frozenset({"return_confirm"})


def _large_upload(request: HttpRequest) -> bool:
    """A multipart body beyond DATA_UPLOAD_MAX_MEMORY_SIZE sent to a page that takes files."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if request.content_type != "multipart/form-data" or limit is None or length <= limit:
        return False
    try:
        return resolve(request.path_info).url_name in UPLOAD_URL_NAMES
    except Resolver404:
        return False


def request_metrics(get_response: Callable[[HttpRequest], HttpResponse]):
    """ops.metrics' request metrics when METRICS_ENABLED, else no middleware at all: without
    metrics /metrics is a 404, so counting would be for nothing, and a web worker then never
    imports prometheus_client (about 1 MB of PSS, bench/README.md)."""
    if not settings.METRICS_ENABLED:
        raise MiddlewareNotUsed
    from ops.metrics import RequestMetricsMiddleware

    return RequestMetricsMiddleware(get_response)


class RefuseUnstorableInput:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        why = (
            _unsafe([request.path_info])
            or _unsafe(_items(request.GET))
            or _unsafe([*request.COOKIES.keys(), *request.COOKIES.values()])
        )
        if why is None and request.method == "POST" and request.content_type in FORM_TYPES:
            if not _large_upload(request):
                # The body is read first: a view reading request.body after request.POST can.
                request.body  # noqa: B018
            why = _unsafe(_items(request.POST))
        if why:
            # Django's 400 page, logged as a bad request (django.request, a warning).
            raise BadRequest(f"the request carries {why}")
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Sends settings.PERMISSIONS_POLICY ({feature: [allowed origins]}) as the
    Permissions-Policy header; an empty list refuses the feature to every origin."""

    def __init__(self, get_response):
        self.get_response = get_response
        policy = getattr(settings, "PERMISSIONS_POLICY", {})
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})" for feature, origins in policy.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class StaffIdleTimeoutMiddleware:
    """Logs out a staff member whose session saw no request for STAFF_SESSION_IDLE_TIMEOUT
    seconds (shop.sessions.idle_timeout); the page then asks them to log in again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if idle_timeout(user) is not None:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            if session_is_idle(user, last, now):
                logout(request)
                messages.info(request, _("You were logged out after a period of inactivity."))
            elif last is None or now - last >= ACTIVITY_RESOLUTION:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


# An incoming X-Request-ID (set by a proxy or a load balancer) is reused when it looks like an
# id: letters, digits and - _ . : only, at most 128 characters. Anything else could forge a log
# line or bloat it: a new id is made instead.
REQUEST_ID_HEADER = "X-Request-ID"
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id_of(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if WELL_FORMED_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Binds the request's id to every log line written while it runs (structlog's context
    variables) and answers it in X-Request-ID, so a log line and a reported error meet."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        tag_request(request_id)
        # Still bound after this returns: Django logs the response's status (django.request)
        # after the middleware; request_finished unbinds it.
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


@receiver(request_finished, dispatch_uid="config.middleware.unbind_request_id")
def unbind_request_id(**kwargs) -> None:
    structlog.contextvars.clear_contextvars()
