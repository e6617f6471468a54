"""How long a session may stay idle: the rule the idle-timeout middleware asks."""

import time

from django.conf import settings

from shop.passwords import is_staff_account

# The session key of the last request's time (seconds since the epoch, an int).
LAST_ACTIVITY_KEY = "_last_activity"
# The time is written again only once it is this many seconds old, so that most requests do not
# save the session; the timeout is then exact to within this much.
ACTIVITY_RESOLUTION = 60


def idle_timeout(user) -> int | None:
    """Seconds without a request after which this user's session ends; None: no idle limit.

    Staff and superusers: settings.STAFF_SESSION_IDLE_TIMEOUT (0 turns it off). Customers keep
    their session for SESSION_COOKIE_AGE."""
    if not getattr(user, "is_authenticated", False) or not is_staff_account(user):
        return None
    return settings.STAFF_SESSION_IDLE_TIMEOUT or None


def session_is_idle(user, last_activity: int | None, now: int) -> bool:
    """Whether the session of `user`, last active at `last_activity`, has been idle too long."""
    timeout = idle_timeout(user)
    return timeout is not None and last_activity is not None and now - last_activity > timeout


def start_activity_clock(sender, request, user, **kwargs) -> None:
    """On login (the user_logged_in signal): the session starts active now, so that the first
    request after it does not have to write the session again."""
    if idle_timeout(user) is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = int(time.time())
