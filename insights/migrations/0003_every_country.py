"""The rows that sum every country's (country "*", insights.models.EVERY_COUNTRY), made from the
rows already there for every span: a week's or a month's row is the sum of its day rows, so the
sum of its countries' week rows is the sum of its "*" day rows, what a refresh would make. The
sums are spelled out here (a migration keeps what the tables were when it was written)."""

from django.db import migrations
from django.db.models import Sum

EVERY_COUNTRY = "*"
BATCH = 2000
SUMS = {
    "DailyReturns": (
        ("dimension", "key"),
        ("returned_units", "refunded", "store_credit", "refunded_returns"),
    ),
    "DailyDaysToRefund": (("dimension", "key", "days"), ("returns",)),
    "DailyProductReason": (("product", "reason"), ("units",)),
    "DailySold": (("product",), ("units",)),
    "DailyRefundWeek": (("week",), ("refunded", "store_credit")),
    "DailyRefundMode": (("mode",), ("returns",)),
}


def every_country(apps, schema_editor):
    for name, (keys, sums) in SUMS.items():
        model = apps.get_model("insights", name)
        rows = (
            model.objects.exclude(country=EVERY_COUNTRY)
            .values("span", "day", *keys)
            .annotate(**{f"sum_{field}": Sum(field) for field in sums})
            .order_by("span", "day", *keys)  # the unique key's order, as the refresh writes
        )
        model.objects.bulk_create(
            (
                model(
                    country=EVERY_COUNTRY,
                    **{field: row[field] for field in ("span", "day", *keys)},
                    **{field: row[f"sum_{field}"] for field in sums},
                )
                for row in rows
            ),
            batch_size=BATCH,
        )


def no_every_country(apps, schema_editor):
    for name in SUMS:
        apps.get_model("insights", name).objects.filter(country=EVERY_COUNTRY).delete()


class Migration(migrations.Migration):
    dependencies = [("insights", "0002_week_span")]

    operations = [migrations.RunPython(every_country, no_every_country)]
