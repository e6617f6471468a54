"""The demo shop: customers, orders and staff (shop/demo.py), then returns in every status and
return rules. It lives in the returns app because it seeds both: shop knows nothing of returns."""

from django.core.management.base import BaseCommand

from returns.demo.returns import seed_returns
from returns.demo.rules import seed_rules
from shop.demo import seed_shop


class Command(BaseCommand):
    help = "Create demo data for a clothing shop (idempotent: running it again changes nothing)."

    def handle(self, *args, **options):
        logins = seed_shop()
        seed_returns(stdout=self.stdout)
        seed_rules(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("Back-office (staff):  {} / {}".format(*logins["staff"]))
        for email, password, role in logins["roles"]:
            self.stdout.write(f"Staff ({role}):".ljust(22) + f"{email} / {password}")
        for email, password in logins["customers"]:
            self.stdout.write(f"Customer:             {email} / {password}")
