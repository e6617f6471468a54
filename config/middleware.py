"""Site-wide HTTP middleware: security headers, the staff session's idle timeout, and the
refusal of input no database can store.

`RefuseUnstorableInput` answers 400 to a request whose path, query string, cookies or form
fields carry text no database column can hold (a NUL byte: PostgreSQL refuses it, and every
page that looked it up failed with a 500). It runs before any view, so no view, form or
selector needs to think of it; a JSON body is the business of its own parser
(shop.limits.load_json, returns/carriers/).
"""

import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

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
