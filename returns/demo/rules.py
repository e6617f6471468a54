"""Demo return rules, a shipping method and the shop's return address (`manage.py seed_demo`).

Idempotent: the rules are created only when there are none, the address only when blank.
"""

from decimal import Decimal
from typing import Any

from returns.models import ReturnReason, ReturnRule, ShippingMethod
from shop.models import ShopSettings

RETURN_ADDRESS = "Service retours\n12 rue des Lilas\n75011 Paris\nFrance"

# How the postage fee reads on the customer's quote.
POSTAGE_NAMES = {"label_fr": "Frais de retour", "label_en": "Return postage"}

# name, action, fields. Fees of different kinds add up (postage + restocking); a defective
# item is our fault: no fee (ReturnReason.our_fault).
DEMO_RULES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "Under 5.00: the customer keeps the item",
        ReturnRule.Action.KEEP_ITEM,
        {"item_value_below": Decimal("5.00")},
    ),
    (
        "Shoes: 10 % restocking fee",
        ReturnRule.Action.FEE_PERCENT,
        {
            "category": "shoes",
            "percent": Decimal("10"),
            "fee_min": Decimal("3.00"),
            "fee_max": Decimal("15.00"),
            "label_fr": "Frais de remise en stock (chaussures)",
            "label_en": "Restocking fee (shoes)",
        },
    ),
    (
        "Free returns from Germany",
        ReturnRule.Action.FEE_FIXED,
        {"countries": "DE", "amount": Decimal("0.00"), **POSTAGE_NAMES},
    ),
    (
        "Return fee from France",
        ReturnRule.Action.FEE_FIXED,
        {"countries": "FR", "amount": Decimal("5.00"), **POSTAGE_NAMES},
    ),
    (
        "Return fee from Belgium",
        ReturnRule.Action.FEE_FIXED,
        {"countries": "BE", "amount": Decimal("8.00"), **POSTAGE_NAMES},
    ),
    (
        "No online returns from Switzerland",
        ReturnRule.Action.BLOCK,
        {
            "countries": "CH",
            "message_en": "Returns from Switzerland are handled by our customer service: please "
            "contact us.",
            "message_fr": "Les retours depuis la Suisse passent par notre service client : "
            "contactez-nous.",
        },
    ),
    # Labels the moment a return is accepted: every return is approved at once (its label
    # made after commit, shown on the confirmation page), except a defective item, which
    # staff look at first. The first matching approval rule wins (returns/rules.py).
    (
        "Defective items: checked by staff",
        ReturnRule.Action.NEEDS_APPROVAL,
        {"reason_code": "defective"},
    ),
    (
        "Ordinary reasons: approved at once",
        ReturnRule.Action.AUTO_APPROVE,
        {},
    ),
]


def seed_rules(stdout=None) -> list[ReturnRule]:
    say = stdout.write if stdout is not None else (lambda message: None)
    shop = ShopSettings.load()
    if not shop.return_address:
        shop.return_address = RETURN_ADDRESS
        shop.save(update_fields=["return_address"])
    ShippingMethod.objects.get_or_create(
        code="post-office",
        defaults={
            "carrier": "offline",
            "name_en": "Post office drop-off",
            "name_fr": "Dépôt en bureau de poste",
        },
    )
    if ReturnRule.objects.exists():
        say("Return rules already exist: nothing to do.")
        return []
    return [
        ReturnRule.objects.create(
            name=name, action=action, position=index * 10, **_with_reason(fields)
        )
        for index, (name, action, fields) in enumerate(DEMO_RULES, 1)
    ]


def _with_reason(fields: dict[str, Any]) -> dict[str, Any]:
    """A rule's reason named by its stable code (seeded by returns/migrations/0002)."""
    fields = dict(fields)
    code = fields.pop("reason_code", None)
    if code is not None:
        fields["reason"] = ReturnReason.objects.get(code=code)
    return fields
