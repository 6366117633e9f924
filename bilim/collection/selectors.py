"""Reads of data values: one value (with its version, for optimistic saves), and streams for export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator

from django.db import connection

from bilim.metadata import periods
from bilim.metadata.models import CATEGORY_ORDER
from bilim.registry import selectors as registry
from bilim.registry.models import OrgUnit

from .models import DataValue, DataValueAudit

_CAT_FIELDS = [c.lower() for c in CATEGORY_ORDER]


def get_value(data_element: str, period: str, org_unit: str, categories: dict[str, str] | None = None
              ) -> DataValue | None:
    """The stored value (with `version`, to pass back to `save_value`), or None."""
    cats = {c.lower(): v for c, v in (categories or {}).items()}
    key = {f: cats.get(f, "") for f in _CAT_FIELDS}
    try:
        code = periods.parse(period).code
    except periods.PeriodError:
        return None
    return DataValue.objects.filter(data_element__code=data_element, period=code, org_unit__code=org_unit,
                                    **key).first()


def value_history(data_element: str, period: str, org_unit: str):
    """Every recorded change of the values of one element, period and unit, newest first."""
    return DataValueAudit.objects.filter(data_element_code=data_element, period=period,
                                         org_unit_code=org_unit).order_by("-at", "-id")


def subtree_ids(code: str, as_of: dt.date | None = None) -> set[int]:
    """The unit and every unit under it on `as_of` (default today)."""
    unit = OrgUnit.objects.get(code=code)
    return {unit.pk, *registry.descendant_ids(unit, as_of or dt.date.today())}


def iter_values(data_element: str | list[str] | None = None, period: str | list[str] | None = None,
                org_unit: str | None = None, as_of: dt.date | None = None, chunk: int = 50_000,
                unit_ids: Collection[int] | None = None) -> Iterator[tuple]:
    """(dataElement, period, orgUnit, value, SEX, AGE, GRADE, QUAL, EXP, LANG, comment) in a stable order.

    `org_unit` selects its whole subtree as of `as_of`; `unit_ids`, when given, keeps only the values
    of those units (a selection such as `LEVEL-organization` within a region, resolved by the
    caller), so the export and the values API share this one query. Streams with a raw cursor:
    exports of millions of values stay fast and flat in memory.
    """
    where, params = [], []
    for col, given in (("e.code", data_element), ("d.period", period)):
        if given:
            items = [given] if isinstance(given, str) else list(given)
            if col == "d.period":
                items = [periods.parse(p).code for p in items]
            where.append(f"{col} IN ({', '.join(['%s'] * len(items))})")
            params += items
    ids = subtree_ids(org_unit, as_of) if org_unit else None
    if unit_ids is not None:
        ids = set(unit_ids) if ids is None else ids & set(unit_ids)
    sql = ("SELECT e.code, d.period, o.code, d.value, d.sex, d.age, d.grade, d.qual, d.exp, d.lang, d.comment, "
           "d.org_unit_id FROM collection_datavalue d JOIN metadata_dataelement e ON e.id = d.data_element_id "
           "JOIN registry_orgunit o ON o.id = d.org_unit_id"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY e.code, d.period, o.code, d.sex, d.age, d.grade, d.qual, d.exp, d.lang")
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while True:
            rows = cur.fetchmany(chunk)
            if not rows:
                break
            for r in rows:
                if ids is None or r[11] in ids:
                    yield r[:11]
