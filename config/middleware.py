"""Site-wide HTTP middleware: security headers and the staff session's idle timeout."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _

from shop.sessions import ACTIVITY_RESOLUTION, LAST_ACTIVITY_KEY, idle_timeout, session_is_idle


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
