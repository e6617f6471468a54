"""Backing up and restoring the database: `manage.py backup` and `manage.py restore`.

SQLite (the embedded default) is copied with SQLite's online backup API, page by page, while
the web server and the worker keep running (WAL mode): the copy is one consistent state.
PostgreSQL is dumped with `pg_dump --format=custom` and restored with `pg_restore --clean`
(in one transaction: a restore that fails changes nothing). Either way a backup is one file.
"""

import os
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _

SQLITE_HEADER = b"SQLite format 3\x00"
PGDUMP_HEADER = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


def engine_of(using: str = "default") -> str:
    if using not in connections.settings:
        raise BackupError(_("There is no database %(alias)s in the settings.") % {"alias": using})
    engine = connections[using].settings_dict["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return "sqlite"
    if engine == "django.db.backends.postgresql":
        return "postgresql"
    raise BackupError(_("No backup for the database engine %(engine)s.") % {"engine": engine})


def default_backup_path(using: str = "default") -> Path:
    """var/backups/<database>-<UTC date and time>.<sqlite3|pgdump>."""
    suffix = "sqlite3" if engine_of(using) == "sqlite" else "pgdump"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%SZ")
    return Path(settings.VAR_DIR) / "backups" / f"{using}-{stamp}.{suffix}"


def backup_database(output: Path, using: str = "default") -> Path:
    """Write a consistent copy of the database `using` to `output` (refusing to overwrite)."""
    output = Path(output)
    engine_of(using)
    if output.exists():
        raise BackupError(_("%(file)s exists already: choose another file.") % {"file": output})
    output.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed at the end: a backup that fails midway (disk full,
    # pg_dump killed) leaves no file that looks like a backup and would restore half a shop.
    partial = output.with_name(f".{output.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if engine_of(using) == "sqlite":
            _sqlite_backup(partial, using)
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(partial)], using)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output


def verify_backup(source: Path, using: str = "default") -> None:
    """Refuse (BackupError) a file that is not a backup for the database `using`."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(_("%(file)s is not a file.") % {"file": source})
    with source.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if engine_of(using) == "sqlite":
        if not header.startswith(SQLITE_HEADER):
            raise BackupError(_("%(file)s is not an SQLite backup.") % {"file": source})
    elif not header.startswith(PGDUMP_HEADER):
        raise BackupError(
            _("%(file)s is not a pg_dump backup (--format=custom).") % {"file": source}
        )


def restore_database(source: Path, using: str = "default") -> None:
    """Replace the whole database `using` with the backup `source`."""
    source = Path(source)
    verify_backup(source, using)
    connections[using].close()
    if engine_of(using) == "sqlite":
        _sqlite_restore(source, using)
    else:
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"],
            using,
            source=source,
        )


def describe_database(using: str = "default") -> str:
    """The database's name, as an operator recognises it (never its password)."""
    conf = connections[using].settings_dict
    if engine_of(using) == "sqlite":
        return f"SQLite {conf['NAME']}"
    return f"PostgreSQL {conf.get('NAME')} on {conf.get('HOST') or 'localhost'}"


def _sqlite_backup(output: Path, using: str) -> None:
    connection = connections[using]
    connection.ensure_connection()
    target = sqlite3.connect(output)
    try:
        with target:
            connection.connection.backup(target)
    finally:
        target.close()


def _sqlite_restore(source: Path, using: str) -> None:
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        (verdict,) = backup.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise BackupError(
                _("%(file)s is damaged: %(error)s") % {"file": source, "error": verdict}
            )
        connection = connections[using]
        connection.ensure_connection()
        backup.backup(connection.connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(
            _("%(file)s could not be read: %(error)s") % {"file": source, "error": error}
        ) from error
    finally:
        backup.close()
        connections[using].close()


def _run(command: list[str], using: str, source: Path | None = None) -> None:
    conf = connections[using].settings_dict
    env = {**os.environ}
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if conf.get(key):
            command += [option, str(conf[key])]
    command += ["--dbname", str(conf["NAME"])]
    if source is not None:
        command.append(str(source))
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as error:
        raise BackupError(
            _("%(tool)s is not installed (the PostgreSQL client tools are needed).")
            % {"tool": command[0]}
        ) from error
    if result.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s") % {"tool": command[0], "error": result.stderr.strip()}
        )
