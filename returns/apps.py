from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = _("Returns")

    def ready(self):
        # The outbox asks returns for what its emails say (notifications imports nothing of it).
        from notifications import registry
        from returns import checks  # noqa: F401  (registers the system checks)
        from returns.notify import ReturnEmails

        registry.register(ReturnEmails())
        # Every change of a return logs one line, where its timeline event is written.
        from django.db.models.signals import post_save

        from returns.logs import log_return_event
        from returns.models import ReturnEvent

        post_save.connect(log_return_event, sender=ReturnEvent, dispatch_uid="returns.logs")
        _invalidate_policy_on_change()
        _forget_rules_on_change()
        _forget_filter_choices_on_change()


def _invalidate_policy_on_change():
    """The cached policy page is stale once anything it states changes (returns/policy_page.py)."""
    from django.db.models.signals import post_delete, post_save

    from returns.models import ReturnReason, ReturnRule, ShippingMethod
    from returns.policy_page import invalidate_policy
    from shop.models import Brand, ShopSettings

    for model in (ReturnRule, ReturnReason, ShippingMethod, ShopSettings, Brand):
        for signal in (post_save, post_delete):
            signal.connect(invalidate_policy, sender=model, dispatch_uid=f"policy-{model.__name__}")


def _forget_rules_on_change():
    """The pages' memo of the active rules (returns.rules.page_rules) holds each rule with its
    product, reason and shipping method: a change of any of them empties it in this process."""
    from django.db.models.signals import post_delete, post_save

    from returns.models import ReturnReason, ReturnRule, ShippingMethod
    from returns.rules import forget_rules
    from shop.models import Product

    for model in (ReturnRule, ReturnReason, ShippingMethod, Product):
        for signal in (post_save, post_delete):
            signal.connect(forget_rules, sender=model, dispatch_uid=f"rules-{model.__name__}")


def _forget_filter_choices_on_change():
    """The overview's memo of its filters' reasons and brands
    (returns.selectors.backoffice.filter_reasons, filter_brands): a change of either empties it
    in this process."""
    from django.db.models.signals import post_delete, post_save

    from returns.models import ReturnReason
    from returns.selectors.backoffice import forget_filter_choices
    from shop.models import Brand

    for model in (ReturnReason, Brand):
        for signal in (post_save, post_delete):
            signal.connect(
                forget_filter_choices, sender=model, dispatch_uid=f"filters-{model.__name__}"
            )
