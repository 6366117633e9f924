"""The arithmetic of an event preview (see `registry.events.preview`): compare the hierarchy before and
after, on every date an aggregate is read through, and name what would move.

The analytics layer sums values over the territorial hierarchy on one date per figure: the period's
reference date in `historical` mode, today in `current` mode (`analytics.engine.reference_dates`).
So an event changes an aggregate exactly when it changes some unit's chain of ancestors on one of
those dates; the values concerned are those of that unit and everything under it. A change of
governing body or of a name moves no value (aggregates do not follow the governing relation), and
the preview says so rather than inventing a difference.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q

from .models import GoverningRelation, NameRecord, OrgUnit, Restructuring, TerritorialRelation

MAX_ROWS = 500  # rows of each list shown; the totals are always complete


def _valid_on(day: dt.date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))


def dates_of_interest(today: dt.date) -> dict[str, Any]:
    """The reference date of every period that has values (historical), and today (current)."""
    from bilim.analytics.periods import ref_date
    from bilim.collection.models import DataValue

    hist: dict[str, dt.date] = {}
    for period in DataValue.objects.values_list("period", flat=True).distinct():
        try:
            hist[period] = ref_date(period)
        except (ValueError, KeyError, IndexError):
            continue
    return {"historical": hist, "current": today}


def _all_dates(dates: dict[str, Any]) -> list[dt.date]:
    return sorted({*dates["historical"].values(), dates["current"]})


def state(candidates: set[int], dates: dict[str, Any], effective_date: dt.date | None = None) -> dict[str, Any]:
    """The parent map on every date of interest, and the candidates' relations on the event's date."""
    parents = {d: dict(TerritorialRelation.objects.filter(_valid_on(d)).values_list("unit_id", "parent_id"))
               for d in _all_dates(dates)}
    out: dict[str, Any] = {"parents": parents, "candidates": candidates}
    if effective_date is not None:
        ids = list(candidates)
        out["parent"] = dict(TerritorialRelation.objects.filter(_valid_on(effective_date), unit_id__in=ids)
                             .values_list("unit_id", "parent__code"))
        out["body"] = dict(GoverningRelation.objects.filter(_valid_on(effective_date), unit_id__in=ids)
                           .values_list("unit_id", "body__code"))
        out["name"] = {r.unit_id: r.name for r in NameRecord.objects.filter(_valid_on(effective_date),
                                                                             unit_id__in=ids)}
        out["units"] = {u.pk: {"code": u.code, "name": u.name, "kind": u.kind,
                               "exists": u.exists_on(effective_date)}
                        for u in OrgUnit.objects.filter(pk__in=ids)}
    return out


def capture(last_event: int, dates: dict[str, Any]) -> dict[str, Any]:
    """Inside the savepoint, after the event: what it touched and the hierarchy it leaves."""
    events = list(Restructuring.objects.filter(pk__gt=last_event).select_related("legal_act"))
    ids = [e.pk for e in events]
    cands: set[int] = set()
    for model in (TerritorialRelation, GoverningRelation, NameRecord):
        cands.update(model.objects.filter(event_id__in=ids).values_list("unit_id", flat=True))
    cands.update(OrgUnit.objects.filter(restructurings__in=ids).values_list("pk", flat=True))
    day = events[0].effective_date if events else None
    after = state(cands, dates, day)
    after["effective_date"] = day
    after["events"] = [{"kind": e.kind, "kind_label": str(e.get_kind_display()), "description": e.description,
                        "effective_date": e.effective_date.isoformat()} for e in events]
    return after


def _chain(parents: dict[int, int], unit: int) -> tuple[int, ...]:
    out: list[int] = []
    node = parents.get(unit)
    while node is not None and len(out) < 32:
        out.append(node)
        node = parents.get(node)
    return tuple(out)


def _subtree(parents: dict[int, int], unit: int, kids_cache: dict[int, dict[int, list[int]]]) -> set[int]:
    key = id(parents)
    if key not in kids_cache:
        kids: dict[int, list[int]] = defaultdict(list)
        for c, p in parents.items():
            kids[p].append(c)
        kids_cache[key] = kids
    kids = kids_cache[key]
    out, stack = {unit}, list(kids.get(unit, []))
    while stack:
        n = stack.pop()
        if n not in out:
            out.add(n)
            stack.extend(kids.get(n, []))
    return out


def _shifts(before: dict, after: dict, day: dt.date, cache: dict) -> list[tuple[set[int], set[int], set[int]]]:
    """For each candidate whose ancestors differ on `day`: (its subtree, ancestors lost, ancestors gained)."""
    pb, pa = before["parents"][day], after["parents"][day]
    out = []
    for c in sorted(after["candidates"] | before["candidates"]):
        cb, ca = _chain(pb, c), _chain(pa, c)
        if cb == ca:
            continue
        sub = _subtree(pa, c, cache) | _subtree(pb, c, cache)
        out.append((sub, set(cb) - set(ca), set(ca) - set(cb)))
    return out


def _indicator_rows(elements: set[str]) -> list[dict[str, Any]]:
    from django.utils.translation import get_language

    from bilim.analytics import service

    lang = (get_language() or "kk")[:2]
    rows = []
    for code, ind in service.catalogue().indicators.items():
        reads: set[str] = set()
        for _part, term in ind.parts():
            service._term_elements(term, reads)
        reads.update(v for v in ind.params.values() if isinstance(v, str))
        if not reads and ind.method == "survival":
            reads.add("ENROL")
        if reads & elements:
            name = ind.name.get(lang) or ind.name.get("en") or code
            rows.append({"code": code, "name": name, "reads": sorted(reads & elements)})
    return rows


def _mode(before: dict, after: dict, periods: dict[str, dt.date], cache: dict) -> dict[str, Any]:
    """Units whose aggregates change and the values that move, for periods read on the given dates."""
    from bilim.collection.models import DataValue

    by_day: dict[dt.date, list[str]] = defaultdict(list)
    for p, d in periods.items():
        by_day[d].append(p)
    moving: dict[str, set[int]] = defaultdict(set)  # period -> units whose values move
    shifts: list[tuple[set[int], set[int], set[int], list[str]]] = []
    for day, ps in by_day.items():
        for sub, lost, gained in _shifts(before, after, day, cache):
            shifts.append((sub, lost, gained, ps))
            for p in ps:
                moving[p] |= sub
    values: dict[tuple[str, str], list[int]] = {}
    valued: set[tuple[int, str]] = set()  # (unit, period) that has values
    all_units = set().union(*moving.values()) if moving else set()
    if all_units:
        ids = sorted(all_units)
        for i in range(0, len(ids), 900):
            rows = (DataValue.objects.filter(org_unit_id__in=ids[i:i + 900], period__in=list(moving))
                    .values("org_unit_id", "period", "data_element__code").annotate(n=Count("id")))
            for r in rows:
                if r["org_unit_id"] in moving[r["period"]]:
                    key = (r["data_element__code"], r["period"])
                    cell = values.setdefault(key, [0, 0])
                    cell[0] += r["n"]
                    cell[1] += 1
                    valued.add((r["org_unit_id"], r["period"]))
    # an ancestor's aggregate changes only for the periods in which something under the moved unit reported
    aggregates: dict[tuple[int, str], set[str]] = defaultdict(set)  # (unit, loses/gains) -> periods
    for sub, lost, gained, ps in shifts:
        hit = [p for p in ps if any((u, p) in valued for u in sub)]
        for p in hit:
            for u in lost:
                aggregates[(u, "loses")].add(p)
            for u in gained:
                aggregates[(u, "gains")].add(p)
    names = {u.pk: u for u in OrgUnit.objects.filter(pk__in={u for u, _k in aggregates})}
    agg_rows = []
    for (u, how), ps in aggregates.items():
        unit = names.get(u)
        if unit is not None:
            agg_rows.append({"code": unit.code, "name": unit.name, "kind": unit.kind, "change": how,
                             "periods": sorted(ps)})
    agg_rows.sort(key=lambda r: (r["code"], r["change"]))
    value_rows = [{"data_element": de, "period": p, "values": n, "units": k}
                  for (de, p), (n, k) in sorted(values.items())]
    elements = {de for de, _p in values}
    return {"aggregates": agg_rows[:MAX_ROWS], "aggregates_total": len(agg_rows),
            "values": value_rows[:MAX_ROWS], "values_total": sum(r["values"] for r in value_rows),
            "indicators": _indicator_rows(elements) if elements else []}


def compare(plan, before: dict, after: dict, dates: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The preview document: the event(s), the changed units, and both modes."""
    day = after.get("effective_date") or plan.effective_date
    b_rel = state(after["candidates"], {"historical": {}, "current": today}, day)
    changes = []
    units = after.get("units", {})
    for pk in sorted(after["candidates"], key=lambda k: units.get(k, {}).get("code", "")):
        u = units.get(pk) or b_rel["units"].get(pk) or {"code": str(pk), "name": "", "kind": ""}
        row: dict[str, Any] = {"code": u["code"], "name": u["name"], "kind": u["kind"]}
        existed = b_rel["units"].get(pk, {}).get("exists", False)
        exists = units.get(pk, {}).get("exists", False)
        row["status"] = "opened" if exists and not existed else "closed" if existed and not exists else ""
        for rel in ("parent", "body", "name"):
            old, new = b_rel[rel].get(pk), after[rel].get(pk)
            if old != new:
                row[rel] = {"from": old, "to": new}
        if len(row) > 4 or row["status"]:
            changes.append(row)
    cache: dict = {}
    hist = _mode(before, after, dates["historical"], cache)
    current_periods = dict.fromkeys(dates["historical"], dates["current"])
    cur = _mode(before, after, current_periods, cache)
    note = ""
    if not hist["values"] and not cur["values"]:
        note = "no_aggregate_change"
    return {"kind": plan.kind, "effective_date": day.isoformat() if day else None,
            "legal_act": str(plan.legal_act), "events": after.get("events", []),
            "changes": changes[:MAX_ROWS], "changes_total": len(changes), "today": today.isoformat(),
            "modes": {"historical": hist, "current": cur}, "note": note}
