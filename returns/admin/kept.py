"""The big lists' rows kept by their values as the database answered them.

A list's page is mostly the rows of its last request (staff reload a list, page back and forth):
making their instances and writing their cells again was most of a page's CPU. A row is kept
with what it shows, by its values (every column its query reads) and what its cells are
written in (the language, the time zone, the URL prefix): the same values give the same
instance and cells, and a row whose data changed is another key, never a stale one. The kept
instances are only read by the lists (nothing saves them).
"""

from collections.abc import Callable
from typing import Any

from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.translation import get_language


class KeptRows:
    """The rows of one list, at most `size` (emptied when full). A kept overview row weighs
    about 13 kB (its instances, its columns' JSON, its cells), an order's about 5 kB: 300, six
    pages of 50, add at most 4 and 1.5 MB to a worker."""

    def __init__(self, size: int = 300) -> None:
        self.size = size
        self.rows: dict[tuple, Any] = {}

    def page(
        self,
        fetched: list[tuple[Any, ...]],
        make: Callable[[list[tuple[Any, ...]]], list[Any]],
        prepare: Callable[[list[Any]], list[Any]] = lambda rows: rows,
    ) -> list[Any]:
        """The instances of the rows `fetched` (their values), in their order: those kept,
        and those `make` makes of the others, passed through `prepare` (their states
        computed) and kept, each with an empty dict `kept_cells` for what it shows."""
        context = (get_language(), timezone.get_current_timezone_name(), get_script_prefix())
        keys = [(context, raw) for raw in fetched]
        known = {key: self.rows.get(key) for key in keys}
        unknown = [raw for raw, key in zip(fetched, keys, strict=True) if known[key] is None]
        made = prepare(make(unknown)) if unknown else []
        for obj in made:
            obj.kept_cells = {}
        fresh = iter(made)
        return [known[key] or self._keep(key, next(fresh)) for key in keys]

    def _keep(self, key: tuple, obj: Any) -> Any:
        if len(self.rows) >= self.size:
            self.rows.clear()
        self.rows[key] = obj
        return obj

    def clear(self) -> None:
        self.rows.clear()


def kept_string(obj: Any, signature: Any, write: Callable[..., str], *args: Any) -> str:
    """`write(*args)` for a kept row `obj` (see KeptRows), kept with it for `signature` (what the
    string depends on beyond the row: its link, its columns, its age): written again when the
    signature changes. A row not kept is written each time."""
    kept = getattr(obj, "kept_cells", None)
    if kept is None:
        return write(*args)
    last = kept.get(None)
    if last is None or last[0] != signature:
        last = kept[None] = (signature, write(*args))
    return last[1]
