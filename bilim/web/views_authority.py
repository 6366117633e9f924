"""Competence register pages: the competences, "who holds X over Y on D", a body's powers, a history."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from bilim.accounts.permissions import can_read_unit, filter_units, permission_required
from bilim.authority import selectors
from bilim.authority.models import Competence
from bilim.registry import selectors as registry
from bilim.registry.models import Kind, OrgUnit

from .views import _date_param


def _form_context(request: HttpRequest, day) -> dict:
    """Choices for the two forms: competences, and the bodies and territories (in the caller's scope)
    offered as suggestions."""
    bodies = filter_units(registry.units_on(day, Kind.AUTHORITY), request.user).order_by("code")
    territories = filter_units(registry.units_on(day).filter(kind__in=[Kind.REPUBLIC, Kind.REGION, Kind.DISTRICT]),
                               request.user).order_by("code")
    return {"competences": Competence.objects.all(), "bodies": bodies, "territories": territories}


def _example(request: HttpRequest, day) -> dict | None:
    """A ready-made question from the first delegation in force, so the page shows what it can answer."""
    d = selectors.active_delegations(day).order_by("valid_from", "id").first()
    if d is None or d.scope_unit is None or not can_read_unit(request.user, d.scope_unit):
        return None
    return {"competence": d.competence.code, "unit": d.scope_unit.code, "name": d.competence.name,
            "unit_name": d.scope_unit.name, "body": d.grantee.code, "body_name": d.grantee.name}


@permission_required("authority")
def competences(request: HttpRequest) -> HttpResponse:
    day = _date_param(request, "date")
    ctx = {"date": day, "rows": selectors.competence_list(day), "example": _example(request, day),
           **_form_context(request, day)}
    return render(request, "web/authority/competences.html", ctx)


def _unit(code: str, what: str) -> OrgUnit | None:
    return OrgUnit.objects.filter(code=code.strip()).first() if code and code.strip() else None


@permission_required("authority", unit_params=("unit",))
def holder(request: HttpRequest) -> HttpResponse:
    """Who holds competence X over unit Y on date D (a fragment for htmx, a page otherwise)."""
    day = _date_param(request, "date")
    q = {"competence": request.GET.get("competence", ""), "unit": request.GET.get("unit", "").strip()}
    errors = []
    answer = None
    comp = Competence.objects.filter(code=q["competence"]).first()
    if q["competence"] and comp is None:
        errors.append(_("No competence with code %(c)s.") % {"c": q["competence"]})
    unit = _unit(q["unit"], "unit")
    if q["unit"] and unit is None:
        errors.append(_("No org unit with code %(c)s.") % {"c": q["unit"]})
    if comp is not None and unit is not None:
        answer = selectors.holder_on(comp, unit, day).as_dict()
    ctx = {"date": day, "q": q, "errors": errors, "answer": answer}
    if request.headers.get("HX-Request"):
        return render(request, "web/authority/_holder_answer.html", ctx)
    ctx.update(_form_context(request, day))
    return render(request, "web/authority/holder.html", ctx)


@permission_required("authority", unit_params=("body",))
def powers(request: HttpRequest) -> HttpResponse:
    day = _date_param(request, "date")
    code = request.GET.get("body", "").strip()
    body = _unit(code, "body")
    ctx = {"date": day, "code": code, "body": body, **_form_context(request, day),
           "powers": selectors.powers_of(body, day) if body is not None else [],
           "error": _("No org unit with code %(c)s.") % {"c": code} if code and body is None else ""}
    return render(request, "web/authority/powers.html", ctx)


@permission_required("authority")
def competence_history(request: HttpRequest, code: str) -> HttpResponse:
    comp = Competence.objects.filter(code=code).first()
    if comp is None:
        raise Http404(_("No competence with code %(c)s") % {"c": code})
    return render(request, "web/authority/history.html",
                  {"competence": comp, "events": selectors.competence_history(comp)})
