from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = _("Refunds")

    def ready(self) -> None:
        from refunds.quotes import Quote
        from returns.events import register_quote_summariser

        # A refund's timeline event freezes its quote; it is summarised when read, in the
        # reader's language (returns/events.py).
        register_quote_summariser(lambda data: Quote.from_json(data).summary())

        from django.db.models.signals import post_save

        from refunds.automatic import refund_after_receipt
        from returns.models import ReturnEvent

        # A return received and inspected may be refunded without a click (ShopSettings), once
        # its receipt commits: the returns app does not know refunds' services.
        post_save.connect(refund_after_receipt, sender=ReturnEvent, dispatch_uid="auto-refund")
