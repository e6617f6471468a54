"""manage.py analytics_refresh: rebuild the analytics page's daily figures of a range of days
(insights.daily.refresh_days), in one transaction; a dry run by default."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from insights.daily import days_with_data, refresh_days
from insights.periods import PeriodError, period_of


class Command(BaseCommand):
    help = (
        "Rebuild the analytics page's daily figures (returned and sold units, refunds, store "
        "credit, days to refund, refund modes) for the returns requested and the orders placed "
        "between two dates, both included, in one transaction: a failure leaves the previous "
        "figures whole. Beat refreshes the recent days every 15 minutes; use this after a "
        "correction of older data or to fill the table. Without --apply, a dry run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first day, YYYY-MM-DD")
        parser.add_argument("--until", help="last day (included), YYYY-MM-DD")
        parser.add_argument(
            "--all",
            action="store_true",
            help="every day from the first order or return to today (instead of --since/--until)",
        )
        parser.add_argument(
            "--apply",
            action="store_true",
            help="rebuild them (without it: a dry run that says what it would rebuild)",
        )

    def handle(self, *args, since, until, apply, **options):
        if options["all"]:
            if since or until:
                raise CommandError("--all takes no --since or --until.", returncode=2)
            whole = days_with_data()
            if whole is None:
                self.stdout.write("No order and no return: no figure to rebuild.")
                return
            since, until = (day.isoformat() for day in whole)
        elif not (since and until):
            raise CommandError("Give --since and --until, or --all.", returncode=2)
        try:
            period = period_of(since, until)
        except PeriodError as error:
            raise CommandError(str(error), returncode=2) from None
        days = (period.until - period.since).days + 1
        if not apply:
            self.stdout.write(
                f"{days} day(s) from {period.since} to {period.until} would be rebuilt "
                "(dry run: nothing changed; --apply to rebuild them)."
            )
            return
        with tqdm(total=days, unit="day", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
            done = refresh_days(period.since, period.until, progress=bar.update)
        self.stdout.write(
            f"{done.days} day(s) from {period.since} to {period.until} rebuilt: {done.rows} rows."
        )
