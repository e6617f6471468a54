"""Load data for the benchmarks (returns/demo/load.py): N returns with their orders, customers,
events, emails, labels and refunds, written with COPY on PostgreSQL.

It refuses a database that already has orders, customers or returns unless --append (the
benchmarks' databases are throwaway ones; a shop's own data would be buried under made-up
rows), and a production database (DEBUG=false) unless --force. Like every command that
changes data, it only says what it would do unless --apply."""

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from returns.demo.load import generate, has_data


class Command(BaseCommand):
    help = (
        "Generate N returns of load data for the benchmarks (COPY on PostgreSQL), with their "
        "orders, customers, events, emails, labels and refunds. Without --apply, a dry run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--returns", type=int, required=True, help="How many returns to add.")
        parser.add_argument(
            "--apply", action="store_true", help="Write them (without it: a dry run)."
        )
        parser.add_argument(
            "--append", action="store_true", help="Add to a database that already has data."
        )
        parser.add_argument(
            "--force", action="store_true", help="Load even a production database (DEBUG=false)."
        )
        parser.add_argument("--seed", type=int, default=20261202, help="Random seed.")

    def handle(self, *args, **options):
        count = options["returns"]
        if count < 1:
            raise CommandError(_("--returns must be at least 1. Nothing was created."))
        if settings.PRODUCTION and not options["force"]:
            raise CommandError(
                _(
                    "This is a production database (DEBUG=false): load data would mix made-up "
                    "orders and returns with the shop's. Nothing was created. Use --force to "
                    "load it anyway."
                )
            )
        if has_data() and not options["append"]:
            raise CommandError(
                _(
                    "This database already has orders, customers or returns. Nothing was "
                    "created. Use --append to add the load data to them."
                )
            )
        if not options["apply"]:
            self.stdout.write(
                _(
                    "Dry run: nothing was created. With --apply, %(count)s returns are added "
                    "with their orders, customers, events, emails, labels and refunds."
                )
                % {"count": f"{count:,}"}
            )
            return
        started = time.perf_counter()
        with tqdm(total=count, unit=" returns", disable=not sys.stdout.isatty()) as bar:
            generate(count, seed=options["seed"], progress=bar.update)
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                _("%(count)s returns generated in %(seconds).1f s.")
                % {"count": f"{count:,}", "seconds": seconds}
            )
        )
