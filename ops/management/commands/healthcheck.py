"""manage.py healthcheck [--only NAME ...]: one line per check, exit 1 on any problem."""

from django.core.management.base import BaseCommand, CommandError

from ops.health import CHECKS, healthy, run_checks


class Command(BaseCommand):
    help = (
        "Check the site's health: the database is reachable and migrated, the broker reachable, "
        "a worker answers a ping, beat's heartbeat is recent, no outbox waits too long, no "
        "notification failed in the last day (limits: HEALTH_* settings). One line per check; "
        "exits 1 when any check fails. Changes nothing."
    )
    # A health check must answer even when a system check would refuse to start the site.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            nargs="+",
            choices=list(CHECKS),
            metavar="CHECK",
            help=f"run only these checks (of: {', '.join(CHECKS)})",
        )

    def handle(self, *args, only, **options):
        results = run_checks(only)
        for result in results:
            mark = self.style.SUCCESS("ok  ") if result.ok else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {result.name}: {result.detail}")
        if not healthy(results):
            raise CommandError(
                f"{sum(not r.ok for r in results)} of {len(results)} check(s) failed",
                returncode=1,
            )
