"""Loading and exporting the metadata catalogue (data elements, categories, data sets)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from bilim.audit import services as audit

from .models import Category, CategoryOption, DataElement, DataSet

DEFAULT_CATALOGUE = Path(__file__).with_name("default_catalogue.json")


@transaction.atomic
def load_catalogue(data: dict[str, Any] | None = None, actor: str = "system") -> dict[str, int]:
    """Create or update metadata from a catalogue document (default: catalog.md's catalogue).

    Idempotent: loading the same document twice changes nothing. Unknown references raise an error
    naming the element and the missing code, and the whole load rolls back.
    """
    if data is None:
        data = json.loads(DEFAULT_CATALOGUE.read_text())
    counts = {"categories": 0, "options": 0, "data_elements": 0, "data_sets": 0}
    for c in data.get("categories", []):
        cat, _ = Category.objects.update_or_create(
            code=c["code"], defaults={k: c.get(k, "") for k in ("name_kk", "name_ru", "name_en")} | {
                "sort_order": c.get("sort_order", 0)})
        counts["categories"] += 1
        for o in c.get("options", []):
            CategoryOption.objects.update_or_create(
                category=cat, code=o["code"],
                defaults={k: o.get(k, "") for k in ("name_kk", "name_ru", "name_en")} | {
                    "sort_order": o.get("sort_order", 0)})
            counts["options"] += 1
    cats = {c.code: c for c in Category.objects.all()}
    for d in data.get("data_elements", []):
        # a document written before value types existed leaves them alone: resetting EXPEND to a count
        # would refuse its decimals at the next import
        typed = {"value_type": d["value_type"]} if d.get("value_type") else {}
        de, _ = DataElement.objects.update_or_create(
            code=d["code"], defaults={k: d.get(k, "") for k in ("name_kk", "name_ru", "name_en", "description")} | {
                "attached_to": d.get("attached_to", []), "aggregation": d.get("aggregation", "sum"),
                "period_type": d.get("period_type", "school_year")} | typed)
        missing = [c for c in d.get("categories", []) if c not in cats]
        if missing:
            raise ValueError(f"Data element {d['code']}: unknown categories {', '.join(missing)}")
        de.categories.set([cats[c] for c in d.get("categories", [])])
        counts["data_elements"] += 1
    des = {d.code: d for d in DataElement.objects.all()}
    for s in data.get("data_sets", []):
        ds, _ = DataSet.objects.update_or_create(
            code=s["code"], defaults={k: s.get(k, "") for k in ("name_kk", "name_ru", "name_en")} | {
                "org_types": s.get("org_types", []), "period_type": s.get("period_type", "school_year"),
                "deadline_days": s.get("deadline_days", 30)})
        missing = [c for c in s.get("data_elements", []) if c not in des]
        if missing:
            raise ValueError(f"Data set {s['code']}: unknown data elements {', '.join(missing)}")
        ds.data_elements.set([des[c] for c in s["data_elements"]])
        counts["data_sets"] += 1
    audit.record(actor, "metadata.load", "Catalogue", "", None, counts)
    return counts


def export_catalogue() -> dict[str, Any]:
    """The catalogue as a document `load_catalogue` accepts (move configuration between installations)."""
    names = ("code", "name_kk", "name_ru", "name_en")
    return {
        "categories": [
            {**{k: getattr(c, k) for k in names}, "sort_order": c.sort_order,
             "options": [{**{k: getattr(o, k) for k in names}, "sort_order": o.sort_order} for o in c.options.all()]}
            for c in Category.objects.prefetch_related("options")
        ],
        "data_elements": [
            {**{k: getattr(d, k) for k in names}, "description": d.description,
             "categories": sorted(c.code for c in d.categories.all()), "attached_to": d.attached_to,
             "aggregation": d.aggregation, "period_type": d.period_type, "value_type": d.value_type}
            for d in DataElement.objects.prefetch_related("categories")
        ],
        "data_sets": [
            {**{k: getattr(s, k) for k in names}, "data_elements": sorted(d.code for d in s.data_elements.all()),
             "org_types": s.org_types, "period_type": s.period_type, "deadline_days": s.deadline_days}
            for s in DataSet.objects.prefetch_related("data_elements")
        ],
    }
