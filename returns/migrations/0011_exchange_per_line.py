"""The variant wanted in exchange moves from the return to each of its lines, and the stock held
for an exchange is held per line.

A return's variant goes to each of its lines of the same product (the portal only ever let one
product be exchanged; staff could choose any product of the order: a line of another product
then names nothing, and the return is refunded for it as before). A reservation held for a
return is given to its first line naming the variant (else its first line), with the units it
holds: shipping that line releases what is beyond its own units, and the others take theirs
from the stock, as a return approved before reservations existed does."""

import django.db.models.deletion
from django.db import migrations, models


def forwards(apps, schema_editor):
    Return = apps.get_model("returns", "Return")
    ReturnLine = apps.get_model("returns", "ReturnLine")
    ExchangeReservation = apps.get_model("returns", "ExchangeReservation")
    exchanges = Return.objects.filter(exchange_variant__isnull=False).select_related(
        "exchange_variant"
    )
    for ret in exchanges.iterator():
        ReturnLine.objects.filter(
            ret=ret, order_line__variant__product_id=ret.exchange_variant.product_id
        ).update(exchange_variant=ret.exchange_variant_id)
    for reservation in ExchangeReservation.objects.iterator():
        lines = ReturnLine.objects.filter(ret_id=reservation.ret_id).order_by("id")
        line = lines.filter(exchange_variant_id=reservation.variant_id).first() or lines.first()
        reservation.line_id = line.pk
        reservation.save(update_fields=["line"])


def backwards(apps, schema_editor):
    Return = apps.get_model("returns", "Return")
    ReturnLine = apps.get_model("returns", "ReturnLine")
    for line in ReturnLine.objects.filter(exchange_variant__isnull=False).order_by("-id"):
        Return.objects.filter(pk=line.ret_id).update(exchange_variant=line.exchange_variant_id)


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0010_exchange_photos"),
    ]

    operations = [
        migrations.AddField(
            model_name="returnline",
            name="exchange_variant",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="shop.variant",
                verbose_name="variant wanted in exchange",
            ),
        ),
        migrations.AddField(
            model_name="exchangereservation",
            name="line",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="exchange_reservations",
                to="returns.returnline",
                verbose_name="return line",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AlterField(
            model_name="exchangereservation",
            name="line",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="exchange_reservations",
                to="returns.returnline",
                verbose_name="return line",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="exchangereservation",
            name="exchange_reservation_one_held",
        ),
        migrations.AddConstraint(
            model_name="exchangereservation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "held")),
                fields=("line",),
                name="exchange_reservation_one_held_per_line",
            ),
        ),
        migrations.RemoveField(
            model_name="return",
            name="exchange_variant",
        ),
    ]
