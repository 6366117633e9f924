"""Meetings, instructions and the control dashboard: thin over `bilim.governance.selectors`, which
restricts every list and detail to the signed-in user's scope (a record outside it: 403)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from bilim.accounts.permissions import permission_required
from bilim.governance import selectors
from bilim.governance.models import Instruction, Meeting, Status
from bilim.registry.selectors import republic_code

from .views import _date_param


@permission_required("governance")
def meetings(request: HttpRequest) -> HttpResponse:
    return render(request, "web/governance/meetings.html", {"meetings": selectors.meeting_list(request.user)})


@permission_required("governance")
def meeting(request: HttpRequest, code: str) -> HttpResponse:
    try:
        m = selectors.get_meeting(code, request.user)
    except Meeting.DoesNotExist as e:
        raise Http404(_("No meeting with code %(c)s") % {"c": code}) from e
    day = _date_param(request)
    d = selectors.meeting_detail(m, day, user=request.user)
    d["instructions"].sort(key=lambda r: (int(r["number"]) if r["number"].isdigit() else 10**6, r["code"]))
    plenary = [a for a in d["agenda"] if a["part"] == "plenary"]
    sections = [a for a in d["agenda"] if a["part"] == "section"]
    by_item: dict[int | None, list] = {}
    for r in d["reports"]:
        by_item.setdefault(r["agenda_item"], []).append(r)
    for a in d["agenda"]:
        a["reports"] = by_item.get(a["order"], [])
    return render(request, "web/governance/meeting.html", {
        "m": d, "as_of": day, "plenary": plenary, "sections": sections,
        "loose_reports": by_item.get(None, []),
    })


def _bool_param(text: str | None) -> bool | None:
    return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}.get((text or "").lower())


@permission_required("governance", unit_params=("responsible",))
def instructions(request: HttpRequest) -> HttpResponse:
    day = _date_param(request)
    f = {k: request.GET.get(k, "") for k in ("status", "responsible", "overdue", "meeting")}
    status = f["status"] if f["status"] in Status.values else None
    rows = selectors.instruction_list(day, status=status, responsible=f["responsible"] or None,
                                      overdue=_bool_param(f["overdue"]), meeting=f["meeting"] or None,
                                      user=request.user)
    return render(request, "web/governance/instructions.html", {
        "rows": rows, "f": f, "as_of": day, "statuses": Status.choices,
        "bodies": selectors.bodies_with_instructions(request.user),
        "meetings": selectors.meeting_list(request.user),
    })


def _trend_compute():
    """The analytics engine's compute(codes, ou_code, periods) for linked indicators, if it is wired in."""
    try:
        from . import analytics_bridge
    except ImportError:  # pragma: no cover - analytics service not installed yet
        return None
    return analytics_bridge.trend_compute


@permission_required("governance")
def instruction(request: HttpRequest, code: str) -> HttpResponse:
    try:
        ins = selectors.get_instruction(code, request.user)
    except Instruction.DoesNotExist as e:
        raise Http404(_("No instruction with code %(c)s") % {"c": code}) from e
    day = _date_param(request)
    d = selectors.instruction_detail(ins, day)
    trend, trend_error = [], ""
    compute = _trend_compute()
    if compute is not None and ins.indicator_codes and ins.org_unit_id:
        try:
            from . import analytics_bridge

            known = set(analytics_bridge.service.periods_known())
            periods = [p for p in selectors.school_years_between(ins.issued_on, day) if p in known]
            trend = selectors.indicator_trend(ins, compute, day, periods=periods) if periods else []
            for t in trend:
                t["name"] = analytics_bridge.indicator_name(t["code"])
        except Exception as e:  # noqa: BLE001 - the page stays useful without the warehouse
            trend_error = str(e)
    trend_chart = {"periods": [s["period"] for s in trend[0]["series"]] if trend else [],
                   "series": [{"name": t["code"], "data": [s["value"] for s in t["series"]]} for t in trend]}
    labels = dict(Status.choices)
    for h in d["status_history"]:
        h["from_label"], h["to_label"] = labels.get(h["from"], h["from"]), labels.get(h["to"], h["to"])
    return render(request, "web/governance/instruction.html", {
        "i": d, "as_of": day, "trend": trend, "trend_error": trend_error, "trend_chart": trend_chart,
        "projects": selectors.linked_projects(ins, request.user),
    })


@permission_required("governance", unit_params=("responsible",))
def control(request: HttpRequest) -> HttpResponse:
    day = _date_param(request)
    f = {k: request.GET.get(k, "") for k in ("meeting", "responsible")}
    s = selectors.control_summary(day, responsible=f["responsible"] or None, meeting=f["meeting"] or None,
                                  user=request.user)
    statuses = [(v, str(lab)) for v, lab in Status.choices]
    chart = {
        "bodies": [r["body"]["name"] for r in s["by_body"]],
        "series": [{"key": v, "name": lab, "data": [r[v] for r in s["by_body"]]} for v, lab in statuses],
        "overdue": {"name": str(_("Overdue")), "data": [r["overdue"] for r in s["by_body"]]},
    }
    return render(request, "web/governance/control.html", {
        "s": s, "as_of": day, "f": f, "statuses": statuses, "chart": chart,
        "chart_height": 90 + 46 * max(1, len(s["by_body"])),
        "meetings": selectors.meeting_list(request.user), "bodies": selectors.bodies_with_instructions(request.user),
        "report_code": f["responsible"] or republic_code(),
    })
