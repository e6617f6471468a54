"""Counting attempts to slow down guessing and flooding: passwords (portal and back-office),
signups, password resets, guest lookups.

Each attempt is counted before the work it asks for, in every throttle it falls under, and
refused when one of them is over its limit: the count of a throttle is the number of attempts
it let through in its window, never more than its limit, however many web processes ask at
once. The counters are rows of `ThrottleCounter` (the database every process shares), and one
statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING) adds one to a row: atomic on SQLite
and PostgreSQL alike, whatever cache is configured. A window opens at the first attempt and
lasts `window` seconds.

Who is locked out, and of what:

- per client address (`client_address`: REMOTE_ADDR, or the address a trusted proxy wrote,
  settings.TRUSTED_PROXY_COUNT): a flood from one address pauses that address only;
- login, per account at one address (5 in 15 minutes): someone guessing a password from one
  place pauses that account there, and its owner elsewhere logs in as usual;
- login, per account from everywhere (25 in 15 minutes): guessing from many addresses at once
  is bounded too; it pauses the account everywhere until the window closes or its owner
  resets the password (`login_unlock`), which proves they read its mailbox;
- guest lookup, per order number from everywhere (5 in 15 minutes): a postcode is easy to
  guess, so the order's own count must hold whatever the addresses; the customer can still
  log in, or follow the links of their emails;
- signup and password reset, per email address: each sends an email to that address, so
  nobody can flood a mailbox through us.
"""

import ipaddress
import logging
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from shop.commits import NO_FLUSH_WAIT_CONDITION, commits_alone
from shop.models import ThrottleCounter

logger = logging.getLogger(__name__)


# A hit made in autocommit is its own transaction, and its commit waited for the WAL to reach
# the disk: 7 to 8 ms on the bench machine, most of an API request (bench/README.md). On
# PostgreSQL it does not wait (the per-transaction setting, as a condition of the statement):
# only a crash of PostgreSQL itself can then forget the last fraction of a second of hits, a
# few attempts more let through once, never a refusal or an account's data. Inside a caller's
# transaction nothing changes: the setting would be the whole transaction's (shop/commits.py).


@dataclass(frozen=True)
class Throttle:
    scope: str
    limit: int
    window: int  # seconds

    def key(self, *parts: str) -> str:
        # Keyed hashes, one per part: emails and addresses need not sit in the table, and a
        # key's leading parts let `reset_all` find every key of an account.
        hashed = (salted_hmac("shop.throttle", part).hexdigest()[:32] for part in parts)
        return ":".join((self.scope, *hashed))

    def hit(self, *parts: str) -> int:
        """Count one attempt; returns the count in the current window, this one included.

        One statement, atomic on SQLite and PostgreSQL alike: the row is made at the first
        attempt, or one is added to it (its window reopened when closed), and the count it
        holds now is returned (the row is locked while the statement runs: the count is
        ours). No transaction around it, one round trip."""
        sql, params = self.hit_statement(*parts)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def hit_statement(
        self,
        *parts: str,
        found_in: tuple[str, list] | None = None,
        returning: tuple[str, list] = ("count", []),
    ) -> tuple[str, list]:
        """`hit`'s statement and its parameters, for a caller that runs it as part of its own
        work. With `found_in` (`FROM ... WHERE ...` and its parameters) the attempt is counted
        only when that finds one row, and the statement answers nothing otherwise; `returning`
        is what it answers (the count first; scalar subqueries there may read other tables):
        so one statement recognises a caller and counts its request (api.keys)."""
        moment = timezone.now()
        ops = connection.ops
        ends = ops.adapt_datetimefield_value(moment + timedelta(seconds=self.window))
        now = ops.adapt_datetimefield_value(moment)
        table = ops.quote_name(ThrottleCounter._meta.db_table)
        source, source_params = found_in or ("", [])
        answer, answer_params = returning
        # SQLite needs a WHERE in an INSERT ... SELECT ... ON CONFLICT (`found_in` has one).
        row = f"SELECT %s, 1, %s {source}" if found_in else "VALUES (%s, 1, %s)"
        if commits_alone():
            row = f"SELECT * FROM ({row}) AS hit WHERE {NO_FLUSH_WAIT_CONDITION}"
        sql = (
            f"INSERT INTO {table} (key, count, window_ends) {row} "
            f"ON CONFLICT (key) DO UPDATE SET "
            f"count = CASE WHEN {table}.window_ends > %s THEN {table}.count + 1 ELSE 1 END, "
            f"window_ends = CASE WHEN {table}.window_ends > %s "
            f"THEN {table}.window_ends ELSE %s END "
            f"RETURNING {answer}"
        )
        return sql, [self.key(*parts), ends, *source_params, now, now, ends, *answer_params]

    def undo(self, *parts: str) -> None:
        """Take back one attempt that turned out not to count (refused, or a success)."""
        take_back([self.key(*parts)])

    def count(self, *parts: str) -> int:
        row = ThrottleCounter.objects.filter(
            key=self.key(*parts), window_ends__gt=timezone.now()
        ).first()
        return row.count if row is not None else 0

    def blocked(self, *parts: str) -> bool:
        return self.count(*parts) >= self.limit

    def reset(self, *parts: str) -> None:
        ThrottleCounter.objects.filter(key=self.key(*parts)).delete()

    def reset_all(self, *leading_parts: str) -> None:
        """Forget every identity that starts with these parts (an account at every address)."""
        ThrottleCounter.objects.filter(key__startswith=self.key(*leading_parts) + ":").delete()


Check = tuple[Throttle, tuple[str, ...]]


@dataclass(frozen=True)
class Attempt:
    """One attempt let through, counted in each of its throttles."""

    checks: tuple[Check, ...]

    def undo(self) -> None:
        take_back([throttle.key(*parts) for throttle, parts in self.checks])


def take_back(keys: list[str]) -> None:
    """One attempt taken back from each counter of `keys` (each a different throttle's), none
    below zero.

    One plain statement whatever the number of keys (the ORM built an UPDATE per throttle on
    every found lookup and login), so one commit. It keeps that commit's flush wait: a
    take-back forgotten by a crash would count a success as a miss, and the module promises a
    crash never refuses anyone. On PostgreSQL its rows are locked in the keys' order first, so
    that two take-backs of the same counters at once wait for each other rather than each
    hold one row the other needs (a deadlock)."""
    table = connection.ops.quote_name(ThrottleCounter._meta.db_table)
    marks = ", ".join(["%s"] * len(keys))
    rows = f"key IN ({marks})"
    if connection.features.has_select_for_update and len(keys) > 1:
        rows = f"key IN (SELECT key FROM {table} WHERE {rows} ORDER BY key FOR UPDATE)"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET count = count - 1 WHERE {rows} AND count > 0", keys)


def admit(*checks: Check) -> Attempt | None:
    """Count one attempt in each throttle, in order; None when one of them is over its limit,
    and then the attempt counts nowhere (so what a refused attempt would have reached later,
    an account from everywhere, is not moved by attempts an address was refused)."""
    counted: list[Check] = []
    for throttle, parts in checks:
        counted.append((throttle, parts))
        if throttle.hit(*parts) > throttle.limit:
            Attempt(tuple(counted)).undo()
            logger.warning(
                "throttled: %s over %s in %s s", throttle.scope, throttle.limit, throttle.window
            )
            return None
    return Attempt(tuple(counted))


def purge_expired() -> int:
    """Delete the counters whose window closed (beat, every hour); returns how many."""
    deleted, _by_model = ThrottleCounter.objects.filter(window_ends__lte=timezone.now()).delete()
    return deleted


# --- the throttles ----------------------------------------------------------------------------

MINUTES_15 = 15 * 60
HOUR = 60 * 60

# Passwords checked: from one address whatever the accounts, for one account at one address,
# for one account from everywhere.
LOGIN_PER_ADDRESS = Throttle("login-address", limit=30, window=MINUTES_15)
LOGIN_PER_ACCOUNT_AT_ADDRESS = Throttle("login-account-address", limit=5, window=MINUTES_15)
LOGIN_PER_ACCOUNT = Throttle("login-account", limit=25, window=MINUTES_15)
# Guest lookups that found nothing: from one address, for one order number from everywhere.
LOOKUP_PER_ADDRESS = Throttle("lookup-address", limit=10, window=MINUTES_15)
LOOKUP_PER_ORDER = Throttle("lookup-order", limit=5, window=MINUTES_15)
# Signups and password resets asked (each sends an email): from one address, for one email.
SIGNUP_PER_ADDRESS = Throttle("signup-address", limit=10, window=HOUR)
SIGNUP_PER_EMAIL = Throttle("signup-email", limit=3, window=HOUR)
RESET_PER_ADDRESS = Throttle("reset-address", limit=20, window=HOUR)
RESET_PER_EMAIL = Throttle("reset-email", limit=3, window=HOUR)


def _email(email: str) -> str:
    return (email or "").strip().lower()


def login_attempt(email: str, address: str) -> Attempt | None:
    """May a password be checked for `email` from `address`? None: not now."""
    email = _email(email)
    return admit(
        (LOGIN_PER_ADDRESS, (address,)),
        (LOGIN_PER_ACCOUNT_AT_ADDRESS, (email, address)),
        (LOGIN_PER_ACCOUNT, (email,)),
    )


def login_succeeded(attempt: Attempt, email: str, address: str) -> None:
    """The password was right: the attempt was no failure, and the failures of this account at
    this address are forgotten."""
    attempt.undo()
    LOGIN_PER_ACCOUNT_AT_ADDRESS.reset(_email(email), address)


def login_unlock(email: str) -> None:
    """The owner chose a new password through the link sent to the account's address: the
    account's failures, at every address, are forgotten."""
    email = _email(email)
    LOGIN_PER_ACCOUNT.reset(email)
    LOGIN_PER_ACCOUNT_AT_ADDRESS.reset_all(email)


def lookup_attempt(order_number: str, address: str) -> Attempt | None:
    """May a guest try an order number with an email or postcode? Undo the attempt when the
    order is found: only misses count."""
    return admit(
        (LOOKUP_PER_ADDRESS, (address,)),
        (LOOKUP_PER_ORDER, (order_number.strip().upper(),)),
    )


def signup_attempt(email: str, address: str) -> Attempt | None:
    return admit((SIGNUP_PER_ADDRESS, (address,)), (SIGNUP_PER_EMAIL, (_email(email),)))


def password_reset_attempt(email: str, address: str) -> Attempt | None:
    return admit((RESET_PER_ADDRESS, (address,)), (RESET_PER_EMAIL, (_email(email),)))


# --- the client's address ---------------------------------------------------------------------


def client_address(request) -> str:
    """The address the request came from, as throttles count it.

    REMOTE_ADDR, unless settings.TRUSTED_PROXY_COUNT says that many proxies stand in front:
    then the address the outermost of them wrote, that many hops from the right of
    X-Forwarded-For (each proxy appends the address it received the request from, so the hops
    further left are whatever the client sent). An IPv6 address counts as its /64 network:
    one subscriber holds a whole /64.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    candidate = remote
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            # Fewer hops than proxies: the request skipped the outer ones; the leftmost hop is
            # still one a proxy wrote.
            candidate = hops[-trusted] if len(hops) >= trusted else hops[0]
    return _normalized(candidate) or _normalized(remote) or "unknown"


def _normalized(value: str) -> str:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:443
        value = value.split(":")[0]
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        # Not an address: what a trusted proxy wrote, counted as such (never a shared bucket).
        return value[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# --- what a person reads ----------------------------------------------------------------------

THROTTLED_LOGIN = _(
    "Too many failed attempts. For your security, logging in is paused for "
    "15 minutes. You can also reset your password."
)
THROTTLED_LOOKUP = _("Too many attempts. For your security, please wait 15 minutes and try again.")
THROTTLED_EMAILS = _(
    "Too many requests in a short time. For your security, please try again in an hour."
)


class LoginThrottleMixin:
    """Counts each password checked (per address, per account at that address, per account)
    and refuses to check one more past a limit: shared by the portal's and the back-office's
    login forms (Django's AuthenticationForm and its admin subclass)."""

    def clean(self):
        email = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password")
        if not (email and password):
            return super().clean()  # nothing is checked, nothing is counted
        address = client_address(self.request) if self.request is not None else "unknown"
        attempt = login_attempt(email, address)
        if attempt is None:
            raise forms.ValidationError(THROTTLED_LOGIN, code="throttled")
        cleaned = super().clean()  # a wrong password raises: the attempt stays counted
        login_succeeded(attempt, email, address)
        return cleaned
