"""Rows are locked in one place only: returns/locks.py, where the one lock order is written
(with shop/locks.py and notifications/locks.py for those apps' own rows). A select_for_update
anywhere else is a lock taken outside that order, the start of a deadlock."""

import ast
from pathlib import Path

from django.conf import settings

LOCK_MODULES = {Path("returns/locks.py"), Path("shop/locks.py"), Path("notifications/locks.py")}
NOT_THE_PROJECT = {".venv", "var", "node_modules", ".git"}


def project_sources():
    base = Path(settings.BASE_DIR)
    for path in sorted(base.rglob("*.py")):
        relative = path.relative_to(base)
        if not NOT_THE_PROJECT & set(relative.parts):
            yield relative, path


def locks_in(path: Path) -> list[int]:
    """The lines of `path` that call select_for_update (comments and strings do not count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "select_for_update"
    ]


def test_rows_are_locked_only_in_the_locks_modules():
    # given / when
    found = {
        f"{relative}:{line}"
        for relative, path in project_sources()
        if relative not in LOCK_MODULES
        for line in locks_in(path)
    }
    # then
    assert found == set(), "lock rows through returns/locks.py, in its order"


def test_the_scan_finds_the_locks_it_is_about():
    # given / when
    found = {relative: locks_in(path) for relative, path in project_sources()}
    # then: it sees the locks that are there, and it reads the services
    assert all(found[module] for module in LOCK_MODULES)
    assert Path("refunds/services.py") in found
