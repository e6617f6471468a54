from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, no_translations

from shop.links import password_reset_link
from shop.staff import ROLE_OPTIONS, StaffError, staff_plan, staff_upsert

DONE = {"create": "created", "update": "updated", "unchanged": "unchanged"}


class Command(BaseCommand):
    help = (
        "Create or update a staff account in one role's group: agent (processes returns), "
        "refunds (refunds, store credit, completing returns) or admin (the shop's settings, "
        "reasons, rules, email templates). Running it again with another role moves the account "
        "to that role. Prints what it would do and changes nothing unless --apply is given; "
        "with --apply it prints a one-time link (valid for PASSWORD_RESET_TIMEOUT, on SITE_URL) "
        "where the person chooses their password. A customer's account is never made staff."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the staff member's email address (their login)")
        # Checked by staff_plan, not argparse `choices`, so that a bad role has the same clear
        # message and exit code as a bad address.
        parser.add_argument(
            "--role", required=True, help=f"one of: {', '.join(ROLE_OPTIONS)}", metavar="ROLE"
        )
        parser.add_argument(
            "--apply", action="store_true", help="write the change (default: a dry run)"
        )

    @no_translations
    def handle(self, *args, email, role, apply, **options):
        try:
            plan = staff_plan(email, role)
        except StaffError as error:
            raise CommandError(str(error)) from None
        changes = "; ".join(plan.changes) or "nothing to change"
        if not apply:
            self.stdout.write(f"dry run, {plan.email}: {changes}. Add --apply to write.")
            return
        user = staff_upsert(plan)
        self.stdout.write(self.style.SUCCESS(f"{plan.email}: {DONE[plan.outcome]} ({changes})"))
        self.stdout.write(
            f"Password link (one use, valid {settings.PASSWORD_RESET_TIMEOUT // 3600} hours):"
        )
        self.stdout.write(password_reset_link(user))
