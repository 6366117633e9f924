"""Thin page views: data entry, validation results, approval and completeness."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bilim.accounts.permissions import (
    BY_METHOD,
    READ,
    WRITE,
    permission_required,
    require_unit,
    require_values,
    scoped_unit_ids,
    values_reader,
)
from bilim.metadata import periods
from bilim.metadata.models import DataSet
from bilim.registry.models import Kind, OrgUnit

from . import entry as grid
from . import rules, selectors, services
from .models import ApprovalStep, Status

VALIDATION_UNIT_CAP = 300


def _resolve(data_set: str, ou_code: str | None, period: str):
    ds = DataSet.objects.filter(code=data_set).first()
    if ds is None:
        raise Http404(_("No form with code %(c)s") % {"c": data_set})
    try:
        pe = periods.parse(period)
    except periods.PeriodError as e:
        raise Http404(str(e)) from e
    unit = None
    if ou_code is not None:
        unit = OrgUnit.objects.filter(code=ou_code).first()
        if unit is None:
            raise Http404(_("No org unit with code %(c)s") % {"c": ou_code})
    return ds, unit, pe.code


def _row_choice(request: HttpRequest) -> dict[str, str]:
    return {k[5:]: v for k, v in request.GET.items() if k.startswith("rows_")}


def _actions(request: HttpRequest, ds: DataSet, unit: OrgUnit, period: str) -> dict:
    """Which workflow buttons to show for `unit` to this user."""
    tree = selectors.form_tree(ds, period)
    status = selectors.status_of(ds, period, unit)
    parent_id = tree.parent.get(unit.pk)
    above = OrgUnit.objects.filter(pk=parent_id).first() if parent_id else unit
    reporter = unit.pk in tree.reporters
    can_self = services._may_act_for(request.user, unit, tree.day)
    can_above = services._may_act_for(request.user, above, tree.day)
    may_approve = not reporter and unit.pk in tree.participating and status == Status.OPEN and can_self
    pending = selectors.pending_below(ds, period, unit) if may_approve else []
    return {
        "status": status,
        "reporter": reporter,
        "participating": unit.pk in tree.participating,
        "can_submit": reporter and status == Status.OPEN and can_self,
        "can_approve": may_approve and not pending,
        # shown as a disabled Approve button with the reason, so the approver knows what to wait for
        "approve_blocked": may_approve and bool(pending),
        "pending": pending[:10],
        "pending_count": len(pending),
        "can_return": status != Status.OPEN and can_above,
        "above": above,
        "deadline": selectors.deadline(ds, period),
    }


def _links(ds: DataSet, period: str, unit_code: str, keys) -> list[dict]:
    url = reverse("approval:entry", args=[ds.code, unit_code, period])
    out = []
    for k in keys:
        cats = dict(p.split("=", 1) for p in k.disaggregation.split(",") if p)
        shown = set(cats) - {"SEX"}
        anchor = (grid.Cell(f"{k.data_element}:{k.disaggregation}", cats).anchor
                  if k.stored and len(shown) <= 1 and k.period == period else f"de-{k.data_element}")
        target = url if k.period == period else reverse("approval:entry", args=[ds.code, unit_code, k.period])
        out.append({"label": f"{k.data_element} {k.period} {k.disaggregation}".strip(), "url": f"{target}#{anchor}"})
    return out


@permission_required("data")
def index(request: HttpRequest) -> HttpResponse:
    forms = DataSet.objects.order_by("code")
    ds, ou, pe = (request.GET.get(k, "").strip() for k in ("data_set", "ou", "period"))
    if ds and pe:
        page = request.GET.get("page", "entry")
        if page == "completeness":
            return redirect(reverse("approval:completeness", args=[ds, pe]) + (f"?ou={ou}" if ou else ""))
        if ou and page in ("entry", "approval", "validation"):
            return redirect(reverse(f"approval:{page}", args=[ds, ou, pe]))
    return render(request, "approval/index.html", {"forms": forms, "values": {"data_set": ds, "ou": ou,
                                                                                 "period": pe}})


@permission_required("data", BY_METHOD)
def entry(request: HttpRequest, data_set: str, ou_code: str, period: str) -> HttpResponse:
    """The grid: GET reads (scope, and the approval rule for unapproved values), POST writes."""
    ds, unit, code = _resolve(data_set, ou_code, period)
    require_unit(request.user, unit, WRITE if request.method == "POST" else READ)
    require_values(request.user, unit, ds, code)
    if code != period:
        return redirect("approval:entry", ds.code, unit.code, code)
    choice = _row_choice(request)
    result = None
    closed = selectors.entry_closed_reason(ds, code)
    if request.method == "POST" and closed:
        messages.error(request, closed)
    elif request.method == "POST":
        post = {k: v for k, v in request.POST.items()}
        result = grid.save_cells(ds, unit, code, post, request.user.get_username())
        if not result.errors:
            messages.success(request, _("%(n)d value(s) saved, %(d)d deleted.") % {"n": result.saved,
                                                                                   "d": result.deleted})
            query = urlencode({f"rows_{k}": v for k, v in choice.items()})
            return redirect(reverse("approval:entry", args=[ds.code, unit.code, code]) + (f"?{query}" if query else ""))
    grids = grid.build_grid(ds, unit, code, choice)
    if result is not None:
        grid.apply_post(grids, dict(request.POST.items()), result)
    violations = rules.run_validation(ds, unit, code)
    try:
        prev = periods.parse(code).shift(-1).code
    except periods.PeriodError:
        prev = ""
    ctx = {
        "ds": ds, "unit": unit, "period": code, "previous_period": prev, "grids": grids, "result": result,
        "locked": services.is_locked(unit, code, ds) or bool(closed),
        "closed": closed,
        "violations": [(v, _links(ds, code, unit.code, v.links)) for v in violations],
        "outliers": rules.find_outliers(ds, unit, code),
        "blocking": sum(v.importance == "blocking" for v in violations),
        "actions": _actions(request, ds, unit, code),
        "row_choice": choice,
    }
    status = 409 if result is not None and result.conflicts else (
        400 if result is not None or (closed and request.method == "POST") else 200)
    return render(request, "approval/entry.html", ctx, status=status)


@permission_required("data", WRITE)
@require_POST
def action(request: HttpRequest, data_set: str, ou_code: str, period: str) -> HttpResponse:
    """Submit, approve or return: the unit must be in the caller's scope; the workflow services then
    check that the caller acts for the right level (a district approves its district, ...)."""
    ds, unit, code = _resolve(data_set, ou_code, period)
    require_unit(request.user, unit, WRITE)
    what = request.POST.get("action", "")
    nxt = request.POST.get("next") or reverse("approval:approval", args=[ds.code, unit.code, code])
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    try:
        if what == "submit":  # blocking validation rules are checked by services.submit
            services.submit(ds, unit, code, request.user)
            messages.success(request, _("Form submitted: %(u)s") % {"u": unit.code})
        elif what == "approve":
            services.approve(ds, unit, code, request.user)
            messages.success(request, _("Approved: %(u)s") % {"u": unit.code})
        elif what == "unapprove":
            services.unapprove(ds, unit, code, request.POST.get("reason", ""), request.user,
                               cascade=request.POST.get("cascade") == "1")
            messages.success(request, _("Returned: %(u)s") % {"u": unit.code})
        else:
            raise Http404(_("Unknown action"))
    except services.ApprovalError as e:
        messages.error(request, str(e))
    except PermissionDenied as e:
        messages.error(request, str(e) or _("Not allowed for your role or scope"))
    return redirect(nxt)


def _in_scope(request: HttpRequest, ids):
    """`ids` restricted to the caller's scope (all of them for national accounts)."""
    allowed = scoped_unit_ids(request.user)
    return list(ids) if allowed is None else [i for i in ids if i in allowed]


@permission_required("data")
def approval(request: HttpRequest, data_set: str, ou_code: str, period: str) -> HttpResponse:
    ds, unit, code = _resolve(data_set, ou_code, period)
    require_unit(request.user, unit)
    tree = selectors.form_tree(ds, code)
    kids = _in_scope(request, tree.participating_children(unit.pk))
    st = selectors.states(ds, code, set(kids) | {unit.pk})
    rows = []
    for kid in OrgUnit.objects.filter(pk__in=kids).order_by("code"):
        s = st.get(kid.pk)
        rows.append({"unit": kid, "status": s.status if s else Status.OPEN, "reason": s.reason if s else "",
                     "done": selectors.is_done(kid.pk, tree, st), "reporter": kid.pk in tree.reporters,
                     "can_return": bool(s and s.status != Status.OPEN
                                        and services._may_act_for(request.user, unit, tree.day))})
    own = st.get(unit.pk)
    steps = ApprovalStep.objects.filter(state__data_set=ds, state__period=code, state__org_unit=unit) if own else []
    parent = OrgUnit.objects.filter(pk=tree.parent.get(unit.pk)).first()
    ctx = {"ds": ds, "unit": unit, "period": code, "rows": rows, "steps": steps, "state": own, "parent": parent,
           "actions": _actions(request, ds, unit, code), "pending": sum(not r["done"] for r in rows)}
    return render(request, "approval/approval.html", ctx)


@permission_required("data")
def validation(request: HttpRequest, data_set: str, ou_code: str, period: str) -> HttpResponse:
    """Validation results of the reporters under a unit: only those in scope whose values the caller may
    read (unapproved values stay with the levels that may see them); the others are counted as hidden."""
    ds, unit, code = _resolve(data_set, ou_code, period)
    require_unit(request.user, unit)
    tree = selectors.form_tree(ds, code)
    ids = _in_scope(request, tree.reporters_under(unit.pk))
    units = list(OrgUnit.objects.filter(pk__in=ids).order_by("code")[:VALIDATION_UNIT_CAP])
    readable = values_reader(request.user, ds, code)
    shown = [u for u in units if readable(u)]
    results = []
    for u in shown:
        found = rules.run_validation(ds, u, code)
        if found:
            results.append({"unit": u, "violations": [(v, _links(ds, code, u.code, v.links)) for v in found]})
    outliers = rules.find_outliers(ds, unit, code) if unit.pk in tree.reporters and readable(unit) else []
    ctx = {"ds": ds, "unit": unit, "period": code, "results": results, "checked": len(shown),
           "hidden": len(units) - len(shown),
           "capped": len(ids) > VALIDATION_UNIT_CAP, "outliers": outliers,
           "violations_total": sum(len(r["violations"]) for r in results)}
    return render(request, "approval/validation.html", ctx)


def _default_unit(request: HttpRequest) -> OrgUnit | None:
    """The republic for national accounts, else the root of the caller's scope."""
    if scoped_unit_ids(request.user) is None or request.user.scope_id is None:
        return OrgUnit.objects.filter(kind=Kind.REPUBLIC).first()
    return request.user.scope


@permission_required("data")
def completeness(request: HttpRequest, data_set: str, period: str) -> HttpResponse:
    """Completeness under a unit in the caller's scope; the rows and the missing list show only units in scope."""
    ou = request.GET.get("ou") or ""
    ds, _unit, code = _resolve(data_set, None, period)
    unit = OrgUnit.objects.filter(code=ou).first() if ou else _default_unit(request)
    if unit is None:
        raise Http404(_("No org unit with code %(c)s") % {"c": ou})
    require_unit(request.user, unit)
    c = selectors.completeness(ds, code, unit).visible_to(request.user)
    region_data = [{"name": r.code, "value": r.completeness, "label": r.name, "expected": r.expected,
                    "reported": r.reported} for r in c.children if r.kind == Kind.REGION]
    missing_points = [{"name": f"{m.code} {m.name}", "value": [m.lon, m.lat]} for m in c.missing
                      if m.lat is not None and m.lon is not None]
    ctx = {"ds": ds, "unit": unit, "period": code, "c": c, "forms": DataSet.objects.order_by("code"),
           "map_data": {"regions": region_data, "missing": missing_points[:5000]},
           "show_map": bool(region_data or missing_points)}
    return render(request, "approval/completeness.html", ctx)
