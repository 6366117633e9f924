"""Indicator part of the org-unit profile (key indicators with trends, completeness)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from bilim.registry import selectors as registry
from bilim.registry.models import Kind, OrgType, OrgUnit

log = logging.getLogger(__name__)
MEASURED = (Kind.REPUBLIC, Kind.REGION, Kind.DISTRICT, Kind.ORGANIZATION)


def completeness(unit: OrgUnit, day: dt.date, period: str) -> list[dict]:
    """Per census form: organizations under `unit` expected to report it (by type) and those with any value
    for `period` (calendar-year forms use the census year), as on `day`."""
    from bilim.collection.models import DataValue
    from bilim.metadata.models import DataSet

    if unit.kind == Kind.ORGANIZATION:
        orgs = OrgUnit.objects.filter(pk=unit.pk)
    else:
        orgs = registry.descendants(unit, day, kind=Kind.ORGANIZATION)
    out = []
    for ds in DataSet.objects.prefetch_related("data_elements").order_by("code"):
        types = [t for t in ds.org_types if t in OrgType.values]
        if not types:
            continue
        expected = orgs.filter(org_type__in=types)
        n = expected.count()
        if not n:
            continue
        p = period if ds.period_type == "school_year" else period.rstrip("S")
        des = [de.pk for de in ds.data_elements.all()]
        has = DataValue.objects.filter(org_unit=OuterRef("pk"), period=p, data_element__in=des)
        reported = expected.filter(Exists(has)).count()
        out.append({"code": ds.code, "name": ds.name, "period": p, "expected": n, "reported": reported,
                    "pct": round(100.0 * reported / n, 1)})
    return out


def indicator_context(request: HttpRequest, unit: OrgUnit, day: dt.date) -> dict:
    if unit.kind not in MEASURED or not unit.exists_on(day):
        return {}
    from bilim.analytics.service import WarehouseMissing

    from . import analytics_bridge as ab

    mode, as_of = ab.mode_params(request)
    try:
        periods = ab.recent_school_years(5)
        cards = ab.trends(request, ab.KEY_INDICATORS, unit.code, periods, mode=mode,
                          as_of=as_of if mode == "current" else None)
    except WarehouseMissing as e:
        return {"indicators_error": str(e)}
    except Exception as e:  # noqa: BLE001 - the registry profile stays useful if analytics fails
        log.warning("profile indicators for %s failed: %s", unit.code, e)
        return {"indicators_error": str(e)}
    cards = [c for c in cards if any(v is not None for v in c["series"])]
    latest = periods[-1] if periods else ""
    return {
        "ind_cards": cards, "ind_periods": periods, "ind_mode": mode, "ind_latest": latest,
        "ind_spark": {c["code"]: {"periods": periods, "values": c["series"], "worse": c["worse"],
                                  "better": c["better"]} for c in cards},
        "completeness": completeness(unit, day, latest) if latest else [],
    }
