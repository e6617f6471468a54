"""What the outside world may send us: the limits every surface applies to input before it
reaches a form, a service or the database.

- Text never carries a NUL byte (PostgreSQL refuses it in any text column) nor a lone UTF-16
  surrogate (it cannot be encoded to UTF-8): `unsafe_text` says which is there.
- JSON bodies are at most MAX_JSON_DEPTH arrays or objects deep: `json_depth_exceeded` counts
  without parsing (a deep body makes the parser itself recurse until it fails), and `load_json`
  parses only what passes.
- A datetime someone else gave us is within what Python and both databases can represent, in
  UTC and in any local time zone: `datetime_out_of_range`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

# Arrays or objects inside one another: our payloads need 3; providers' a handful more.
MAX_JSON_DEPTH = 32

# A string (with its escapes) or a bracket: strings are skipped whole, so a "[" inside one is
# not counted.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")

# Local times are at most 14 hours away from UTC: a datetime closer than a day to Python's
# limits cannot be shown in every time zone.
_MARGIN = timedelta(days=1)
EARLIEST = datetime.min.replace(tzinfo=UTC) + _MARGIN
LATEST = datetime.max.replace(tzinfo=UTC) - _MARGIN


def unsafe_text(value: str) -> str | None:
    """Why `value` cannot be stored as text (a NUL byte, a lone surrogate), or None."""
    if "\x00" in value:
        return "a NUL byte"
    if _SURROGATE.search(value):
        return "an unpaired surrogate"
    return None


def json_depth_exceeded(payload: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `payload` (JSON or not) nests arrays and objects deeper than `limit`."""
    depth = 0
    for match in _JSON_TOKENS.finditer(payload):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def load_json(payload: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of `payload`; ValueError when it is not UTF-8 JSON or nests deeper than
    `max_depth`."""
    if json_depth_exceeded(payload, max_depth):
        raise ValueError(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(payload.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # undecodable, malformed, a 5,000-digit number
        raise ValueError(f"not JSON: {exc}") from exc


def datetime_out_of_range(value: datetime) -> bool:
    """Whether an aware `value` is too close to the limits of datetimes to be stored, read back
    and shown in every time zone."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        return True
    return not EARLIEST <= utc <= LATEST
