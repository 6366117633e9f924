"""Capital programme pages: dashboard by region and type, project list, project card, project map.

Thin over `bilim.projects.selectors`, which restricts every list, aggregate and card to the signed-in
user's scope (a project outside it: 403)."""

from __future__ import annotations

import math

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from bilim.accounts.permissions import filter_units, permission_required
from bilim.projects import selectors
from bilim.projects.models import Project, ProjectStatus, ProjectType
from bilim.registry import selectors as registry
from bilim.registry.models import Kind, OrgUnit
from bilim.registry.selectors import republic_code

from .views import _date_param

STATUS_COLORS = {"planned": "#8aa4bf", "design": "#c98a00", "construction": "#0b5c8e", "completed": "#1e7b34",
                 "suspended": "#b3261e", "cancelled": "#7d8793"}


def _filters(request: HttpRequest) -> dict[str, str]:
    f = {k: request.GET.get(k, "") for k in ("region", "type", "status", "year")}
    if f["type"] not in ProjectType.values:
        f["type"] = ""
    if f["status"] not in ProjectStatus.values:
        f["status"] = ""
    if not f["year"].isdigit():
        f["year"] = ""
    return f


def _choices(day, user) -> dict:
    return {"regions": filter_units(registry.units_on(day, Kind.REGION), user).order_by("code"),
            "types": ProjectType.choices, "project_statuses": ProjectStatus.choices}


@permission_required("projects", unit_params=("region",))
def dashboard(request: HttpRequest) -> HttpResponse:
    day = _date_param(request)
    f = _filters(request)
    d = selectors.dashboard(day, region=f["region"] or None, year=int(f["year"]) if f["year"] else None,
                            user=request.user)
    years = sorted({y for y in selectors.projects_for(request.user).values_list("budget_lines__year", flat=True)
                    if y})
    chart = {
        "regions": [r["region"]["name"] if r["region"] else "—" for r in d["by_region"]],
        "planned": [round(r["planned"] / 1e6, 1) for r in d["by_region"]],
        "spent": [round(r["spent"] / 1e6, 1) for r in d["by_region"]],
        "places_planned": [r["places_planned"] for r in d["by_region"]],
        "places_added": [r["places_added"] for r in d["by_region"]],
        "types": [r["type_label"] for r in d["by_type"]],
        "type_planned": [round(r["planned"] / 1e6, 1) for r in d["by_type"]],
        "type_spent": [round(r["spent"] / 1e6, 1) for r in d["by_type"]],
        "labels": {"planned": str(_("Planned, mln KZT")), "spent": str(_("Spent, mln KZT")),
                   "places_planned": str(_("Places planned")), "places_added": str(_("Places added"))},
    }
    type_labels = dict(ProjectType.choices)
    for r in d["by_region_type"]:
        r["type_label"] = type_labels.get(r["type"], r["type"])
    return render(request, "web/projects/dashboard.html", {
        "d": d, "f": f, "as_of": day, "years": years, "chart": chart, **_choices(day, request.user),
        "chart_height": 90 + 52 * max(1, len(d["by_region"])),
        "type_chart_height": 90 + 52 * max(1, len(d["by_type"])),
        "report_code": f["region"] or republic_code(),
    })


@permission_required("projects", unit_params=("region",))
def project_list(request: HttpRequest) -> HttpResponse:
    day = _date_param(request)
    f = _filters(request)
    rows = selectors.project_list(day, region=f["region"] or None, type=f["type"] or None,
                                  status=f["status"] or None, user=request.user)
    return render(request, "web/projects/list.html", {"rows": rows, "f": f, "as_of": day,
                                                      **_choices(day, request.user)})


@permission_required("projects")
def project(request: HttpRequest, code: str) -> HttpResponse:
    try:
        p = selectors.get_project(code, request.user)
    except Project.DoesNotExist as e:
        raise Http404(_("No project with code %(c)s") % {"c": code}) from e
    day = _date_param(request)
    d = selectors.project_detail(p, day, user=request.user)
    labels = dict(ProjectStatus.choices)
    for h in d["status_history"]:
        h["from_label"], h["to_label"] = labels.get(h["from"], h["from"]), labels.get(h["to"], h["to"])
    chart = {"years": [b["year"] for b in d["budget"]],
             "planned": [round(b["planned"] / 1e6, 1) for b in d["budget"]],
             "spent": [round(b["spent"] / 1e6, 1) for b in d["budget"]],
             "labels": {"planned": str(_("Planned, mln KZT")), "spent": str(_("Spent, mln KZT"))}}
    return render(request, "web/projects/project.html", {"p": d, "as_of": day, "chart": chart})


def _spread(points: list[dict], radius: float) -> None:
    """Projects closer than `radius` degrees (a city's projects on the national map, or several at one
    centroid) are fanned out on a circle around their centre so that each stays visible and clickable."""
    clusters: list[list[dict]] = []
    for pt in points:
        for c in clusters:
            if abs(c[0]["lat"] - pt["lat"]) < radius and abs(c[0]["lon"] - pt["lon"]) < radius * 1.4:
                c.append(pt)
                break
        else:
            clusters.append([pt])
    for c in clusters:
        if len(c) < 2:
            continue
        lat = sum(p["lat"] for p in c) / len(c)
        lon = sum(p["lon"] for p in c) / len(c)
        r = radius * (1 + len(c) / 12)
        for k, pt in enumerate(c):
            angle = 2 * math.pi * k / len(c)
            pt["lat"] = lat + r * math.sin(angle)
            pt["lon"] = lon + r * 1.4 * math.cos(angle)
            pt["approximate"] = True


@permission_required("projects", unit_params=("region",))
def project_map(request: HttpRequest) -> HttpResponse:
    day = _date_param(request)
    f = _filters(request)
    region = f["region"] or None
    points = selectors.project_map(day, region=region, user=request.user)
    placed = {pt["code"] for pt in points}
    status_labels, type_labels = dict(ProjectStatus.choices), dict(ProjectType.choices)
    titles = {}
    for s in selectors.project_list(day, region=region, user=request.user):
        titles[s["code"]] = s
        if s["code"] in placed or not s["region"]:
            continue
        reg = OrgUnit.objects.filter(code=s["region"]["code"]).first()
        if reg is not None and reg.lat is not None and reg.lon is not None:  # the region's centroid
            points.append({"code": s["code"], "title": s["title"], "type": s["type"], "status": s["status"],
                           "region": reg.code, "places": s["places"], "lat": reg.lat, "lon": reg.lon,
                           "approximate": True})
    for pt in points:
        pt["status_label"] = str(status_labels.get(pt["status"], pt["status"]))
        pt["type_label"] = str(type_labels.get(pt["type"], pt["type"]))
        pt["url"] = f"/projects/{pt['code']}/"
        pt.setdefault("approximate", False)
    located = {p["code"] for p in points}
    unplaced = [s for c, s in titles.items() if c not in located
                and (not f["type"] or s["type"] == f["type"]) and (not f["status"] or s["status"] == f["status"])]
    if f["type"]:
        points = [p for p in points if p["type"] == f["type"]]
    if f["status"]:
        points = [p for p in points if p["status"] == f["status"]]
    points.sort(key=lambda p: p["code"])
    _spread(points, 0.012 if region else 0.45)
    statuses = [{"key": k, "name": str(v), "color": STATUS_COLORS.get(k, "#555")} for k, v in ProjectStatus.choices]
    return render(request, "web/projects/map.html", {
        "points": points, "f": f, "as_of": day, **_choices(day, request.user),
        "map_data": {"points": points, "statuses": statuses, "focus": region or "",
                     "labels": {"places": str(_("places")), "approximate": str(_("approximate location"))}},
        "unplaced": unplaced,
    })
