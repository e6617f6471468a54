"""The demo shop: customers, orders and staff (shop/demo.py), then returns in every status and
return rules. It lives in the returns app because it seeds both: shop knows nothing of returns.

Its logins and passwords are in the README, so it refuses a production database
(settings.PRODUCTION) unless --force; production then refuses to start while they exist
(config.E003)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from returns.demo.returns import seed_returns
from returns.demo.rules import seed_rules
from shop.demo import seed_shop


class Command(BaseCommand):
    help = "Create demo data for a clothing shop (idempotent: running it again changes nothing)."
    # Its own refusal below says why; the production checks would refuse a second run (E003).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
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
        logins = seed_shop()
        seed_returns(stdout=self.stdout)
        seed_rules(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("Back-office (staff):  {} / {}".format(*logins["staff"]))
        for email, password, role in logins["roles"]:
            self.stdout.write(f"Staff ({role}):".ljust(22) + f"{email} / {password}")
        for email, password in logins["customers"]:
            self.stdout.write(f"Customer:             {email} / {password}")
