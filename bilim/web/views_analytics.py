"""Indicator pages over the analytics query service: region comparison (with the composite index) and equity."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bilim.accounts.permissions import permission_required
from bilim.analytics import service
from bilim.analytics.service import WarehouseMissing
from bilim.web.analytics_bridge import national_aggregates

from . import analytics_bridge as ab
from . import exports

COMPOSITE_DEFAULT = ["GER_ISCED1", "NER_ISCED2", "OOSR_ISCED1", "PTR_ISCED1", "OVERCAP_PCT", "EXP_PER_PUPIL",
                     "BROADBAND_PCT", "UNT_MEAN"]


def _period(request: HttpRequest, years: list[str]) -> str:
    p = request.GET.get("period", "")
    return p if p in years else years[-1]


def _weights(text: str, n: int) -> tuple[tuple[float, ...] | None, str]:
    if not text.strip():
        return None, ""
    try:
        w = tuple(float(x) for x in text.replace(";", ",").split(",") if x.strip())
    except ValueError:
        return None, _("Weights must be numbers separated by commas.")
    if len(w) != n or any(x < 0 for x in w) or sum(w) <= 0:
        return None, _("Give one non-negative weight per indicator (%(n)d), not all zero.") % {"n": n}
    return w, ""


COMPARE_TABLES = ("regions", "composite")
EQUITY_TABLES = ("parity", "measures")


@permission_required("analytics")
@national_aggregates
@exports.exportable
def compare(request: HttpRequest) -> HttpResponse:
    """The page, or with `format=csv|xlsx` one of its tables (`table=regions|composite`) from the same context."""
    want = exports.requested(request, COMPARE_TABLES)
    ctx = _compare_context(request)
    if want is not None:
        return exports.compare_export(request, want, ctx)
    return render(request, "web/analytics/compare.html", ctx)


def _compare_context(request: HttpRequest) -> dict:
    mode, as_of = ab.mode_params(request)
    ctx: dict = {"mode": mode, "as_of": as_of or dt.date.today()}
    try:
        years = service.periods_available("ENROL")
    except WarehouseMissing as e:
        return {**ctx, "warehouse_error": str(e)}
    cat = service.catalogue()
    codes = [c for c in request.GET.getlist("ind") if c in cat.indicators] or ["GER_ISCED1"]
    period = _period(request, years)
    as_of_q = as_of if mode == "current" else None
    df = ab.page_values(request, codes, [period], "LEVEL-region", mode=mode, as_of=as_of_q, national_view=True)
    regions = sorted(set(df["ou_code"]))
    names = ab.unit_names(regions)
    nat = ab.page_values(request, codes, [period], "KZ", mode=mode, as_of=as_of_q, national_view=True)
    national = {r.indicator: ab.clean(r.value) for r in nat.itertuples(index=False)}
    vals = {(r.ou_code, r.indicator): ab.clean(r.value) for r in df.itertuples(index=False)}
    rows = [{"code": rc, "name": names.get(rc, {}).get("name", rc),
             "values": [{"v": vals.get((rc, c)), "text": ab.fmt(vals.get((rc, c)), c)} for c in codes]}
            for rc in regions]
    first = codes[0]
    chart_rows = sorted([r for r in rows if r["values"][0]["v"] is not None], key=lambda r: -r["values"][0]["v"])
    chart = {"indicator": ab.indicator_name(first), "unit": cat.indicators[first].unit,
             "direction": cat.indicators[first].direction, "national": national.get(first),
             "national_label": str(_("Kazakhstan")),
             "regions": [r["name"] for r in chart_rows], "codes": [r["code"] for r in chart_rows],
             "values": [round(r["values"][0]["v"], 2) for r in chart_rows],
             "map": [{"name": r["code"], "value": round(r["values"][0]["v"], 2), "label": r["name"],
                      "text": r["values"][0]["text"]} for r in chart_rows],
             "national_text": ab.fmt(national.get(first), first)}
    # composite development index
    comp_codes = [c for c in request.GET.getlist("cind") if c in cat.indicators] or COMPOSITE_DEFAULT
    norm = request.GET.get("norm", "minmax")
    norm = norm if norm in ("minmax", "zscore") else "minmax"
    agg = request.GET.get("agg", "arithmetic")
    agg = agg if agg in ("arithmetic", "geometric") else "arithmetic"
    weights, weight_error = _weights(request.GET.get("weights", ""), len(comp_codes))
    from bilim.analytics.composite import CompositeSpec

    spec = CompositeSpec(tuple(comp_codes), tuple(cat.indicators[c].direction or 1 for c in comp_codes),
                         weights=weights, normalisation=norm, aggregation=agg)
    comp = service.composite(spec, period, level="region", mode=mode, as_of=as_of_q, draws=500)
    comp = comp.sort_values(["rank", "median_rank"])
    comp_names = ab.unit_names(list(comp.index))
    composite_rows = [{"code": code, "name": comp_names.get(code, {}).get("name", code), "score": r["score"],
                       "rank": int(r["rank"]), "median": r["median_rank"], "p05": r["rank_p05"], "p95": r["rank_p95"],
                       "shift": r["mean_abs_shift"]} for code, r in comp.iterrows()]
    composite_chart = {"names": [r["name"] for r in composite_rows], "rank": [r["rank"] for r in composite_rows],
                       "median": [r["median"] for r in composite_rows],
                       "interval": [[r["p05"], r["p95"]] for r in composite_rows],
                       "labels": {"rank": str(_("Rank")), "median": str(_("Median rank")),
                                  # xgettext:no-python-format
                                  "interval": str(_("5–95 % rank interval"))}}
    ctx.update({
        "years": years, "period": period, "codes": codes, "metas": [ab.indicator_meta(c) for c in codes],
        "rows": rows, "national": [ab.fmt(national.get(c), c) for c in codes], "national_values": national,
        "chart": chart,
        "all_indicators": sorted(((c, ab.indicator_name(c)) for c in cat.indicators), key=lambda t: t[0]),
        "comp_codes": comp_codes, "norm": norm, "agg": agg, "weights": request.GET.get("weights", ""),
        "weight_error": weight_error, "composite_rows": composite_rows, "composite_chart": composite_chart,
        "comp_metas": [ab.indicator_meta(c) for c in comp_codes],
        "dropped": [names.get(rc, {}).get("name", rc) for rc in regions if rc not in set(comp.index)],
        "chart_height": 90 + 30 * max(1, len(chart_rows)), "comp_height": 90 + 30 * max(1, len(composite_rows)),
    })
    return ctx


MEASURE_LABELS = {
    "RANGE": (gettext_noop("Range"), gettext_noop("max − min, KZT")),
    "RESTR_RANGE": (gettext_noop("Restricted range"), gettext_noop("95th − 5th percentile, KZT")),
    "FRR": (gettext_noop("Federal range ratio"), gettext_noop("restricted range ÷ 5th percentile")),
    "CV": (gettext_noop("Coefficient of variation"), gettext_noop("standard deviation ÷ mean")),
    "MCLOONE": (gettext_noop("McLoone index"), gettext_noop("1 = equal below the median")),
    "VERSTEGEN": (gettext_noop("Verstegen index"), gettext_noop("1 = equal above the median")),
    "GINI": (gettext_noop("Gini coefficient"), gettext_noop("0 = equal")),
    "THEIL_T": (gettext_noop("Theil T"), gettext_noop("0 = equal")),
    "MLD": (gettext_noop("Mean log deviation"), gettext_noop("0 = equal; sensitive to the lowest values")),
    "ATKINSON": (gettext_noop("Atkinson index (ε = 2)"), gettext_noop("0 = equal, 1 = all to one")),
}


def _parity_rows(code: str, period: str, mode: str, as_of, names: dict) -> tuple[list[dict], list[str]]:
    cat = service.catalogue()
    dis = cat.indicators[code].disaggregations
    indices = [i for i, d in (("GPIA", "SEX"), ("LPIA", "AREA")) if d in dis]
    rows: dict[str, dict] = {}
    for index in indices:
        for part in (service.parity([code], [period], index=index, level="region", mode=mode, as_of=as_of),
                     service.parity([code], [period], index=index, ou_codes=["KZ"], mode=mode, as_of=as_of)):
            for r in part.itertuples(index=False):
                row = rows.setdefault(r.ou_code, {"code": r.ou_code, "name": names.get(r.ou_code, {}).get("name", r.ou_code)})
                row[index] = {"a": ab.clean(r.value_a), "b": ab.clean(r.value_b), "index": ab.clean(r.value),
                              "a_text": ab.fmt(ab.clean(r.value_a), code), "b_text": ab.fmt(ab.clean(r.value_b), code),
                              "within": bool(r.within_band) if ab.clean(r.value) is not None else None}
    ordered = sorted((r for c, r in rows.items() if c != "KZ"), key=lambda r: r["name"])
    if "KZ" in rows:
        rows["KZ"]["national"] = True
        ordered.append(rows["KZ"])
    return ordered, indices


@permission_required("analytics")
@national_aggregates
@exports.exportable
def equity(request: HttpRequest) -> HttpResponse:
    """The page, or with `format=csv|xlsx` one of its tables (`table=parity|measures`) from the same context."""
    want = exports.requested(request, EQUITY_TABLES)
    ctx = _equity_context(request)
    if want is not None:
        return exports.equity_export(request, want, ctx)
    return render(request, "web/analytics/equity.html", ctx)


def _equity_context(request: HttpRequest) -> dict:
    import numpy as np

    from bilim.registry import selectors as registry
    from bilim.registry.models import Kind

    mode, as_of = ab.mode_params(request)
    ctx: dict = {"mode": mode, "as_of": as_of or dt.date.today()}
    try:
        years = service.periods_available("ENROL")
    except WarehouseMissing as e:
        return {**ctx, "warehouse_error": str(e)}
    cat = service.catalogue()
    as_of_q = as_of if mode == "current" else None
    period = _period(request, years)
    splittable = sorted((c, ab.indicator_name(c)) for c, ind in cat.indicators.items()
                        if {"SEX", "AREA"} & set(ind.disaggregations))
    code = request.GET.get("ind", "GER_ISCED1")
    if code not in dict(splittable):
        code = "GER_ISCED1"
    regions = list(registry.units_on(ctx["as_of"], Kind.REGION).order_by("code"))
    names = ab.unit_names([r.code for r in regions] + ["KZ"])
    prow, indices = _parity_rows(code, period, mode, as_of_q, names)
    parity_chart = {"names": [r["name"] for r in prow],
                    "series": [{"name": i, "data": [(r.get(i) or {}).get("index") for r in prow]} for i in indices],
                    "band": [0.97, 1.03], "band_label": str(_("parity band 0.97–1.03"))}
    # funding distribution within a region
    # only a region or the republic: the distribution of a single organization would be its own figure
    region = request.GET.get("region", "")
    if region not in {r.code for r in regions} | {"KZ"}:
        region = regions[0].code if regions else "KZ"
    fund_code = "EXP_PER_PUPIL"
    orgs = service.org_values(fund_code, region, [period], mode=mode, as_of=as_of_q)
    orgs = orgs[np.isfinite(orgs["value"].astype(float)) & (orgs["pupils"].fillna(0) > 0)]
    x = orgs["value"].to_numpy(float)
    n = orgs["pupils"].to_numpy(float)
    hist, lorenz = {"bins": [], "pupils": [], "schools": []}, []
    if len(x):
        edges = np.histogram_bin_edges(x, bins=min(12, max(4, len(x) // 3)))
        counts, _e = np.histogram(x, bins=edges)
        weights, _e = np.histogram(x, bins=edges, weights=n)
        hist = {"bins": [f"{edges[i] / 1000:,.0f}–{edges[i + 1] / 1000:,.0f}" for i in range(len(edges) - 1)],
                "pupils": [int(w) for w in weights], "schools": [int(c) for c in counts]}
        order = np.argsort(x)
        money = (x * n)[order]
        cum_p = np.concatenate([[0], np.cumsum(n[order]) / n.sum()])
        cum_m = np.concatenate([[0], np.cumsum(money) / money.sum()])
        lorenz = [[round(float(a), 4), round(float(b), 4)] for a, b in zip(cum_p, cum_m, strict=True)]
    eq = service.equity(fund_code, [region], [period], mode=mode, as_of=as_of_q)
    measures = []
    for r in eq.itertuples(index=False):
        label, note = MEASURE_LABELS.get(r.measure, (r.measure, ""))
        measures.append({"code": r.measure, "label": _(label), "note": _(note) if note else "",
                         "value": ab.clean(r.value), "kzt": r.measure in ("RANGE", "RESTR_RANGE")})
    ctx.update({
        "years": years, "period": period, "code": code, "indicator": ab.indicator_meta(code), "splittable": splittable,
        "parity_rows": prow, "indices": indices, "parity_chart": parity_chart,
        "parity_height": 90 + 30 * max(1, len(prow)),
        "regions": regions, "region": region, "region_name": names.get(region, {}).get("name", region),
        "org_count": len(x), "pupils": int(n.sum()) if len(n) else 0,
        "mean": float((x * n).sum() / n.sum()) if len(x) else None,
        "fund_chart": {"hist": hist, "lorenz": lorenz,
                       "labels": {"pupils": str(_("Pupils")), "schools": str(_("Organizations")),
                                  "bins": str(_("Expenditure per pupil, thousand KZT")),
                                  "lorenz": str(_("Lorenz curve")), "equal": str(_("Line of equality")),
                                  "x": str(_("Cumulative share of pupils")), "y": str(_("Cumulative share of expenditure"))}},
        "measures": measures,
    })
    return ctx
