"""Reads for capital programmes: lists, a project card, the programme dashboard and the project map.

Everything is plain data (money as float KZT, dates as ISO strings). A project's region is the
region above its territory on the day asked (default today).

Deficit of places is not known to the registry alone (pupils over capacity need enrolment), so the
dashboard takes a `deficit(region_codes, day)` callable returning, per region code,
{"pupils_over_capacity": int | None, "shift3_schools": int | None, "shift3_pupils": int | None}.
`enrolment_deficit` is the default: schools of the registry open on the day against the pupils
enrolled (ENROL) in the latest school year with data, in one aggregated query. `registry_deficit`
counts three-shift schools from the registry alone and leaves the pupil figures empty.

Scope: every read takes the `user` asking (None: the server itself — the CLI, the seeders — which
sees everything). A user sees a project when its territory or one of its organizations lies in their
scope (today's subtree, `bilim.accounts.permissions.scoped_unit_ids`); national accounts see every
project, an account whose role may not read `projects` none. The dashboard adds up only those
projects, and its deficit figures (`places_vs_deficit`, each region row's `deficit`) cover only the
regions inside the scope: `places_vs_deficit` is None for a scope below the region level (a district
office), whose scope holds no whole region. A project's linked instruction is named only when the
user also sees that instruction. Writes (`projects.services`, given a `user`) need the `projects`
write capability and the project's territory in the scope.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bilim.accounts.permissions import (
    WRITE,
    analytics_level,
    family_scope,
    require_capability,
    scoped_unit_ids,
)
from bilim.authority.selectors import unit_ref
from bilim.registry import selectors as registry
from bilim.registry.models import Kind, OrgType, OrgUnit

from .models import Programme, Project, ProjectStatus, ProjectType, Schedule, Stage, project_schedule

DeficitFn = Callable[[Sequence[str], dt.date], dict[str, dict[str, Any]]]


def region_of(unit: OrgUnit, day: dt.date) -> OrgUnit | None:
    """The region (oblast or city of republican significance) `unit` lies in on `day`, or itself."""
    if unit.kind == Kind.REGION:
        return unit
    return next((a for a in registry.ancestors(unit, day) if a.kind == Kind.REGION), None)


def _projects() -> QuerySet[Project]:
    return (Project.objects.select_related("territory", "instruction", "programme_ref")
            .prefetch_related("organizations", "budget_lines", "milestones", "stages"))


# --- scope -----------------------------------------------------------------------------------------

def _scope(user) -> frozenset[int] | None:
    """The unit ids `user` may see projects for; None: no restriction."""
    return family_scope(user, "projects")


def visible_project_ids(user) -> set[int] | None:
    """Ids of the projects `user` sees (territory or an organization in scope); None: all."""
    ids = _scope(user)
    if ids is None:
        return None
    out = {pk for pk, territory in Project.objects.values_list("pk", "territory_id") if territory in ids}
    out |= {p for p, unit in Project.organizations.through.objects.values_list("project_id", "orgunit_id")
            if unit in ids}
    return out


def projects_for(user, qs: QuerySet[Project] | None = None) -> QuerySet[Project]:
    """`qs` (default every project) restricted to what `user` sees."""
    qs = Project.objects.all() if qs is None else qs
    visible = visible_project_ids(user)
    return qs if visible is None else qs.filter(pk__in=visible)


def can_read_project(user, p: Project) -> bool:
    ids = _scope(user)
    return ids is None or p.territory_id in ids or any(o.pk in ids for o in p.organizations.all())


def require_write(user, code: str, territory: OrgUnit) -> None:
    """Raise PermissionDenied unless `user` (None: the server) may write the project `code` in `territory`:
    the projects write capability and the territory in scope."""
    if user is None:
        return
    require_capability(user, "projects", WRITE)
    ids = scoped_unit_ids(user)
    if ids is not None and territory.pk not in ids:
        raise PermissionDenied(_("You may not change %(code)s: %(unit)s lies outside your scope.")
                               % {"code": code, "unit": territory.code})


def _instruction_filter(user) -> Callable[[Project], bool]:
    """A predicate: may `user` see the instruction a project is linked to?"""
    if user is None:
        return lambda p: True
    from bilim.governance.selectors import visible_instruction_ids

    visible = visible_instruction_ids(user)
    return lambda p: visible is None or p.instruction_id in visible


def _money(x: Decimal) -> float:
    return round(float(x), 2)


def _pct(num: Decimal | float, den: Decimal | float) -> float | None:
    return round(100.0 * float(num) / float(den), 1) if den else None


def _budget(p: Project, year: int | None = None) -> tuple[Decimal, Decimal]:
    lines = [b for b in p.budget_lines.all() if year is None or b.year == year]
    return sum((b.planned for b in lines), Decimal(0)), sum((b.spent for b in lines), Decimal(0))


def _delayed(p: Project, day: dt.date) -> int:
    return sum(1 for m in p.milestones.all() if m.is_delayed(day))


def _places_added(p: Project, day: dt.date) -> int:
    return p.places if p.status == ProjectStatus.COMPLETED and p.completed_on and p.completed_on <= day else 0


def project_summary(p: Project, day: dt.date, region: OrgUnit | None = None,
                    show_instruction: bool = True) -> dict[str, Any]:
    planned, spent = _budget(p)
    region = region if region is not None else region_of(p.territory, day)
    return {
        "code": p.code, "type": p.type, "type_label": str(ProjectType(p.type).label), "title": p.title,
        "status": p.status, "status_label": str(ProjectStatus(p.status).label),
        "territory": unit_ref(p.territory), "region": unit_ref(region),
        "organizations": [unit_ref(o) for o in p.organizations.all()],
        "places": p.places, "places_added": _places_added(p, day),
        "completed_on": p.completed_on.isoformat() if p.completed_on else None,
        "planned": _money(planned), "spent": _money(spent), "execution_pct": _pct(spent, planned),
        "delayed_milestones": _delayed(p, day),
        "instruction": p.instruction.code if p.instruction and show_instruction else None,
        "programme": p.programme,
        "programme_code": p.programme_ref.code if p.programme_ref_id else None,
        **_schedule(project_schedule(list(p.stages.all()), day)),
    }


def _schedule(state: str) -> dict[str, str]:
    return {"schedule": state, "schedule_label": str(Schedule(state).label)}


def stage_dict(s: Stage, day: dt.date) -> dict[str, Any]:
    """A stage with where it stands on `day` ("behind" now, or "finished_late": see `Stage`)."""
    def iso(d: dt.date | None) -> str | None:
        return d.isoformat() if d else None
    return {"id": s.pk, "kind": s.kind, "kind_label": str(s.get_kind_display()),
            "planned_start": s.planned_start.isoformat(), "planned_end": s.planned_end.isoformat(),
            "actual_start": iso(s.actual_start), "actual_end": iso(s.actual_end), "note": s.note,
            **_schedule(s.schedule(day)), "delay_days": s.delay_days(day)}


def project_list(day: dt.date | None = None, region: str | None = None, type: str | None = None,
                 status: str | None = None, user=None) -> list[dict[str, Any]]:
    """Projects `user` sees with budget totals and delays, filtered by region code (as of `day`), type
    and status."""
    day = day or dt.date.today()
    qs = projects_for(user, _projects())
    shows = _instruction_filter(user)
    if type:
        qs = qs.filter(type=type)
    if status:
        qs = qs.filter(status=status)
    out = []
    for p in qs:
        reg = region_of(p.territory, day)
        if region and (reg is None or reg.code != region):
            continue
        out.append(project_summary(p, day, reg, show_instruction=shows(p)))
    return out


def get_project(code: str, user=None) -> Project:
    """The project `code` (Project.DoesNotExist if none); PermissionDenied when `user` may not see it."""
    p = _projects().get(code=code)
    if not can_read_project(user, p):
        raise PermissionDenied(_("The project %(code)s lies outside your scope.") % {"code": code})
    return p


def project_detail(p: Project, day: dt.date | None = None, user=None) -> dict[str, Any]:
    """A project card: summary, description, budget by year, milestones with delays, status history;
    the linked instruction only when `user` sees it."""
    day = day or dt.date.today()
    show_instruction = _instruction_filter(user)(p)
    d = project_summary(p, day, show_instruction=show_instruction)
    d["description"] = p.description
    d["budget"] = [{"year": b.year, "planned": _money(b.planned), "spent": _money(b.spent),
                    "execution_pct": _pct(b.spent, b.planned)} for b in p.budget_lines.all()]
    d["milestones"] = [{"order": m.order, "kind": m.kind, "name": m.name, "planned_date": m.planned_date.isoformat(),
                        "actual_date": m.actual_date.isoformat() if m.actual_date else None,
                        "delayed": m.is_delayed(day), "delay_days": m.delay_days(day)} for m in p.milestones.all()]
    d["status_history"] = [{"date": c.date.isoformat(), "from": c.from_status, "to": c.to_status, "note": c.note}
                           for c in p.status_changes.all()]
    d["stages"] = [stage_dict(s, day) for s in p.stages.all()]
    d["location"] = _location(p)
    if p.instruction and show_instruction:
        d["instruction"] = {"code": p.instruction.code, "text": p.instruction.text, "status": p.instruction.status}
    return d


def registry_deficit(region_codes: Sequence[str], day: dt.date) -> dict[str, dict[str, int | None]]:
    """Three-shift schools per region from the registry; pupil figures are left to analytics (None)."""
    out: dict[str, dict[str, int | None]] = {}
    for code in region_codes:
        try:
            region = OrgUnit.objects.get(code=code)
        except OrgUnit.DoesNotExist:
            continue
        schools = registry.descendants(region, day, kind=Kind.ORGANIZATION).filter(
            org_type__in=[OrgType.SCHOOL, OrgType.BOARDING, OrgType.SPECIAL])
        out[code] = {"pupils_over_capacity": None, "shift3_schools": schools.filter(shifts=3).count(),
                     "shift3_pupils": None}
    return out


DEFICIT_ELEMENT = "ENROL"
DEFICIT_ORG_TYPES = (OrgType.SCHOOL,)


DEFICIT_FORM = "SCHOOL_CENSUS"


def deficit_period(day: dt.date, element: str = DEFICIT_ELEMENT, look_back: int = 15,
                   published_only: bool = False) -> str | None:
    """The latest school year (`2024S`) begun by `day` for which any `element` value is stored, or None.

    `published_only`: only a year whose school census the republic has accepted, i.e. approved up
    the whole chain (the deficit of readers who may not see unapproved values).
    """
    from bilim.approval.models import ApprovalState, Status
    from bilim.collection.models import DataValue

    year = day.year if day >= dt.date(day.year, 9, 1) else day.year - 1
    for y in range(year, year - look_back, -1):
        if not DataValue.objects.filter(data_element__code=element, period=f"{y}S").exists():
            continue
        if published_only and not ApprovalState.objects.filter(
                data_set__code=DEFICIT_FORM, period=f"{y}S", status=Status.ACCEPTED,
                org_unit__kind=Kind.REPUBLIC).exists():
            continue
        return f"{y}S"
    return None


# The deficit walks every school's enrolment (~0.3 s on the national demo): the programme dashboard
# and its API keep the answer this many seconds (figures up to a minute old, like the analytics).
DEFICIT_CACHE_SECONDS = 60.0
_deficit_cache: dict[tuple, tuple[float, dict[str, dict[str, Any]]]] = {}
_deficit_lock = threading.Lock()


def enrolment_deficit(region_codes: Sequence[str], day: dt.date, published_only: bool = False
                      ) -> dict[str, dict[str, Any]]:
    """`_enrolment_deficit`, remembered for `DEFICIT_CACHE_SECONDS` per (regions, day, published_only)."""
    key = (tuple(sorted({c for c in region_codes if c})), day, published_only)
    now = time.monotonic()
    with _deficit_lock:
        hit = _deficit_cache.get(key)
        if hit is not None and now - hit[0] < DEFICIT_CACHE_SECONDS:
            return copy.deepcopy(hit[1])
    res = _enrolment_deficit(region_codes, day, published_only)
    if DEFICIT_CACHE_SECONDS > 0:
        with _deficit_lock:
            if len(_deficit_cache) > 256:
                _deficit_cache.clear()
            _deficit_cache[key] = (now, copy.deepcopy(res))
    return res


def _enrolment_deficit(region_codes: Sequence[str], day: dt.date, published_only: bool = False
                       ) -> dict[str, dict[str, Any]]:
    """Deficit of places per region, from enrolment against design capacity.

    Schools (org type SCHOOL) open on `day`, placed by the territorial hierarchy of `day`; pupils =
    the sum of the school's ENROL values (stored at one granularity, so the sum is the total) in
    `deficit_period(day)`; capacity = `OrgUnit.capacity`. Per region code:

    * pupils_over_capacity = sum over schools of max(0, pupils - capacity) (schools without a
      capacity or without ENROL count 0); None when no school year has ENROL at all;
    * shift3_schools = schools working in three shifts or more (`shifts >= 3`), from the registry;
    * shift3_pupils = pupils in those schools (None without ENROL);
    * schools, schools_reporting, period: what the figures rest on.

    One SQL query (a recursive walk down from the regions, a correlated sum per school on the
    unique (data element, period, org unit, ...) index, grouped by region), whatever the number of
    schools; plus one or two existence probes for the period.
    """
    from bilim.collection.models import DataValue
    from bilim.metadata.models import DataElement
    from bilim.registry.models import TerritorialRelation

    codes = sorted({c for c in region_codes if c})
    if not codes:
        return {}
    period = deficit_period(day, published_only=published_only)
    element_id = DataElement.objects.filter(code=DEFICIT_ELEMENT).values_list("pk", flat=True).first()
    ou, tr, dv = OrgUnit._meta.db_table, TerritorialRelation._meta.db_table, DataValue._meta.db_table
    d = connection.ops.adapt_datefield_value(day)
    in_codes = ", ".join(["%s"] * len(codes))
    in_types = ", ".join(["%s"] * len(DEFICIT_ORG_TYPES))
    sql = f"""
        WITH RECURSIVE under(region_id, unit_id, depth) AS (
            SELECT id, id, 0 FROM {ou} WHERE code IN ({in_codes})
            UNION ALL
            SELECT under.region_id, t.unit_id, under.depth + 1
            FROM under JOIN {tr} t ON t.parent_id = under.unit_id
            WHERE t.valid_from <= %s AND (t.valid_to IS NULL OR t.valid_to > %s) AND under.depth < 32
        ),
        schools AS (
            SELECT under.region_id, s.capacity, s.shifts,
                   (SELECT SUM(v.value) FROM {dv} v
                    WHERE v.data_element_id = %s AND v.period = %s AND v.org_unit_id = s.id) AS pupils
            FROM under JOIN {ou} s ON s.id = under.unit_id
            WHERE s.kind = %s AND s.org_type IN ({in_types})
              AND (s.opened IS NULL OR s.opened <= %s) AND (s.closed IS NULL OR s.closed > %s)
        )
        SELECT r.code,
               SUM(CASE WHEN schools.capacity IS NOT NULL AND schools.pupils > schools.capacity
                        THEN schools.pupils - schools.capacity ELSE 0 END),
               SUM(CASE WHEN schools.shifts >= 3 THEN 1 ELSE 0 END),
               SUM(CASE WHEN schools.shifts >= 3 THEN COALESCE(schools.pupils, 0) ELSE 0 END),
               COUNT(*), COUNT(schools.pupils)
        FROM schools JOIN {ou} r ON r.id = schools.region_id
        GROUP BY r.code
    """  # noqa: S608 - table names come from the models, values are parameters
    params = [*codes, d, d, element_id, period or "", Kind.ORGANIZATION, *DEFICIT_ORG_TYPES, d, d]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        found = {row[0]: row[1:] for row in cur.fetchall()}
    known = period is not None and element_id is not None
    existing = set(OrgUnit.objects.filter(code__in=codes).values_list("code", flat=True))
    out: dict[str, dict[str, Any]] = {}
    for code in codes:
        if code not in existing:
            continue
        over, shift3, shift3_pupils, schools, reporting = found.get(code, (0, 0, 0, 0, 0))
        out[code] = {
            "pupils_over_capacity": round(over or 0) if known else None,
            "shift3_schools": int(shift3 or 0),
            "shift3_pupils": round(shift3_pupils or 0) if known else None,
            "schools": int(schools or 0), "schools_reporting": int(reporting or 0), "period": period,
        }
    return out


def _blank() -> dict[str, Any]:
    return {"projects": 0, "planned": Decimal(0), "spent": Decimal(0), "delayed_milestones": 0,
            "delayed_projects": 0, "places_planned": 0, "places_added": 0, "completed": 0}


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    row["execution_pct"] = _pct(row["spent"], row["planned"])
    row["planned"], row["spent"] = _money(row["planned"]), _money(row["spent"])
    return row


def _places_vs_deficit(by_region: dict[str, dict[str, Any]], deficits: dict[str, dict[str, Any]],
                       regions: dict[str, OrgUnit]) -> dict[str, Any]:
    """Every region (with projects or not) with its places added and its deficit, and the total."""
    rows = []
    for code in sorted(set(deficits) | {c for c in by_region if c}):
        d = deficits.get(code) or {}
        row = by_region.get(code)
        unit = regions.get(code)
        rows.append({
            "region": row["region"] if row else unit_ref(unit) if unit else {"code": code, "name": code},
            "places_added": row["places_added"] if row else 0,
            "places_planned": row["places_planned"] if row else 0,
            "pupils_over_capacity": d.get("pupils_over_capacity"),
            "shift3_schools": d.get("shift3_schools"), "shift3_pupils": d.get("shift3_pupils"),
        })
    for r in rows:
        over = r["pupils_over_capacity"]
        r["places_vs_deficit_pct"] = _pct(r["places_added"], over) if over else None
    known = [r for r in rows if r["pupils_over_capacity"] is not None]
    over_total = sum(r["pupils_over_capacity"] for r in known) if known else None
    added = sum(r["places_added"] for r in rows)
    total = {
        "places_added": added, "pupils_over_capacity": over_total,
        "shift3_schools": sum(r["shift3_schools"] or 0 for r in rows),
        "places_vs_deficit_pct": _pct(added, over_total) if over_total else None,
    }
    period = next((d.get("period") for d in deficits.values() if d.get("period")), None)
    return {"rows": rows, "total": total, "period": period}


def dashboard(day: dt.date | None = None, region: str | None = None, year: int | None = None,
              deficit: DeficitFn | None = enrolment_deficit, user=None) -> dict[str, Any]:
    """Programme dashboard by region, by type and by region × type.

    Each row: projects, planned, spent, execution_pct, delayed_milestones, delayed_projects,
    places_planned (non-cancelled), places_added (completed by `day`), completed. `year` limits the
    money to one budget year. Region rows carry `deficit` from the callable (None to skip it) and
    `places_vs_overcapacity_pct` when pupils over capacity are known. `places_vs_deficit` lists every
    region (the one asked, else all regions of `day`, with projects or not): places added, pupils
    over capacity, three-shift schools and places added as a % of the deficit, with a total.

    For a `user` with a limited scope only the projects they see are added up, and the deficit is
    computed for the regions inside their scope only; `places_vs_deficit` is None when the scope holds
    no whole region (a district office).
    """
    day = day or dt.date.today()
    scope = _scope(user)
    by_region: dict[str, dict[str, Any]] = {}
    by_type: dict[str, dict[str, Any]] = {}
    by_pair: dict[tuple[str, str], dict[str, Any]] = {}
    totals = _blank()
    for p in projects_for(user, _projects()):
        reg = region_of(p.territory, day)
        reg_code = reg.code if reg else ""
        if region and reg_code != region:
            continue
        planned, spent = _budget(p, year)
        delayed = _delayed(p, day)
        rows = [
            by_region.setdefault(reg_code, {"region": unit_ref(reg), **_blank()}),
            by_type.setdefault(p.type, {"type": p.type, "type_label": str(ProjectType(p.type).label), **_blank()}),
            by_pair.setdefault((reg_code, p.type), {"region": unit_ref(reg), "type": p.type, **_blank()}),
            totals,
        ]
        for row in rows:
            row["projects"] += 1
            row["planned"] += planned
            row["spent"] += spent
            row["delayed_milestones"] += delayed
            row["delayed_projects"] += 1 if delayed else 0
            row["places_planned"] += p.places if p.status != ProjectStatus.CANCELLED else 0
            row["places_added"] += _places_added(p, day)
            row["completed"] += 1 if p.status == ProjectStatus.COMPLETED else 0
    regions = {u.code: u for u in (OrgUnit.objects.filter(code=region) if region
                                   else registry.units_on(day, Kind.REGION))
               if scope is None or u.pk in scope}
    # a limited scope gets the deficit of its own regions only, not of the regions its projects lie in
    deficit_codes = set(regions) | ({c for c in by_region if c} if scope is None else set())
    if deficit is enrolment_deficit and user is not None and analytics_level(user) > 0:
        # enrolment not yet approved up the chain stays out of what such readers see (as in analytics)
        deficit = partial(enrolment_deficit, published_only=True)
    deficits = (deficit(sorted(deficit_codes), day) if deficit is not None and (scope is None or deficit_codes)
                else {})
    for code, row in by_region.items():
        d = deficits.get(code)
        row["deficit"] = d
        over = d.get("pupils_over_capacity") if d else None
        row["places_vs_overcapacity_pct"] = _pct(row["places_added"], over) if over else None
    places_vs_deficit = None
    if deficit is not None and (scope is None or regions):
        own = by_region if scope is None else {c: r for c, r in by_region.items() if c in regions}
        places_vs_deficit = _places_vs_deficit(own, deficits, regions)
    return {
        "date": day.isoformat(), "year": year,
        "totals": _finish(totals),
        "places_vs_deficit": places_vs_deficit,
        "by_region": [_finish(r) for _, r in sorted(by_region.items())],
        "by_type": [_finish(r) for _, r in sorted(by_type.items())],
        "by_region_type": [_finish(r) for _, r in sorted(by_pair.items())],
    }


def _location(p: Project) -> dict[str, float] | None:
    if p.lat is not None and p.lon is not None:
        return {"lat": p.lat, "lon": p.lon}
    for o in sorted(p.organizations.all(), key=lambda o: o.code):
        if o.lat is not None and o.lon is not None:
            return {"lat": o.lat, "lon": o.lon}
    if p.territory.lat is not None and p.territory.lon is not None:
        return {"lat": p.territory.lat, "lon": p.territory.lon}
    return None


def project_map(day: dt.date | None = None, region: str | None = None, user=None) -> list[dict[str, Any]]:
    """Points for the project map of the projects `user` sees (those with a known location: their own,
    an organization's or the territory's); each carries code, title, type, status, region, places and lat/lon."""
    day = day or dt.date.today()
    out = []
    for p in projects_for(user, _projects()):
        reg = region_of(p.territory, day)
        if region and (reg is None or reg.code != region):
            continue
        loc = _location(p)
        if loc is None:
            continue
        out.append({"code": p.code, "title": p.title, "type": p.type, "status": p.status,
                    "region": reg.code if reg else None, "places": p.places, **loc})
    return out


# --- programmes and the timeline -------------------------------------------------------------------

def programmes_for(user) -> QuerySet[Programme]:
    """Programmes `user` sees: its owner in scope, or one of its projects visible."""
    qs = Programme.objects.select_related("owner")
    ids = _scope(user)
    if ids is None:
        return qs
    visible = visible_project_ids(user) or set()
    owned = {pk for pk, owner in qs.values_list("pk", "owner_id") if owner in ids}
    carried = set(Project.objects.filter(pk__in=visible, programme_ref__isnull=False)
                  .values_list("programme_ref_id", flat=True))
    return qs.filter(pk__in=owned | carried)


def programme_list(user=None) -> list[dict[str, Any]]:
    out = []
    for prog in programmes_for(user).prefetch_related("projects__budget_lines"):
        projects = list(projects_for(user, prog.projects.all()))
        planned = sum((b.planned for p in projects for b in p.budget_lines.all()), Decimal(0))
        spent = sum((b.spent for p in projects for b in p.budget_lines.all()), Decimal(0))
        out.append({"code": prog.code, "title": prog.title, "owner": unit_ref(prog.owner),
                    "start_year": prog.start_year, "end_year": prog.end_year, "projects": len(projects),
                    "planned": _money(planned), "spent": _money(spent), "execution_pct": _pct(spent, planned)})
    return out


def get_programme(code: str, user=None) -> Programme:
    """The programme `code` (Programme.DoesNotExist if none); PermissionDenied when `user` may not see it."""
    prog = Programme.objects.select_related("owner").get(code=code)
    if not programmes_for(user).filter(pk=prog.pk).exists():
        raise PermissionDenied(_("The programme %(code)s lies outside your scope.") % {"code": code})
    return prog


def timeline(day: dt.date | None = None, region: str | None = None, programme: str | None = None,
             schedule: str | None = None, user=None) -> dict[str, Any]:
    """The Gantt view: every project `user` sees that has stages, each with its stages' planned and
    actual bars as fractions of the common time span, and where it stands on `day`."""
    day = day or dt.date.today()
    rows = []
    for p in projects_for(user, _projects()):
        stages = list(p.stages.all())
        if not stages:
            continue
        if programme and (p.programme_ref is None or p.programme_ref.code != programme):
            continue
        reg = region_of(p.territory, day)
        if region and (reg is None or reg.code != region):
            continue
        state = project_schedule(stages, day)
        if schedule and state != schedule:
            continue
        rows.append({"code": p.code, "title": p.title, "region": unit_ref(reg), **_schedule(state),
                     "stages": [stage_dict(s, day) for s in stages]})
    dates = [dt.date.fromisoformat(v) for r in rows for s in r["stages"]
             for v in (s["planned_start"], s["planned_end"], s["actual_start"], s["actual_end"]) if v]
    dates.append(day)
    start = dt.date(min(dates).year, 1, 1)
    end = dt.date(max(dates).year + 1, 1, 1)
    span = (end - start).days

    def frac(text: str | None) -> float | None:
        return round(100.0 * (dt.date.fromisoformat(text) - start).days / span, 3) if text else None
    for r in rows:
        for s in r["stages"]:
            s["planned_left"] = frac(s["planned_start"])
            s["planned_width"] = max(0.3, round(frac(s["planned_end"]) - s["planned_left"], 3))
            if s["actual_start"]:
                s["actual_left"] = frac(s["actual_start"])
                s["actual_width"] = max(0.3, round(frac(s["actual_end"] or day.isoformat()) - s["actual_left"], 3))
    rows.sort(key=lambda r: (min(s["planned_start"] for s in r["stages"]), r["code"]))
    years = [{"year": y, "left": frac(dt.date(y, 1, 1).isoformat())} for y in range(start.year, end.year)]
    counts = {k: sum(1 for r in rows if r["schedule"] == k) for k in Schedule.values}
    return {"date": day.isoformat(), "start": start.isoformat(), "end": end.isoformat(), "rows": rows,
            "years": years, "today_left": frac(day.isoformat()), "counts": counts}
