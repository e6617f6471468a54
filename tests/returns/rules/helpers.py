"""Builders of return rules and shipping methods for the tests."""

from decimal import Decimal

from returns.models import ReturnRule, ShippingMethod

_position = iter(range(10, 100_000, 10))


def rule(action, *, name=None, position=None, **fields) -> ReturnRule:
    """A rule saved after the ones made before it (unless `position` says otherwise)."""
    for key in (
        "amount",
        "percent",
        "min_order_value",
        "max_order_value",
        "fee_min",
        "fee_max",
        "item_value_below",
    ):
        if key in fields and fields[key] is not None:
            fields[key] = Decimal(fields[key])
    if action == ReturnRule.Action.BLOCK:
        fields.setdefault("message_en", "This item cannot be returned.")
        fields.setdefault("message_fr", "Cet article ne peut pas être retourné.")
    made = ReturnRule(
        action=action,
        name=name or f"{action} rule",
        position=next(_position) if position is None else position,
        **fields,
    )
    made.full_clean()
    made.save()
    return made


def fee(amount, **conditions) -> ReturnRule:
    return rule(ReturnRule.Action.FEE_FIXED, amount=amount, **conditions)


def percent_fee(percent, **conditions) -> ReturnRule:
    return rule(ReturnRule.Action.FEE_PERCENT, percent=percent, **conditions)


def block(message_en="This item cannot be returned.", **conditions) -> ReturnRule:
    return rule(ReturnRule.Action.BLOCK, message_en=message_en, **conditions)


def method(code="relay", carrier="offline", **fields) -> ShippingMethod:
    return ShippingMethod.objects.create(
        code=code, carrier=carrier, name_en=code.title(), name_fr=code.title(), **fields
    )
