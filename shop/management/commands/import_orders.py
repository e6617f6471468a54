import sys

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.db import transaction
from tqdm import tqdm

from shop.importing import FORMATS, ImportFileError, import_orders


class Command(BaseCommand):
    help = (
        "Import orders from a storefront's CSV or JSON export, or from Shopify's or "
        "WooCommerce's own order export with --format (see the README). "
        "All or nothing: a bad row is reported with its line number and nothing is written. "
        "Without --apply, a dry run: the file is checked and imported inside a transaction "
        "that is rolled back, so it says what would change and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to a .csv or .json file")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="ours",
            help="ours (default: our CSV or JSON, by extension), shopify (Shopify's orders "
            "export CSV) or woocommerce (WooCommerce's order CSV export, one row per item)",
        )
        parser.add_argument(
            "--apply",
            action="store_true",
            help="write the orders (without it: a dry run that changes nothing)",
        )

    # The command speaks English, its refusals from shop.orders included.
    @no_translations
    def handle(self, *args, file, format, apply, **options):
        def progress(groups):
            # disable=None: a bar on a terminal, silence in logs and pipes.
            return tqdm(groups, desc="orders", unit="order", disable=None, file=sys.stderr)

        try:
            # The dry run does the whole import, then rolls it back: its counts are exact.
            with transaction.atomic():
                result = import_orders(file, progress=progress, file_format=format)
                if not apply:
                    transaction.set_rollback(True)
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}") from None
        except ImportFileError as error:
            for where, message in error.errors:
                self.stderr.write(f"{file}, {where}: {message}")
            raise CommandError(f"{len(error.errors)} bad row(s): nothing was imported") from None
        counts = result.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"orders: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged; stock movements: {result.stock_movements}"
            )
        )
        if not apply:
            self.stdout.write("(dry run: nothing changed; --apply to import)")
