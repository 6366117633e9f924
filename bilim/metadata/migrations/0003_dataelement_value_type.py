"""Data elements say which numbers they take: counts (whole, not negative) or amounts (not negative)."""

from django.db import migrations, models

AMOUNTS = ("EXPEND", "UNT_SCORE_SUM", "GDP_PC")  # money, sums of scores: decimals are real


def mark_amounts(apps, schema_editor):
    apps.get_model("metadata", "DataElement").objects.filter(code__in=AMOUNTS).update(value_type="amount")


class Migration(migrations.Migration):

    dependencies = [
        ("metadata", "0002_default_catalogue"),
    ]

    operations = [
        migrations.AddField(
            model_name="dataelement",
            name="value_type",
            field=models.CharField(choices=[("count", "Count (a whole number, not negative)"),
                                            ("amount", "Amount (a number, not negative)")],
                                   default="count", max_length=8),
        ),
        migrations.RunPython(mark_amounts, migrations.RunPython.noop),
    ]
