"""manage.py tracking_import FILE [--apply]: record the tracking events of a file a carrier sent
(each event once: importing a file twice records nothing more). Without --apply, a dry run: the
same recording in a transaction rolled back at the end, so it counts exactly what --apply would
do and changes nothing (no row, no email: those wait for a commit that never comes)."""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from returns.carriers import TrackingPayloadError, UnknownCarrierError, get_carrier
from returns.services.tracking import tracking_events_record

PROGRESS_FROM = 200  # events


class Command(BaseCommand):
    help = (
        "Record the tracking events of a carrier's file (the carrier's format: for the "
        "offline carrier, JSON like its webhook or CSV with the same columns). Without "
        "--apply, a dry run: it says what would be recorded and changes nothing. Each event is "
        "recorded in its own transaction: a run stopped half-way is finished by running it again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply",
            action="store_true",
            help="record the events (without it: a dry run that changes nothing)",
        )
        parser.add_argument("file", help="the carrier's file; - reads standard input (JSON)")
        parser.add_argument(
            "--carrier", default=None, help="the carrier's code (default: RETURN_DEFAULT_CARRIER)"
        )

    def handle(self, *args, file, carrier, apply, **options):
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
            summary = self._record(carrier.code, events, bar.update, apply=apply)
        self.stdout.write(
            f"{len(events)} event(s) read: {summary.recorded} recorded "
            f"({summary.moved} moved a return), {summary.duplicates} already recorded, "
            f"{summary.unknown} with an unknown tracking number (ignored)."
        )
        for event_id, why in summary.rejected.items():
            self.stderr.write(f"event {event_id} rejected: {why} (nothing recorded of it).")
        if not apply:
            self.stdout.write("(dry run: nothing changed; --apply to record them)")

    @staticmethod
    def _record(carrier: str, events, progress, *, apply: bool):
        if apply:
            return tracking_events_record(carrier=carrier, events=events, progress=progress)
        with transaction.atomic():
            summary = tracking_events_record(carrier=carrier, events=events, progress=progress)
            transaction.set_rollback(True)
        return summary
