"""What each printed report holds, gathered from the selectors and the analytics service the pages use.

A builder takes the report's subject (an org-unit code, a meeting code) and the reader, checks that
the reader may see it (the same rules as the pages; `user=None` is the operator of a CLI run), and
returns the template context. Every figure comes from a service call; the builders only arrange.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bilim.accounts import permissions as perm
from bilim.analytics import service
from bilim.formats.numbers import number
from bilim.metadata.periods import label as period_label

from . import charts

KINDS = ("passport", "comparison", "equity", "protocol", "control", "projects")
TITLES = {
    "passport": gettext_lazy("Passport"),
    "comparison": gettext_lazy("Region comparison"),
    "equity": gettext_lazy("Equity report"),
    "protocol": gettext_lazy("Collegium protocol"),
    "control": gettext_lazy("Control of instructions"),
    "projects": gettext_lazy("Capital programme status"),
}
FAMILY = {"passport": "analytics", "comparison": "analytics", "equity": "analytics", "protocol": "governance",
          "control": "governance", "projects": "projects"}


class ReportError(ValueError):
    """The report cannot be made for this subject (unknown code, wrong kind of unit); the message says why."""


@dataclass
class Request:
    """One report to make: its kind and subject, the language, the analytics mode and the reader."""

    kind: str
    code: str
    lang: str = "kk"
    mode: str = "current"
    as_of: dt.date | None = None
    user: Any = None
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def day(self) -> dt.date:
        return self.as_of or self.today

    def file_name(self) -> str:
        return f"{self.kind}_{self.code}_{self.lang}_{self.mode}_{self.day.isoformat()}.pdf"


def _unit(code: str, user: Any, kinds: tuple[str, ...] | None = None):
    from bilim.registry.models import OrgUnit

    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise ReportError(_("No org unit with code %(c)s") % {"c": code})
    if kinds and unit.kind not in kinds:
        raise ReportError(_("This report is made for a unit of kind %(kinds)s; %(c)s is a %(kind)s.")
                          % {"kinds": ", ".join(kinds), "c": code, "kind": unit.get_kind_display()})
    if user is not None:
        perm.require_unit(user, unit)
    return unit


def _level(user: Any) -> int:
    return 0 if user is None else perm.national_view_level(user)


def _fmt(value: float | None, code: str) -> str:
    from bilim.web import analytics_bridge as ab

    return ab.fmt(value, code)


def passport(req: Request) -> dict[str, Any]:
    """Identity, both hierarchies with their history, key indicators with trends, children, completeness."""
    from bilim.registry import selectors as registry
    from bilim.registry.models import Kind
    from bilim.web import analytics_bridge as ab
    from bilim.web import profile

    # republic and region aggregates are open to every analytics reader (at their national level, as on
    # the comparison page); a district's or an organization's passport needs the unit in the reader's scope
    unit = _unit(req.code, None, (Kind.REPUBLIC, Kind.REGION, Kind.DISTRICT, Kind.ORGANIZATION))
    if req.user is not None and unit.kind not in (Kind.REPUBLIC, Kind.REGION):
        perm.require_unit(req.user, unit)
    day = req.day
    exists = unit.exists_on(day)
    children = list(registry.children(unit, day).order_by("kind", "code")) if exists else []
    if req.user is not None:
        # the list of units below is registry information: shown to registry readers, within their scope
        children = ([c for c in children if perm.can_read_unit(req.user, c, day)]
                    if perm.has_capability(req.user, "registry") else [])
    periods = ab.recent_school_years(5)
    mode_as_of = req.as_of if req.mode == "current" else None
    # the one access decision of the pages (scope, approval level) on a request-like holder of the reader
    reader = SimpleNamespace(user=req.user)
    cards = [c for c in ab.trends(reader, ab.KEY_INDICATORS, unit.code, periods, mode=req.mode, as_of=mode_as_of,
                                  national_view=unit.kind in (Kind.REPUBLIC, Kind.REGION))
             if any(v is not None for v in c["series"])]
    labels = [period_label(p) for p in periods]
    for c in cards:
        c["chart"] = charts.trend(periods, c["series"], title=c["name"], lang=req.lang, labels=labels,
                                  zero=c["unit"] != "points")
    return {
        "unit": unit, "exists": exists,
        "ancestors": list(reversed(registry.ancestors(unit, day))) if exists else [],
        "body": registry.governing_body_on(unit, day) if exists else None,
        "history": registry.history(unit),
        "children": children[:60], "children_more": max(0, len(children) - 60), "children_count": len(children),
        "cards": cards, "periods": periods, "period_labels": labels,
        "completeness": [{**c, "period_label": period_label(c["period"])}
                         for c in (profile.completeness(unit, day, periods[-1]) if periods else [])],
        "subject": unit.name,
    }


def comparison(req: Request) -> dict[str, Any]:
    """The regions ranked on one indicator (map and bars) and the composite index with its rank intervals."""
    from bilim.analytics.composite import CompositeSpec
    from bilim.web import analytics_bridge as ab
    from bilim.web.views_analytics import COMPOSITE_DEFAULT

    code = req.code if req.code in service.catalogue().indicators else None
    if code is None:
        raise ReportError(_("No indicator with code %(c)s in the catalogue.") % {"c": req.code})
    cat = service.catalogue()
    ind = cat.indicators[code]
    as_of = req.as_of if req.mode == "current" else None
    with service.as_reader(_level(req.user)):
        period = service.periods_available("ENROL")[-1]
        df = service.indicators([code], [period], level="region", mode=req.mode, as_of=as_of)
        nat = service.indicators([code], [period], ou_codes=["KZ"], mode=req.mode, as_of=as_of)
        spec = CompositeSpec(tuple(COMPOSITE_DEFAULT), tuple(cat.indicators[c].direction or 1 for c in COMPOSITE_DEFAULT))
        comp = service.composite(spec, period, level="region", mode=req.mode, as_of=as_of, draws=500)
    df = df[df["sex"].isna() & df["area"].isna()] if "sex" in df else df
    names = ab.unit_names(list(df["ou_code"]) + list(comp.index))
    rows = sorted(({"code": r.ou_code, "name": names.get(r.ou_code, {}).get("name", r.ou_code),
                    "value": ab.clean(r.value)} for r in df.itertuples(index=False)),
                  key=lambda r: (r["value"] is None, -(r["value"] or 0)))
    for i, r in enumerate(rows, 1):
        r["rank"] = i if r["value"] is not None else None
        r["text"] = _fmt(r["value"], code)
    national = ab.clean(nat["value"].iloc[0]) if len(nat) else None
    ranked = [r for r in rows if r["value"] is not None]
    digits = ab.digits(code)
    comp = comp.sort_values(["rank", "median_rank"])
    comp_rows = [{"code": c, "name": names.get(c, {}).get("name", c), "score": number(r["score"], 3, req.lang),
                  "rank": int(r["rank"]), "median": number(r["median_rank"], 1, req.lang),
                  "p05": r["rank_p05"], "p95": r["rank_p95"],
                  "interval": f"{number(r['rank_p05'], 0, req.lang)}–{number(r['rank_p95'], 0, req.lang)}"}
                 for c, r in comp.iterrows()]
    return {
        "indicator": ab.indicator_meta(code), "period": period, "period_label": period_label(period),
        "rows": rows, "national_text": _fmt(national, code), "subject": ab.indicator_name(code),
        "map": charts.choropleth({r["code"]: r["value"] for r in rows}, lang=req.lang, digits=digits,
                                 higher_is_better=(ind.direction or 1) > 0),
        "bars": charts.bars([r["name"] for r in ranked], [r["value"] for r in ranked], lang=req.lang, digits=digits,
                            reference=national, reference_label=_("Kazakhstan")),
        "comp_rows": comp_rows, "comp_indicators": [ab.indicator_meta(c) for c in COMPOSITE_DEFAULT],
        "comp_chart": charts.intervals([r["name"] for r in comp_rows], [r["rank"] for r in comp_rows],
                                       [r["p05"] for r in comp_rows], [r["p95"] for r in comp_rows], lang=req.lang,
                                       legend=(_("Rank"), _("5–95 %% rank interval").replace("%%", "%"))),
    }


def equity(req: Request) -> dict[str, Any]:
    """A region's parity indices, the distribution of per-pupil funding over its organizations, the measures."""
    import numpy as np

    from bilim.registry.models import Kind
    from bilim.web import analytics_bridge as ab
    from bilim.web.views_analytics import MEASURE_LABELS, _parity_rows

    unit = _unit(req.code, None, (Kind.REPUBLIC, Kind.REGION))  # aggregates, open as on the equity page
    as_of = req.as_of if req.mode == "current" else None
    fund = "EXP_PER_PUPIL"
    with service.as_reader(_level(req.user)):
        period = service.periods_available("ENROL")[-1]
        names = ab.unit_names([unit.code, "KZ"])
        parity = []
        for code in ("GER_ISCED1", "NER_ISCED2", "OOSR_ISCED1"):
            prow, indices = _parity_rows(code, period, req.mode, as_of, names)
            for r in prow:
                if r["code"] in (unit.code, "KZ"):
                    parity.append({"indicator": ab.indicator_name(code), "unit": r["name"], "national": r["code"] == "KZ",
                                   "cells": [{"index": i, **(r.get(i) or {})} for i in ("GPIA", "LPIA")]})
        orgs = service.org_values(fund, unit.code, [period], mode=req.mode, as_of=as_of)
        eq = service.equity(fund, [unit.code], [period], mode=req.mode, as_of=as_of)
    orgs = orgs[np.isfinite(orgs["value"].astype(float)) & (orgs["pupils"].fillna(0) > 0)]
    x = orgs["value"].to_numpy(float)
    n = orgs["pupils"].to_numpy(float)
    hist = ""
    if len(x):
        edges = np.histogram_bin_edges(x, bins=min(12, max(4, len(x) // 3)))
        weights, _e = np.histogram(x, bins=edges, weights=n)
        bands = [f"{number(edges[i] / 1000, 0, req.lang)}–{number(edges[i + 1] / 1000, 0, req.lang)}"
                 for i in range(len(edges) - 1)]
        hist = charts.histogram(bands, [float(w) for w in weights], lang=req.lang, title=_("Pupils"),
                                xlabel=_("Expenditure per pupil, thousand KZT"))
    measures = []
    for r in eq.itertuples(index=False):
        label, note = MEASURE_LABELS.get(r.measure, (r.measure, ""))
        v = ab.clean(r.value)
        measures.append({"code": r.measure, "label": _(label), "note": _(note) if note else "",
                         "text": number(v, 0 if r.measure in ("RANGE", "RESTR_RANGE") else 3, req.lang)})
    return {"unit": unit, "subject": unit.name, "period": period, "period_label": period_label(period),
            "parity": parity, "hist": hist, "org_count": len(x), "pupils": number(n.sum() if len(n) else 0, 0, req.lang),
            "mean": number(float((x * n).sum() / n.sum()) if len(x) else None, 0, req.lang), "measures": measures}


def protocol(req: Request) -> dict[str, Any]:
    """A collegium meeting: participants, agenda, reports, proposals and the instructions issued."""
    from bilim.governance import selectors as gov
    from bilim.governance.models import Meeting

    try:
        m = gov.get_meeting(req.code, req.user)
    except Meeting.DoesNotExist as e:
        raise ReportError(_("No meeting with code %(c)s") % {"c": req.code}) from e
    d = gov.meeting_detail(m, req.day, req.user)
    return {"m": d, "subject": d["title"]}


def control(req: Request) -> dict[str, Any]:
    """Instructions by responsible body, the overdue list and the on-time rate, on the report's day.

    CODE is a responsible body's code, or the republic's code for every body."""
    from bilim.governance import selectors as gov
    from bilim.registry.models import Kind

    unit = _unit(req.code, None)
    responsible = None if unit.kind == Kind.REPUBLIC else unit.code
    s = gov.control_summary(req.day, responsible=responsible, user=req.user)
    return {"s": s, "unit": unit, "subject": unit.name}


def projects(req: Request) -> dict[str, Any]:
    """Capital programme: projects, stages, delays and places added against the deficit (a region or the republic)."""
    from bilim.projects import selectors as prj
    from bilim.registry.models import Kind

    unit = _unit(req.code, None, (Kind.REPUBLIC, Kind.REGION))  # the projects are filtered to the reader's
    region = None if unit.kind == Kind.REPUBLIC else unit.code
    dash = prj.dashboard(req.day, region=region, user=req.user)
    items = prj.project_list(req.day, region=region, user=req.user)
    return {"unit": unit, "subject": unit.name, "d": dash, "items": items}


BUILDERS: dict[str, Callable[[Request], dict[str, Any]]] = {
    "passport": passport, "comparison": comparison, "equity": equity, "protocol": protocol, "control": control,
    "projects": projects,
}


def build(req: Request) -> dict[str, Any]:
    """The template context of `req` (ReportError for a bad subject, PermissionDenied outside the reader's rights)."""
    if req.kind not in BUILDERS:
        raise ReportError(_("Unknown report %(k)s; choose one of: %(all)s") % {"k": req.kind, "all": ", ".join(KINDS)})
    if req.mode not in ("current", "historical"):
        raise ReportError(_("Mode must be current or historical, not %(m)s") % {"m": req.mode})
    if req.user is not None and not perm.has_capability(req.user, FAMILY[req.kind]):
        raise PermissionDenied(_("Your role may not read %(f)s.") % {"f": FAMILY[req.kind]})
    try:
        ctx = BUILDERS[req.kind](req)
    except service.WarehouseMissing as e:
        ctx = {"template": "reports/unavailable.html", "warehouse_error": str(e), "subject": req.code}
    ctx.update({"kind": req.kind, "title": str(TITLES[req.kind]), "mode": req.mode, "day": req.day,
                "lang": req.lang, "code": req.code})
    return ctx
