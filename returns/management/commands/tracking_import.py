"""manage.py tracking_import FILE: record the tracking events of a file a carrier sent
(each event once: importing a file twice records nothing more)."""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from returns.carriers import TrackingPayloadError, UnknownCarrierError, get_carrier
from returns.services.tracking import tracking_events_record

PROGRESS_FROM = 200  # events


class Command(BaseCommand):
    help = (
        "Record the tracking events of a carrier's file (the carrier's format: for the "
        "offline carrier, JSON like its webhook or CSV with the same columns)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the carrier's file; - reads standard input (JSON)")
        parser.add_argument(
            "--carrier", default=None, help="the carrier's code (default: RETURN_DEFAULT_CARRIER)"
        )

    def handle(self, *args, file, carrier, **options):
        try:
            carrier = get_carrier(carrier or settings.RETURN_DEFAULT_CARRIER)
        except UnknownCarrierError as exc:
            raise CommandError(str(exc)) from exc
        try:
            data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            events = carrier.parse_tracking_file(data, filename=file)
        except TrackingPayloadError as exc:
            raise CommandError(f"{file}: {exc} (nothing was recorded)") from exc
        with tqdm(
            total=len(events),
            unit="event",
            file=sys.stderr,
            disable=len(events) < PROGRESS_FROM or not sys.stderr.isatty(),
        ) as bar:
            summary = tracking_events_record(
                carrier=carrier.code, events=events, progress=bar.update
            )
        self.stdout.write(
            f"{len(events)} event(s) read: {summary.recorded} recorded "
            f"({summary.moved} moved a return), {summary.duplicates} already recorded, "
            f"{summary.unknown} with an unknown tracking number (ignored)."
        )
        for event_id, why in summary.rejected.items():
            self.stderr.write(f"event {event_id} rejected: {why} (nothing recorded of it).")
