"""manage.py restore FILE [--force]: replace the whole database with a `manage.py backup` file.

It asks first (type "yes"), or needs --force when nothing can answer (a script, CI)."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shop.backups import BackupError, describe_database, restore_database, verify_backup


class Command(BaseCommand):
    help = (
        "Replace the whole database with a backup made by `manage.py backup`. Stop the web "
        "server and the worker first. Asks for confirmation unless --force."
    )
    requires_system_checks: list[str] = []
    # Tests answer the question through call_command(..., stdin=StringIO("yes\n")).
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file (.sqlite3 or .pgdump).")
        parser.add_argument(
            "--force", action="store_true", help="Do not ask: replace the database at once."
        )
        parser.add_argument("--database", default="default", help="The database alias.")

    def handle(self, *args, **options):
        using = options["database"]
        try:
            target = describe_database(using)
            verify_backup(options["file"], using=using)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if not options["force"]:
            self._confirm(options.get("stdin") or sys.stdin, target, options["file"])
        try:
            restore_database(options["file"], using=using)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Restored %(database)s from %(file)s. Run `manage.py migrate` if the "
                    "backup is older than the code."
                )
                % {"database": target, "file": options["file"]}
            )
        )

    def _confirm(self, stdin, target: str, file: str) -> None:
        self.stdout.write(
            _(
                "This replaces everything in %(database)s with %(file)s: what was written "
                "since that backup is lost. Type yes to continue: "
            )
            % {"database": target, "file": file},
            ending="",
        )
        self.stdout.flush()
        answer = stdin.readline().strip().lower()
        if answer not in ("yes", "oui"):
            raise CommandError(_("Restore cancelled: the database is unchanged."))
