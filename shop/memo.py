"""Per-process memos of the few rows every page reads: the brand of a host name (shop/brands.py)
and the shop's settings (`page_settings`); other apps keep theirs here too (the active return
rules, returns.rules.page_rules). A query a request each, for rows staff change a few times a
year.

Never stale in the process that changed them: a save or a delete of a Brand or of ShopSettings
empties the memos at once (apps.ShopConfig connects the signals). At most `MEMO_SECONDS` stale
in another process (another web worker, the Celery worker): each value is read again once that
old. Waiting for the expiry too: a bulk `update()` (no signal), and a change rolled back after
its transaction read the row again (the memo then holds the uncommitted row). No on_commit
hook: the outbox's tests and code count the callbacks a change registers.

Pages read through the memo; the services read the row itself (ShopSettings.load) when they
decide, so a decision is never taken on a value a few seconds old.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from shop.models import ShopSettings

MEMO_SECONDS = 5.0
# More keys than any shop has brands' host names: a flood of odd Host headers cannot grow it.
MAX_KEYS = 256

T = TypeVar("T")

_MEMOS: list[ProcessMemo] = []


class ProcessMemo(Generic[T]):
    """Values by key, each kept `seconds` (by `clock`, a monotonic one: a test sets its own)."""

    def __init__(self, seconds: float = MEMO_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._values: dict[Hashable, tuple[float, T]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        # Every memo is emptied by clear_all (the tests' fixtures, between two tests).
        _MEMOS.append(self)

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The value kept for `key` while fresh, else `read()`'s (None is a value too)."""
        now = self.clock()
        kept = self._values.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        generation = self._generation
        value = read()
        with self._lock:
            # Emptied while we read: what we read may be the row before the change, not kept.
            if generation == self._generation:
                if len(self._values) >= MAX_KEYS:
                    self._values.clear()
                self._values[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._values.clear()


BRANDS: ProcessMemo = ProcessMemo()
SETTINGS: ProcessMemo[ShopSettings] = ProcessMemo()


def page_settings() -> ShopSettings:
    """The shop's settings as pages show them (at most MEMO_SECONDS old from another process)."""
    return SETTINGS.get("settings", ShopSettings.load)


def forget(**_signal) -> None:
    """A brand or the settings changed (a signal receiver): empty the memos."""
    clear_all()


def clear_all() -> None:
    """Empty every memo of the process, other apps' too."""
    for kept in _MEMOS:
        kept.clear()
