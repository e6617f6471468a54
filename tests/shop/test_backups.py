"""manage.py backup and restore (shop/backups.py): a backup restored into an emptied database
gives back the same returns, refunds and stock; a restore asks first and refuses a bad file."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from refunds.models import Refund, StoreCreditMovement
from returns.models import Return, ReturnEvent, ReturnLine
from shop.models import Order, StockMovement, User, Variant

# Transactional: the backup reads committed pages. Not serialized_rollback: after another
# transactional test's flush, post_migrate has made the staff groups again, and loading the
# serialized ones then collides with them; the tests that need the data migrations' reasons
# and actions seed them (tests/fixtures/returns.py).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _data_migrations(reasons, actions):
    """The reasons and actions seed_demo uses, as the data migrations made them."""


MODELS = [Return, ReturnLine, ReturnEvent, Refund, StoreCreditMovement, StockMovement, Variant]


def _snapshot() -> dict[str, list[tuple]]:
    """Every row of the returns, refunds and stock, every field, in primary key order."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for model in (*MODELS, Order, User)
    }


def _seeded() -> dict[str, list[tuple]]:
    call_command("seed_demo", "--apply", verbosity=0)
    snapshot = _snapshot()
    assert len(snapshot["returns.Return"]) >= 8
    assert len(snapshot["refunds.Refund"]) >= 1
    assert len(snapshot["shop.StockMovement"]) >= 1
    return snapshot


def _restore(path, *args, answer: str | None = None):
    out = StringIO()
    options = {"stdout": out}
    if answer is not None:
        options["stdin"] = StringIO(answer)
    call_command("restore", str(path), *args, **options)
    return out.getvalue()


def test_backup_then_restore_into_an_emptied_database_gives_the_same_rows(tmp_path):
    # given: the demo shop backed up
    before = _seeded()
    backup = tmp_path / "shop.backup"
    call_command("backup", "--output", str(backup), stdout=StringIO())
    # and a fresh, empty database
    call_command("flush", "--noinput", verbosity=0)
    assert Return.objects.count() == 0
    assert Refund.objects.count() == 0
    # when
    out = _restore(backup, answer="yes\n")
    # then: every return, refund, stock movement and stock level is back, field for field
    assert _snapshot() == before
    assert "Restored" in out


@pytest.mark.postgres
def test_postgresql_backup_is_a_pg_dump_and_restores(tmp_path):
    # given
    assert connection.vendor == "postgresql"
    before = _seeded()
    backup = tmp_path / "shop.pgdump"
    call_command("backup", "--output", str(backup), stdout=StringIO())
    call_command("flush", "--noinput", verbosity=0)
    # when
    _restore(backup, "--force")
    # then
    assert backup.read_bytes()[:5] == b"PGDMP"
    assert _snapshot() == before


def test_restore_answered_no_changes_nothing(tmp_path):
    # given: a backup, then a refund deleted after it
    _seeded()
    backup = tmp_path / "shop.backup"
    call_command("backup", "--output", str(backup), stdout=StringIO())
    Refund.objects.filter(pk=Refund.objects.order_by("pk").first().pk).delete()
    after = _snapshot()
    # when
    with pytest.raises(CommandError, match="cancelled"):
        _restore(backup, answer="no\n")
    # then: the database is as it was, the refund still gone
    assert _snapshot() == after


def test_restore_with_nobody_to_answer_changes_nothing(tmp_path):
    # given
    _seeded()
    backup = tmp_path / "shop.backup"
    call_command("backup", "--output", str(backup), stdout=StringIO())
    Return.objects.filter(status="requested").update(staff_note="changed after the backup")
    after = _snapshot()
    # when: no --force and an empty standard input (a script, CI)
    with pytest.raises(CommandError, match="cancelled"):
        _restore(backup, answer="")
    # then
    assert _snapshot() == after


def test_restore_refuses_a_file_that_is_no_backup(tmp_path):
    # given
    before = _seeded()
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    # when
    with pytest.raises(CommandError, match=r"not an? (SQLite|pg_dump) backup"):
        _restore(bogus, "--force")
    # then
    assert _snapshot() == before


def test_backup_never_overwrites_a_file(tmp_path):
    # given
    existing = tmp_path / "precious.backup"
    existing.write_bytes(b"keep me")
    # when
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", "--output", str(existing), stdout=StringIO())
    # then
    assert existing.read_bytes() == b"keep me"


def test_backup_without_output_goes_under_var_backups(settings, tmp_path):
    # given
    settings.VAR_DIR = tmp_path
    # when
    out = StringIO()
    call_command("backup", stdout=out)
    # then
    (written,) = (tmp_path / "backups").iterdir()
    assert written.name.startswith("default-")
    assert str(written) in out.getvalue()


def test_a_backup_failing_midway_leaves_no_file(tmp_path, monkeypatch):
    """The copy fails after writing part of the file (a full disk, pg_dump killed): the
    operator finds no file at --output, and no partial file beside it, nothing that a later
    restore could take for a backup."""
    # given: the engine's copy writes half a backup, then fails as a full disk does
    import shop.backups

    def half_written(path, *args, **kwargs):
        Path(path).write_bytes(b"SQLite format 3\x00" + b"\x00" * 4096)
        raise shop.backups.BackupError("No space left on device")

    def pg_dump_half_written(command, *args, **kwargs):
        half_written(command[command.index("--file") + 1])

    monkeypatch.setattr(shop.backups, "_sqlite_backup", half_written)
    monkeypatch.setattr(shop.backups, "_run", pg_dump_half_written)
    output = tmp_path / "tonight.backup"
    # when
    with pytest.raises(CommandError, match="No space left on device"):
        call_command("backup", "--output", str(output), stdout=StringIO())
    # then
    assert list(tmp_path.iterdir()) == []


def test_backup_with_a_bad_database_alias_exits_with_an_error(tmp_path):
    # when
    with pytest.raises(CommandError, match="nope"):
        call_command("backup", "--output", str(tmp_path / "x"), "--database", "nope")
    # then
    assert list(tmp_path.iterdir()) == []
