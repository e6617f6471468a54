"""Counting failed attempts in the cache, to slow down guessing (passwords, guest lookups).

The counters live in settings.CACHES["default"]: per process with the embedded default, shared
by every web process when CACHE_URL points to Redis. A window opens at the first failure and
lasts `window` seconds; after `limit` failures in it, the action is refused until it closes.
"""

import hashlib
from dataclasses import dataclass

from django import forms
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Throttle:
    scope: str
    limit: int
    window: int  # seconds

    def _key(self, identity: str) -> str:
        # Hashed: identities hold emails and IP addresses, which need not sit in the cache.
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        return f"throttle:{self.scope}:{digest}"

    def failures(self, identity: str) -> int:
        return cache.get(self._key(identity), 0)

    def blocked(self, identity: str) -> bool:
        return self.failures(identity) >= self.limit

    def fail(self, identity: str) -> int:
        """Count one failure; returns the count in the current window."""
        key = self._key(identity)
        if cache.add(key, 1, timeout=self.window):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=self.window)
            return 1

    def reset(self, identity: str) -> None:
        cache.delete(self._key(identity))


# Five wrong passwords for one email from one address in 15 minutes, or thirty from one address
# whatever the emails, and logging in is refused until the window closes.
LOGIN_PER_ACCOUNT = Throttle("login-account", limit=5, window=15 * 60)
LOGIN_PER_ADDRESS = Throttle("login-address", limit=30, window=15 * 60)
# The guest lookup: a postcode is easy to guess, so tries per order number count too.
LOOKUP_PER_ADDRESS = Throttle("lookup-address", limit=10, window=15 * 60)
LOOKUP_PER_ORDER = Throttle("lookup-order", limit=5, window=15 * 60)


def client_address(request) -> str:
    # REMOTE_ADDR only: a forwarded header is the client's to forge unless a trusted proxy
    # rewrites it, and then the proxy should set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


THROTTLED_LOGIN = _(
    "Too many failed attempts. For your security, logging in is paused for "
    "15 minutes. You can also reset your password."
)


class LoginThrottleMixin:
    """Refuses to check passwords after too many failures (per email and address, and per
    address): shared by the portal's and the back-office's login forms."""

    def _identities(self):
        address = client_address(self.request) if self.request is not None else "unknown"
        email = (self.data.get("username") or "").strip().lower()
        return f"{email}|{address}", address

    def clean(self):
        account, address = self._identities()
        if LOGIN_PER_ACCOUNT.blocked(account) or LOGIN_PER_ADDRESS.blocked(address):
            raise forms.ValidationError(THROTTLED_LOGIN, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            LOGIN_PER_ACCOUNT.fail(account)
            LOGIN_PER_ADDRESS.fail(address)
            raise
        LOGIN_PER_ACCOUNT.reset(account)
        return cleaned
