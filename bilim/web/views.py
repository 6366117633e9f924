"""Thin page views: read with selectors, render templates. No business rules here."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bilim.accounts.permissions import filter_units, no_permission_required, permission_required, require_unit
from bilim.exchange.safecell import row as safe_row
from bilim.registry import selectors
from bilim.registry.models import Area, Kind, OrgType, OrgUnit
from bilim.web.analytics_bridge import national_aggregates


def _date_param(request: HttpRequest, name: str = "as_of") -> dt.date:
    text = request.GET.get(name)
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise Http404(_("Bad date: %(d)s") % {"d": text}) from e


@permission_required("analytics")
@national_aggregates
def home(request: HttpRequest) -> HttpResponse:
    """A school, district or region account starts on its work; everyone else on the national overview."""
    from . import overview, workspace

    if workspace.has_workspace(request.user):
        return workspace.render_workspace(request)
    return overview.render_overview(request)


@permission_required("analytics")
@national_aggregates
def national_overview(request: HttpRequest) -> HttpResponse:
    """The national overview for every analytics reader (the home of the ministry and the public)."""
    from . import overview

    return overview.render_overview(request)


@no_permission_required("changes only the caller's interface language (also on the login page)")
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the user (signed in) and in a cookie."""
    from django.conf import settings
    from django.utils import translation

    from bilim.accounts.services import set_language as remember

    lang = request.POST.get("language", "")
    nxt = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    response = redirect(nxt)
    if lang in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            remember(request.user, lang)
        translation.activate(lang)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


REGISTRY_PAGE = 50


def _registry_queryset(request: HttpRequest):
    """Organizations open on `as_of` in the caller's scope (today's subtree), with the page's filters."""
    day = _date_param(request)
    qs = filter_units(selectors.units_on(day, Kind.ORGANIZATION), request.user)
    f = {k: request.GET.get(k, "") for k in ("q", "type", "area", "lang", "region")}
    if f["q"]:
        q = f["q"]
        qs = qs.filter(Q(code__icontains=q) | Q(name_kk__icontains=q) | Q(name_ru__icontains=q) | Q(name_en__icontains=q))
    if f["type"]:
        qs = qs.filter(org_type=f["type"])
    if f["area"]:
        qs = qs.filter(area=f["area"])
    if f["lang"]:
        qs = qs.filter(languages__contains=f["lang"]) if _json_contains_ok() else qs.filter(languages__icontains=f["lang"])
    if f["region"]:
        region = OrgUnit.objects.filter(code=f["region"]).first()
        if region is not None:
            qs = qs.filter(pk__in=selectors.descendant_ids(region, day))
    return qs.order_by("code"), f, day


def _json_contains_ok() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@permission_required("registry", unit_params=("region",))
def registry_browser(request: HttpRequest) -> HttpResponse:
    qs, f, day = _registry_queryset(request)
    page = Paginator(qs, REGISTRY_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "web/registry.html", {
        "page": page, "f": f, "as_of": day, "types": OrgType.choices, "areas": Area.choices,
        "langs": ["KAZ", "RUS", "MIX", "OTH"],
        "regions": filter_units(selectors.units_on(day, Kind.REGION), request.user).order_by("code"), "query": params.urlencode(),
    })


EXPORT_COLUMNS = ["code", "name_kk", "name_ru", "name_en", "org_type", "subtype", "area", "ownership",
                  "languages", "capacity", "shifts", "emergency", "opened", "lat", "lon"]


@permission_required("registry", unit_params=("region",))
def registry_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Export what the registry browser shows (same filters, all pages)."""
    qs, _f, day = _registry_queryset(request)
    rows = [safe_row(",".join(v) if isinstance(v, list) else v for v in row)
            for row in qs.values_list(*EXPORT_COLUMNS)]
    name = f"bilim-organizations-{day.isoformat()}"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(EXPORT_COLUMNS)
        w.writerows(rows)
        resp = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("organizations")
        ws.append(EXPORT_COLUMNS)
        for r in rows:
            ws.append([v.isoformat() if isinstance(v, dt.date) else v for v in r])
        out = io.BytesIO()
        wb.save(out)
        resp = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        raise Http404(_("Unknown export format"))
    resp["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return resp


@permission_required("registry")
def orgunit_profile(request: HttpRequest, code: str) -> HttpResponse:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise Http404(_("No org unit with code %(c)s") % {"c": code})
    require_unit(request.user, unit)
    day = _date_param(request)
    exists = unit.exists_on(day)
    children = (filter_units(selectors.children(unit, day), request.user).order_by("kind", "code") if exists
                else OrgUnit.objects.none())
    page = Paginator(children, 100).get_page(request.GET.get("page"))
    ctx = {
        "unit": unit, "as_of": day, "exists": exists,
        "ancestors": list(reversed(selectors.ancestors(unit, day))) if exists else [],
        "body": selectors.governing_body_on(unit, day) if exists else None,
        "governed": filter_units(selectors.governed_by(unit, day), request.user).order_by("code")[:100]
        if unit.kind == Kind.AUTHORITY else [],
        "history": selectors.history(unit), "children": page,
    }
    from . import profile

    ctx.update(profile.indicator_context(request, unit, day))
    return render(request, "web/orgunit.html", ctx)
