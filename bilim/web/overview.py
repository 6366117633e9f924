"""National overview (home): key indicators for the republic with 5-year trends, from the analytics service."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import analytics_bridge as ab


def _may_open_profile(request: HttpRequest, code: str) -> bool:
    from bilim.accounts.permissions import can_read_unit, has_capability
    from bilim.registry.models import OrgUnit

    unit = OrgUnit.objects.filter(code=code).first()
    return has_capability(request.user, "registry") and can_read_unit(request.user, unit)


def render_overview(request: HttpRequest) -> HttpResponse:
    from bilim.analytics.service import WarehouseMissing
    from bilim.registry import selectors as registry

    root_unit = registry.republic()
    root = root_unit.code if root_unit else ""
    mode, as_of = ab.mode_params(request)
    ctx: dict = {"mode": mode, "as_of": as_of or dt.date.today(), "root": root,
                 "root_name": root_unit.name if root_unit else "",
                 "root_profile": bool(root) and _may_open_profile(request, root)}
    try:
        periods = ab.recent_school_years(5)
        cards = ab.trends(request, ab.KEY_INDICATORS, root, periods, mode=mode,
                          as_of=as_of if mode == "current" else None, national_view=True)
    except (WarehouseMissing, FileNotFoundError) as e:
        ctx["warehouse_error"] = str(e)
        return render(request, "web/home.html", ctx)
    ctx.update({
        "periods": periods, "cards": cards,
        "spark": {c["code"]: {"periods": periods, "values": c["series"], "worse": c["worse"],
                              "better": c["better"]} for c in cards},
    })
    return render(request, "web/home.html", ctx)
