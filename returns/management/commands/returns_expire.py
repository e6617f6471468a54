"""manage.py returns_expire: list (dry run, the default) or expire (--apply) the approved returns
whose parcel never moved within the shop's expiry days."""

import sys

from django.core.management.base import BaseCommand
from django.utils import timezone
from tqdm import tqdm

from returns.services.expiry import returns_expire_due

PROGRESS_FROM = 50  # rows: below this a progress bar is noise


class Command(BaseCommand):
    help = (
        "List the approved returns with no parcel movement after the shop's expiry days; "
        "with --apply, expire them (their label is cancelled, the customer is told)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply",
            action="store_true",
            help="expire them (without it: a dry run that only lists them)",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="days after the approval (default: the shop's setting)",
        )

    def handle(self, *args, apply, days, **options):
        if days is not None and days < 1:
            self.stderr.write("--days must be at least 1")
            sys.exit(2)
        bar = None
        if apply:
            preview = returns_expire_due(apply=False, days=days)
            if len(preview.due) >= PROGRESS_FROM:
                bar = tqdm(
                    total=len(preview.due),
                    unit="return",
                    file=sys.stderr,
                    disable=not sys.stderr.isatty(),
                )
        run = returns_expire_due(
            apply=apply, days=days, progress=bar.update if bar is not None else None
        )
        if bar is not None:
            bar.close()
        if not run.days:
            self.stdout.write("Expiry is off (the shop's expiry days is 0).")
            return
        now = timezone.now()
        if not apply:
            for ret in run.due:
                age = (now - ret.status_changed_at).days
                self.stdout.write(
                    f"{ret.rma_number}  order {ret.order.number}  approved "
                    f"{timezone.localtime(ret.status_changed_at):%Y-%m-%d} "
                    f"({age} days)"
                )
            self.stdout.write(
                f"{len(run.due)} return(s) would expire after {run.days} days "
                "(dry run: nothing changed; --apply to expire them)."
            )
            return
        for ret in run.expired:
            self.stdout.write(f"expired {ret.rma_number}")
        for ret, why in run.skipped:
            self.stderr.write(self.style.WARNING(f"skipped {ret.rma_number}: {why}"))
        self.stdout.write(f"{len(run.expired)} return(s) expired, {len(run.skipped)} skipped.")
