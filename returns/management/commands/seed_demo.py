"""The demo shop: customers, orders and staff (shop/demo.py), then returns in every status and
return rules. It lives in the returns app because it seeds both: shop knows nothing of returns.

Its logins and passwords are in the README, so it refuses a production database
(settings.PRODUCTION) unless --force; production then refuses to start while they exist
(config.E003).

Like every command that changes data, it only says what it would create unless --apply: the dry
run seeds inside a transaction, counts the rows, and rolls everything back (the label and email
tasks registered with on_commit are dropped with it)."""

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from returns.demo.returns import seed_returns
from returns.demo.rules import seed_rules
from shop.demo import seed_shop


class Command(BaseCommand):
    help = (
        "Create demo data for a clothing shop: customers, orders, staff, returns in every status "
        "and return rules. Without --apply it only says what it would create. Idempotent: "
        "running it again changes nothing."
    )
    # Its own refusal below says why; the production checks would refuse a second run (E003).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply",
            action="store_true",
            help="Create the data (without it: a dry run that changes nothing).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even a production database (DEBUG=false): its demo logins are public.",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION and not options["force"]:
            raise CommandError(
                _(
                    "This is a production database (DEBUG=false): seed_demo would create "
                    "users whose passwords are published in the README. Nothing was created. "
                    "Use --force to seed it anyway."
                )
            )
        if not options["apply"]:
            self._dry_run()
            return
        logins = seed_shop()
        seed_returns(stdout=self.stdout)
        seed_rules(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("Back-office (staff):  {} / {}".format(*logins["staff"]))
        for email, password, role in logins["roles"]:
            self.stdout.write(f"Staff ({role}):".ljust(22) + f"{email} / {password}")
        for email, password in logins["customers"]:
            self.stdout.write(f"Customer:             {email} / {password}")

    def _dry_run(self) -> None:
        before = _row_counts()
        with transaction.atomic():
            seed_shop()
            seed_returns()
            seed_rules()
            after = _row_counts()
            transaction.set_rollback(True)
        added = {
            label: after[label] - before[label] for label in after if after[label] > before[label]
        }
        self.stdout.write(_("Dry run: nothing was created. seed_demo --apply would add:"))
        for label, count in sorted(added.items()):
            self.stdout.write(f"  {label}: {count}")
        if not added:
            self.stdout.write(_("  nothing: the demo data is there already."))


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in ("shop", "returns", "refunds", "notifications")
    }
