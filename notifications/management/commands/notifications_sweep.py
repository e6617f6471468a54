from django.core.management.base import BaseCommand, CommandError

from notifications import tasks
from notifications.delivery import notifications_sweep, notifications_sweep_preview
from notifications.webhook_delivery import webhooks_sweep


class Command(BaseCommand):
    help = (
        "Hand queued notifications the broker lost (or never got) to it again, and take "
        "back the ones stuck in 'sending' because their worker died. Without --apply, a dry "
        "run: it counts them and changes nothing (beat's sweep task always applies)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply",
            action="store_true",
            help="requeue and publish them (without it: a dry run that only counts them)",
        )
        parser.add_argument(
            "--stuck-after",
            type=float,
            default=None,
            help="seconds in 'sending' after which a row counts as stuck "
            "(default: NOTIFICATIONS_STUCK_AFTER_SECONDS)",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=None,
            help="seconds a queued row may wait past its time before it is published again "
            "(default: NOTIFICATIONS_SWEEP_GRACE_SECONDS)",
        )

    def handle(self, *args, apply, stuck_after, grace, **options):
        for name, value in (("--stuck-after", stuck_after), ("--grace", grace)):
            if value is not None and value < 0:
                raise CommandError(f"{name} is a number of seconds: 0 or more")
        if not apply:
            preview = notifications_sweep_preview(stuck_after=stuck_after, grace=grace)
            self.stdout.write(
                f"stuck in sending, would be requeued: {preview.stuck_to_requeue}\n"
                f"stuck in sending, out of attempts, would fail: {preview.stuck_to_fail}\n"
                f"queued past the grace, would be published: {preview.to_publish}\n"
                "(dry run: nothing changed; --apply to sweep, webhook deliveries included)"
            )
            return
        result = notifications_sweep(
            publish=tasks.publish_send, stuck_after=stuck_after, grace=grace
        )
        self.stdout.write(
            f"stuck in sending, requeued: {result.requeued_stuck}\n"
            f"  of which handed to the provider before the worker stopped (may be sent twice, "
            f"with the same Message-ID): {result.requeued_uncertain}\n"
            f"stuck in sending, out of attempts, failed: {result.failed_stuck}\n"
            f"published to the broker: {result.published}\n"
            f"not published (broker unavailable): {result.unpublished}"
        )
        hooks = webhooks_sweep(publish=tasks.publish_webhook, stuck_after=stuck_after, grace=grace)
        self.stdout.write(
            f"webhook deliveries stuck in sending, requeued: {hooks.requeued_stuck}\n"
            f"webhook deliveries stuck in sending, out of attempts, failed: {hooks.failed_stuck}\n"
            f"webhook deliveries published to the broker: {hooks.published}"
        )
        if result.unpublished:
            self.stderr.write(
                self.style.WARNING(
                    "The broker is unavailable: run the sweep again once it is back."
                )
            )
