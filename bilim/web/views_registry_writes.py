"""Registry write pages: legal acts, restructuring events (preview, then apply) and their reversal.

Thin: a form collects the input, `registry.events` previews or records it. A preview is shown with
the same form and a fingerprint of its contents; Apply records the event only if the form still
says what was previewed (otherwise the page previews again), so what is applied is what was seen.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from bilim.accounts.permissions import (
    BY_METHOD,
    WRITE,
    filter_units,
    has_capability,
    permission_required,
)
from bilim.registry import events
from bilim.registry import selectors as registry
from bilim.registry.api import require_plan_units
from bilim.registry.models import Kind, LegalAct, Restructuring

from .forms_writes import EventForm, LegalActForm, ReversalForm

EK = Restructuring.EventKind


def _suggestions(request: HttpRequest):
    """Codes offered in the datalist: the territories and authorities of the caller's scope."""
    import datetime as dt

    qs = registry.units_on(dt.date.today()).filter(kind__in=[Kind.REPUBLIC, Kind.REGION, Kind.DISTRICT,
                                                            Kind.AUTHORITY])
    return filter_units(qs, request.user).order_by("code")[:3000]


def _writer(request: HttpRequest) -> bool:
    return has_capability(request.user, "registry", WRITE)


@permission_required("registry", BY_METHOD)
def legal_acts(request: HttpRequest) -> HttpResponse:
    """The acts, newest first, searchable; a writer registers a new one here."""
    form = LegalActForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            act = events.create_act(request.user.username, **form.cleaned_data)
        except ValidationError as e:
            for name, msgs in getattr(e, "message_dict", {"__all__": e.messages}).items():
                form.add_error(name if name in form.fields else None, msgs)
        else:
            return redirect(f"{request.path}?created={act.pk}")
    q = request.GET.get("q", "").strip()
    qs = LegalAct.objects.order_by("-date", "-id")
    if q:
        from django.db.models import Q

        qs = qs.filter(Q(number__icontains=q) | Q(issuer__icontains=q) | Q(title_kk__icontains=q)
                       | Q(title_ru__icontains=q) | Q(title_en__icontains=q))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    created = LegalAct.objects.filter(pk=request.GET.get("created") or 0).first() if \
        (request.GET.get("created") or "").isdigit() else None
    return render(request, "web/registry_writes/acts.html", {
        "form": form, "page": page, "q": q, "can_write": _writer(request), "created": created})


def _visible_events(request: HttpRequest):
    return registry.events_visible_to(request.user)


@permission_required("registry")
def event_list(request: HttpRequest) -> HttpResponse:
    qs = _visible_events(request).order_by("-effective_date", "-id")
    kind = request.GET.get("kind", "")
    if kind in EK.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/registry_writes/events.html", {
        "page": page, "kinds": EK.choices, "kind": kind, "can_write": _writer(request)})


def _preview_or_apply(request: HttpRequest, form, make_plan, template: str, ctx: dict) -> HttpResponse:
    """POST `preview`: show what would change; POST `apply` with the previewed fingerprint: record it."""
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            plan = make_plan(form)
            require_plan_units(request.user, plan)
            if request.POST.get("action") == "apply" and request.POST.get("previewed") == form.fingerprint():
                event = events.apply(plan, request.user.username)
                return redirect("web:event", pk=event.pk)
            if request.POST.get("action") == "apply":
                ctx["changed_since_preview"] = True
            preview = events.preview(plan)
        except ValidationError as e:
            form.place(e)
    ctx.update({"form": form, "preview": preview, "fingerprint": form.fingerprint() if preview else "",
                "units": _suggestions(request)})
    return render(request, template, ctx)


@permission_required("registry", WRITE)
def event_new(request: HttpRequest, kind: str) -> HttpResponse:
    """A form for one kind of event; Preview shows what it would change, Apply records it."""
    if kind not in EK.values:
        raise Http404(_("Unknown event kind"))
    form = EventForm(kind, request.POST or None, initial={"legal_act": request.GET.get("act")})

    def make_plan(f: EventForm) -> events.EventPlan:
        if f.plan is None:
            raise ValidationError(_("The form is incomplete."))
        return f.plan

    label = dict(EK.choices)[kind]
    return _preview_or_apply(request, form, make_plan, "web/registry_writes/event_form.html",
                             {"kind": kind, "kind_label": label, "kinds": EK.choices})


def _event_or_404(request: HttpRequest, pk: int) -> Restructuring:
    ev = _visible_events(request).filter(pk=pk).first()
    if ev is None:
        if Restructuring.objects.filter(pk=pk).exists():
            raise PermissionDenied(_("This event concerns no unit of your scope"))
        raise Http404(_("No restructuring event with this number."))
    return ev


@permission_required("registry")
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ev = _event_or_404(request, pk)
    return render(request, "web/registry_writes/event.html", {
        "event": ev, "data": events.event_dict(ev), "can_write": _writer(request),
        "reversible": ev.kind in (EK.MOVE, EK.TRANSFER, EK.RENAME),
        "form": ReversalForm(), "subjects": ev.subjects.order_by("code")[:200]})


@permission_required("registry", WRITE)
def event_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    ev = _event_or_404(request, pk)
    form = ReversalForm(request.POST or None)

    def make_plan(f: ReversalForm) -> events.EventPlan:
        return events.plan_from_data({"kind": events.REVERSE, "effective_date": f.cleaned_data["effective_date"],
                                      "legal_act": f.cleaned_data["legal_act"].pk, "reverses": ev.pk})

    return _preview_or_apply(request, form, make_plan, "web/registry_writes/event_reverse.html",
                             {"event": ev, "data": events.event_dict(ev)})
