"""Product names and variant options in French and in English. The old single name fills both,
except a name written "Français / English" (as the demo did), which is split in two."""

from django.db import migrations, models
from django.db.models import Q

SEPARATOR = " / "


def split_name(name: str) -> tuple[str, str]:
    french, separator, english = name.partition(SEPARATOR)
    if separator and french.strip() and english.strip() and SEPARATOR not in english:
        return french.strip(), english.strip()
    return name, name


def fill_both_languages(apps, schema_editor):
    Product = apps.get_model("shop", "Product")
    Variant = apps.get_model("shop", "Variant")
    for product in Product.objects.only("name").iterator():
        product.name_fr, product.name_en = split_name(product.name)
        product.save(update_fields=["name_fr", "name_en"])
    Variant.objects.update(option_fr=models.F("option"), option_en=models.F("option"))


def keep_the_french(apps, schema_editor):
    Product = apps.get_model("shop", "Product")
    Variant = apps.get_model("shop", "Variant")
    for product in Product.objects.only("name_fr", "name_en").iterator():
        names = [n for n in (product.name_fr, product.name_en) if n]
        product.name = SEPARATOR.join(dict.fromkeys(names))
        product.save(update_fields=["name"])
    Variant.objects.update(option=models.F("option_fr"))


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0008_order_number_upper"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="name_fr",
            field=models.CharField(blank=True, max_length=200, verbose_name="name (French)"),
        ),
        migrations.AddField(
            model_name="product",
            name="name_en",
            field=models.CharField(blank=True, max_length=200, verbose_name="name (English)"),
        ),
        migrations.AddField(
            model_name="variant",
            name="option_fr",
            field=models.CharField(
                blank=True,
                help_text="e.g. the size or the colour",
                max_length=100,
                verbose_name="option (French)",
            ),
        ),
        migrations.AddField(
            model_name="variant",
            name="option_en",
            field=models.CharField(blank=True, max_length=100, verbose_name="option (English)"),
        ),
        migrations.AlterField(
            model_name="product",
            name="name",
            field=models.CharField(blank=True, max_length=200, verbose_name="name"),
        ),
        migrations.RunPython(fill_both_languages, keep_the_french),
        migrations.AlterModelOptions(
            name="product",
            options={
                "ordering": ["name_fr", "name_en", "id"],
                "verbose_name": "product",
                "verbose_name_plural": "products",
            },
        ),
        migrations.AlterModelOptions(
            name="variant",
            options={
                "ordering": ["product__name_fr", "sku"],
                "verbose_name": "variant",
                "verbose_name_plural": "variants",
            },
        ),
        migrations.RemoveField(model_name="product", name="name"),
        migrations.RemoveField(model_name="variant", name="option"),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.CheckConstraint(
                condition=~Q(name_fr="") | ~Q(name_en=""), name="product_has_a_name"
            ),
        ),
    ]
