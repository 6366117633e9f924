"""Load the default catalogue of catalog.md so a fresh installation can collect data at once."""

import json
from pathlib import Path

from django.db import migrations


def load(apps, schema_editor):
    Category = apps.get_model("metadata", "Category")
    CategoryOption = apps.get_model("metadata", "CategoryOption")
    DataElement = apps.get_model("metadata", "DataElement")
    DataSet = apps.get_model("metadata", "DataSet")
    data = json.loads((Path(__file__).parent.parent / "default_catalogue.json").read_text())
    names = ("name_kk", "name_ru", "name_en")
    for c in data["categories"]:
        cat = Category.objects.create(code=c["code"], sort_order=c["sort_order"], **{k: c[k] for k in names})
        CategoryOption.objects.bulk_create(
            [CategoryOption(category=cat, code=o["code"], sort_order=o["sort_order"], **{k: o[k] for k in names})
             for o in c["options"]]
        )
    cats = {c.code: c for c in Category.objects.all()}
    for d in data["data_elements"]:
        de = DataElement.objects.create(code=d["code"], attached_to=d["attached_to"], aggregation=d["aggregation"],
                                        period_type=d["period_type"], **{k: d[k] for k in names})
        de.categories.set([cats[c] for c in d["categories"]])
    des = {d.code: d for d in DataElement.objects.all()}
    for s in data["data_sets"]:
        ds = DataSet.objects.create(code=s["code"], org_types=s["org_types"], period_type=s["period_type"],
                                    deadline_days=s["deadline_days"], **{k: s[k] for k in names})
        ds.data_elements.set([des[c] for c in s["data_elements"]])


class Migration(migrations.Migration):
    dependencies = [("metadata", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
