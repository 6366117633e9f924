"""Competence register write pages: a new competence, its reassignment by an act, a delegation and
its revocation. Thin over `authority.services`; after a delegation or a revocation the page shows the
holder answer for the scope, computed afresh (nothing about holders is cached)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from bilim.accounts.permissions import (
    WRITE,
    can_write_unit,
    filter_units,
    has_capability,
    permission_required,
)
from bilim.authority import selectors, services
from bilim.authority.models import Competence, Delegation
from bilim.registry import selectors as registry
from bilim.registry.models import Kind

from .forms_writes import AssignmentForm, CompetenceForm, DelegationForm, RevocationForm


def _suggestions(request: HttpRequest):
    qs = registry.units_on(dt.date.today()).filter(kind__in=[Kind.REPUBLIC, Kind.REGION, Kind.DISTRICT,
                                                            Kind.AUTHORITY])
    return filter_units(qs, request.user).order_by("code")[:3000]


def _require_writable(request: HttpRequest, units) -> None:
    for unit in units:
        if unit is not None and not can_write_unit(request.user, unit, "authority"):
            raise PermissionDenied(_("%(code)s is outside your scope") % {"code": unit.code})


def _competence(code: str) -> Competence:
    comp = Competence.objects.filter(code=code).first()
    if comp is None:
        raise Http404(_("No competence with code %(c)s") % {"c": code})
    return comp


@permission_required("authority", WRITE)
def competence_new(request: HttpRequest) -> HttpResponse:
    form = CompetenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        act = d.pop("legal_act")
        try:
            comp = services.create_competence(act=act, actor=request.user.username, **d)
        except ValidationError as e:
            form.place(e)
        else:
            return redirect("web:competence_history", code=comp.code)
    return render(request, "web/authority_writes/form.html", {
        "form": form, "title": _("New competence"), "form_id": "competence-form"})


@permission_required("authority", WRITE)
def competence_assign(request: HttpRequest, code: str) -> HttpResponse:
    comp = _competence(code)
    form = AssignmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.reassign_competence(comp, d["level"], d["body_subtype"], d["valid_from"], d["legal_act"],
                                         request.user.username)
        except ValidationError as e:
            form.place(e)
        else:
            return redirect("web:competence_history", code=comp.code)
    return render(request, "web/authority_writes/form.html", {
        "form": form, "competence": comp, "form_id": "assignment-form",
        "title": _("New assignment of “%(c)s”") % {"c": comp.name}})


@permission_required("authority")
def delegation_list(request: HttpRequest) -> HttpResponse:
    from bilim.accounts.permissions import scoped_unit_ids

    qs = (Delegation.objects.select_related("competence", "grantor", "grantee", "scope_unit", "legal_act",
                                            "revocation").order_by("-valid_from", "-id"))
    ids = scoped_unit_ids(request.user)
    rows = [d for d in qs[:1000] if ids is None or ids & {d.grantor_id, d.grantee_id, d.scope_unit_id}]
    return render(request, "web/authority_writes/delegations.html", {
        "rows": rows, "can_write": has_capability(request.user, "authority", WRITE), "today": dt.date.today()})


def _holder_url(comp: Competence, unit, day: dt.date) -> str:
    return reverse("web:holder") + "?" + urlencode({"competence": comp.code, "unit": unit.code,
                                                     "date": day.isoformat()})


@permission_required("authority", WRITE)
def delegation_new(request: HttpRequest) -> HttpResponse:
    """Delegate a power for a period; then the holder answer for the scope on its first day."""
    form = DelegationForm(request.POST or None, initial={"competence": request.GET.get("competence")})
    if request.method == "POST" and form.is_valid():
        d, u = form.cleaned_data, form.units
        try:
            _require_writable(request, [u["grantor"], u["grantee"], u["scope_unit"], *u["organizations"]])
            deleg = services.delegate(d["competence"], u["grantor"], u["grantee"], d["valid_from"], d["legal_act"],
                                      scope_unit=u["scope_unit"], organizations=u["organizations"],
                                      valid_to=d.get("valid_to"), note_kk=d["note_kk"], note_ru=d["note_ru"],
                                      note_en=d["note_en"], actor=request.user.username)
        except ValidationError as e:
            form.place(e)
        else:
            target = deleg.scope_unit or deleg.organizations.order_by("code").first()
            return redirect(_holder_url(deleg.competence, target, deleg.valid_from))
    return render(request, "web/authority_writes/form.html", {
        "form": form, "title": _("Delegate a power"), "form_id": "delegation-form", "units": _suggestions(request)})


@permission_required("authority", WRITE)
def delegation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    deleg = (Delegation.objects.select_related("competence", "grantor", "grantee", "scope_unit", "legal_act")
             .filter(pk=pk).first())
    if deleg is None:
        raise Http404(_("No delegation with id %(id)s") % {"id": pk})
    _require_writable(request, [deleg.grantor])
    form = RevocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.revoke(deleg, d["effective_date"], d["legal_act"], d["reason_kk"], d["reason_ru"],
                            d["reason_en"], request.user.username)
        except ValidationError as e:
            form.place(e)
        else:
            target = deleg.scope_unit or deleg.organizations.order_by("code").first()
            return redirect(_holder_url(deleg.competence, target, d["effective_date"]))
    return render(request, "web/authority_writes/form.html", {
        "form": form, "delegation": selectors.delegation_dict(deleg), "form_id": "revocation-form",
        "title": _("Revoke delegation #%(id)s") % {"id": deleg.pk}})
