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


# Ids are 64-bit integers on SQLite and PostgreSQL: a longer number fails the query itself
# (SQLite: OverflowError; PostgreSQL: "out of range"), a 500 where the choice is just invalid.
MAX_ID = 2**63 - 1


def id_out_of_range(value: object) -> bool:
    """Whether `value` reads as an integer no id column can hold."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return False
    return not -MAX_ID - 1 <= number <= MAX_ID


def guard_model_choice_ids() -> None:
    """Make every form's choice of a row by integer id refuse an id out of range as an invalid
    choice (a form error), as it already refuses "abc". Django's ModelChoiceField and
    ModelMultipleChoiceField catch a ValueError, not the overflow: patched once at start
    (shop.apps), so every form of the admin, the portal and the API is covered, not one by one.
    """
    from django.core.exceptions import ValidationError
    from django.db import models
    from django.forms import models as form_models

    if getattr(form_models.ModelChoiceField, "_ids_guarded", False):
        return

    def integer_key(field: Any) -> bool:
        meta = field.queryset.model._meta
        key = meta.get_field(field.to_field_name) if field.to_field_name else meta.pk
        return isinstance(key, models.IntegerField | models.AutoField)

    def refuse(field: Any, value: object) -> None:
        raise ValidationError(
            field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )

    to_python = form_models.ModelChoiceField.to_python
    check_values = form_models.ModelMultipleChoiceField._check_values  # type: ignore[attr-defined]

    def guarded_to_python(self: Any, value: Any) -> Any:
        if value not in self.empty_values and integer_key(self) and id_out_of_range(value):
            refuse(self, value)
        return to_python(self, value)

    def guarded_check_values(self: Any, value: Any) -> Any:
        if integer_key(self):
            for item in value or ():
                if id_out_of_range(item):
                    refuse(self, item)
        return check_values(self, value)

    form_models.ModelChoiceField.to_python = guarded_to_python  # type: ignore[method-assign]
    form_models.ModelMultipleChoiceField._check_values = guarded_check_values  # type: ignore[attr-defined]
    form_models.ModelChoiceField._ids_guarded = True  # type: ignore[attr-defined]
