"""Fees that add up by kind (postage, restocking with bounds, none in store unless a rule
says so, none for reasons that are our fault), each a line of the return's quote; rules that
let the customer keep the item. The seeded reason "defective" is our fault."""

import django.db.models.deletion
from django.db import migrations, models

OUR_FAULT_CODES = ["defective"]


def mark_our_fault(apps, schema_editor):
    ReturnReason = apps.get_model("returns", "ReturnReason")
    ReturnReason.objects.filter(code__in=OUR_FAULT_CODES).update(our_fault=True)


class Migration(migrations.Migration):

    dependencies = [
        ('returns', '0008_overview_indexes'),
        ('shop', '0008_order_number_upper'),
    ]

    operations = [
        migrations.AddField(
            model_name='return',
            name='fees',
            field=models.JSONField(blank=True, default=list, verbose_name='fees'),
        ),
        migrations.AddField(
            model_name='return',
            name='keep_item',
            field=models.BooleanField(default=False, help_text='Set by a return rule: no parcel comes back, no label, no restock.', verbose_name='the customer keeps the items'),
        ),
        migrations.AddField(
            model_name='returnreason',
            name='our_fault',
            field=models.BooleanField(default=False, help_text='For reasons such as a defective or wrong item: no postage or restocking fee is charged.', verbose_name='our fault: no fee'),
        ),
        migrations.AddField(
            model_name='returnrule',
            name='charge_in_store',
            field=models.BooleanField(default=False, help_text='A postage fee is not charged for in-store drop-offs unless this is ticked.', verbose_name='charge parcels dropped in store too'),
        ),
        migrations.AddField(
            model_name='returnrule',
            name='fee_max',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='Per rule.', max_digits=12, null=True, verbose_name='restocking fee at most'),
        ),
        migrations.AddField(
            model_name='returnrule',
            name='fee_min',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='Per rule.', max_digits=12, null=True, verbose_name='restocking fee at least'),
        ),
        migrations.AddField(
            model_name='returnrule',
            name='item_value_below',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='The unit price the customer paid, e.g. keep items under 15.00.', max_digits=12, null=True, verbose_name='item price paid below'),
        ),
        migrations.AddField(
            model_name='returnrule',
            name='label_en',
            field=models.CharField(blank=True, help_text="The fee's line the customer reads, e.g. “Return postage”.", max_length=100, verbose_name='name on the quote (English)'),
        ),
        migrations.AddField(
            model_name='returnrule',
            name='label_fr',
            field=models.CharField(blank=True, help_text="The fee's line the customer reads, e.g. “Frais de retour”.", max_length=100, verbose_name='name on the quote (French)'),
        ),
        migrations.AddField(
            model_name='returnrule',
            name='ships_with',
            field=models.ForeignKey(blank=True, help_text="The method the parcel comes back with (a rule's, else the default one).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='returns.shippingmethod', verbose_name='the return ships with'),
        ),
        migrations.AlterField(
            model_name='returnrule',
            name='action',
            field=models.CharField(choices=[('fee_fixed', 'postage fee of a fixed amount'), ('fee_percent', 'restocking fee: a percentage of the items'), ('keep_item', 'keep the item: nothing is sent back'), ('block', 'block the return'), ('ship_with', 'ship back with a given method'), ('in_store_only', 'in-store returns only'), ('auto_approve', 'approve at once'), ('needs_approval', 'needs staff approval')], max_length=20, verbose_name='action'),
        ),
        migrations.AddConstraint(
            model_name='returnrule',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('fee_min__isnull', True), ('fee_min__gte', 0), _connector='OR'), models.Q(('fee_max__isnull', True), ('fee_max__gte', 0), _connector='OR'), models.Q(('fee_min__isnull', True), ('fee_max__isnull', True), ('fee_min__lte', models.F('fee_max')), _connector='OR')), name='return_rule_fee_bounds'),
        ),
        migrations.RunPython(mark_our_fault, migrations.RunPython.noop),
    ]
