"""manage.py backup [--output FILE]: one file holding the whole database (shop/backups.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shop.backups import BackupError, backup_database, default_backup_path, describe_database


class Command(BaseCommand):
    help = (
        "Back up the database to one file (SQLite: online backup, the site may keep running; "
        "PostgreSQL: pg_dump --format=custom)."
    )
    # A backup is taken even when the production checks refuse to start the site.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help="The backup file to write (default: var/backups/default-<date>.<sqlite3|pgdump>).",
        )
        parser.add_argument("--database", default="default", help="The database alias.")

    def handle(self, *args, **options):
        using = options["database"]
        try:
            output = options["output"] or default_backup_path(using)
            written = backup_database(output, using=using)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                _("Backed up %(database)s to %(file)s.")
                % {"database": describe_database(using), "file": written}
            )
        )
