"""Seed the default return reasons and actions (staff edit them afterwards)."""

from django.db import migrations

# code, English, French, restock by default, asks for details
REASONS = [
    ("defective", "Defective product", "Produit défectueux", False, False),
    ("wrong-size", "Wrong size", "Mauvaise taille", True, False),
    ("not-as-described", "Not as described", "Non conforme à la description", True, False),
    ("changed-mind", "Changed my mind", "J'ai changé d'avis", True, False),
    ("arrived-late", "Arrived too late", "Arrivé trop tard", True, False),
    ("other", "Other", "Autre", True, True),
]

# code, English, French
ACTIONS = [
    ("refund", "Refund", "Remboursement"),
    ("store-credit", "Store credit", "Avoir"),
    ("exchange-size", "Exchange for another size", "Échange contre une autre taille"),
    ("replacement", "Send a replacement", "Envoi d'un article de remplacement"),
    ("repair", "Repair", "Réparation"),
]


def seed(apps, schema_editor):
    ReturnReason = apps.get_model("returns", "ReturnReason")
    ReturnAction = apps.get_model("returns", "ReturnAction")
    for position, (code, name_en, name_fr, restock, needs_detail) in enumerate(REASONS, 1):
        ReturnReason.objects.get_or_create(code=code, defaults={
            "name_en": name_en, "name_fr": name_fr, "position": position * 10,
            "restock_by_default": restock, "needs_detail": needs_detail, "active": True})
    for position, (code, name_en, name_fr) in enumerate(ACTIONS, 1):
        ReturnAction.objects.get_or_create(code=code, defaults={
            "name_en": name_en, "name_fr": name_fr, "position": position * 10, "active": True})


def unseed(apps, schema_editor):
    # Reasons and actions may be in use by then: leave them; staff can deactivate them.
    pass


class Migration(migrations.Migration):

    dependencies = [
        ("returns", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
