"""Analytics endpoints in the style of the DHIS2 analytics API (`/api/v1/analytics`).

`?dx=GER_ISCED1;PTR_ISCED1&pe=2023S;2024S&ou=KZ;LEVEL-region&by=SEX&mode=historical` returns
`{headers, metaData, mode, as_of, rows}`; `&format=csv` returns the same table as CSV. Dimension
items are separated by `;`. Org unit items: unit codes, `LEVEL-<kind>` (every unit of that kind;
as in DHIS2, when codes are given too they are the *boundaries* the level is taken within and are
not themselves returned) and `CHILDREN-<code>` (the direct children of a unit, per period).

Thin: parsing and shaping only; the figures come from :mod:`bilim.analytics.service`. Every answer
names its mode, because a region's figure for 2020 differs between the 2020 map and today's.
"""

import csv
import datetime as dt
import functools
import io
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
from django.http import HttpResponse, JsonResponse
from django.utils.translation import get_language
from ninja import Query, Router, Schema

from bilim.accounts.permissions import AccessDecision, decide_access
from bilim.exchange import safecell

from . import query as q_
from . import service
from .composite import AGGREGATIONS, NORMALISATIONS, CompositeSpec
from .equity import MEASURES
from .query import IndicatorQuery, parse_query, split_items

PREFIX = "/analytics"
router = Router(tags=["analytics"])

DIM_NAMES = {"SEX": {"F": "Female", "M": "Male"}, "AREA": {"URBAN": "Urban", "RURAL": "Rural"}}


# --------------------------------------------------------------------------- parsing and access


def _items(text: str | None, what: str) -> list[str]:
    return split_items(text, what)


def _decide(request, query: IndicatorQuery) -> AccessDecision:
    """The one access decision (`permissions.decide_access`) for the caller of this request."""
    user = getattr(request, "auth", None) or request.user
    return decide_access(query, user)


def _parts(decision: AccessDecision) -> tuple[list[str], list[str], list[str]]:
    sel = decision.query.selection
    return list(sel.codes), list(sel.levels), list(sel.children)


def _query(request, dx: str | None, pe: str | None, ou: str | None, *, by: str | None = None,
           mode: str = "current", as_of: dt.date | None = None, **kw: Any) -> AccessDecision:
    return _decide(request, parse_query(dx, pe, ou, by=by, mode=mode, as_of=as_of, **kw))


# --------------------------------------------------------------------------- shaping


def _num(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):  # numpy scalars
        return _num(v.item())
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _num(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def _lang() -> str:
    return (get_language() or "en")[:2]


def _period_name(p: str) -> str:
    if p.endswith("S") and p[:4].isdigit():
        y = int(p[:4])
        return f"{y}/{str(y + 1)[-2:]} school year"
    return p


def _as_of(mode: str, as_of: dt.date | None) -> str | None:
    return (as_of or dt.date.today()).isoformat() if mode == "current" else None


def warehouse_guard(view: Callable) -> Callable:
    """503 {code: warehouse_missing} instead of a server error before the first refresh."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except service.WarehouseMissing as e:
            return JsonResponse({"code": "warehouse_missing", "message": str(e)}, status=503)

    return wrapper


def _csv_response(df: pd.DataFrame, filename: str) -> HttpResponse:
    buf = io.StringIO()
    safecell.frame(df).to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL)
    resp = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


class Header(Schema):
    name: str
    column: str
    type: str


class AnalyticsOut(Schema):
    headers: list[Header]
    metaData: dict[str, Any]  # noqa: N815 - DHIS2's name
    mode: str
    as_of: dt.date | None
    reference_dates: dict[str, dt.date]
    rows: list[list[Any]]


class ErrorOut(Schema):
    code: str
    message: str


ERRORS = {400: ErrorOut, 503: ErrorOut}


# --------------------------------------------------------------------------- endpoints


@router.get("", response={200: AnalyticsOut, **ERRORS}, summary="Indicator values (DHIS2-style analytics)",
            description=__doc__)
@warehouse_guard
def analytics(request, dx: str, pe: str | None = None, ou: str = "KZ", by: str | None = None,
              mode: str = "current", as_of: dt.date | None = None, format: str = "json"):  # noqa: A002
    if format not in ("json", "csv"):
        raise ValueError("format must be json or csv")
    decision = _query(request, dx, pe, ou, by=by, mode=mode, as_of=as_of)
    query = decision.query
    res = q_.answer(decision)
    codes, by, mode, as_of = list(query.indicators), query.by, query.mode, query.as_of
    periods = q_.periods_of(decision)
    dim_col = by.lower() if by else None
    if format == "csv" or "text/csv" in request.headers.get("Accept", ""):
        cols = ["indicator", "period", "ou_code", *([dim_col] if dim_col else []), "value", "numerator",
                "denominator", "mode"]
        out = res[cols].rename(columns={"indicator": "dx", "period": "pe", "ou_code": "ou"})
        out["as_of"] = _as_of(mode, as_of) or ""
        return _csv_response(out, "analytics.csv")
    headers = [Header(name="dx", column="Data", type="TEXT"), Header(name="pe", column="Period", type="TEXT"),
               Header(name="ou", column="Organisation unit", type="TEXT")]
    if dim_col:
        headers.append(Header(name=dim_col, column=by.title(), type="TEXT"))
    headers += [Header(name="value", column="Value", type="NUMBER"),
                Header(name="numerator", column="Numerator", type="NUMBER"),
                Header(name="denominator", column="Denominator", type="NUMBER")]
    cols = ["indicator", "period", "ou_code", *([dim_col] if dim_col else []), "value", "numerator", "denominator"]
    rows = [[_num(v) for v in row] for row in res[cols].itertuples(index=False, name=None)]
    lang = _lang()
    cat = service.catalogue()
    ou_codes = list(dict.fromkeys(res["ou_code"]))
    items: dict[str, dict[str, Any]] = {
        "dx": {"name": "Data"}, "pe": {"name": "Period"}, "ou": {"name": "Organisation unit"}}
    for c in codes:
        ind = cat[c]
        items[c] = {"name": ind.name.get(lang) or ind.name.get("en", c), "unit": ind.unit}
    for p in periods:
        items[p] = {"name": _period_name(p)}
    items.update(service.unit_names(ou_codes, lang))
    dimensions: dict[str, list[str]] = {"dx": codes, "pe": periods, "ou": ou_codes}
    if by:
        dimensions[dim_col] = list(DIM_NAMES[by])
        for g, name in DIM_NAMES[by].items():
            items[g] = {"name": name}
    return {"headers": headers, "metaData": {"items": items, "dimensions": dimensions}, "mode": mode,
            "as_of": _as_of(mode, as_of),
            "reference_dates": service.engine.reference_dates(periods, mode, as_of),  # type: ignore[arg-type]
            "rows": rows}


@router.get("/indicators", summary="The indicator catalogue")
def indicator_list(request):
    """Every indicator with its names (en/ru/kk), unit, direction (+1 higher is better) and splits."""
    cat = service.catalogue()
    return {"indicators": [
        {"code": ind.code, "name": dict(ind.name), "unit": ind.unit, "direction": ind.direction,
         "disaggregations": list(ind.disaggregations), "description": ind.description}
        for ind in cat.indicators.values()],
        "parity": [{"code": p["code"], "name": p.get("name", {})} for p in cat.parity],
        "equity": [{"code": e["code"], "name": e.get("name", {})} for e in cat.equity]}


class ExplainIn(Schema):
    dx: str
    ou: str = "KZ"
    pe: str | None = None
    by: str | None = None
    group: str | None = None
    mode: str = "current"
    as_of: dt.date | None = None


@router.get("/explain", response={200: dict[str, Any], **ERRORS},
            summary="The units and periods behind one value")
@warehouse_guard
def explain(request, q: Query[ExplainIn]):
    """Numerator and denominator of one cell with every contributing org unit and fact period; the
    contributions of each part add up to that part."""
    by = q_.parse_by(q.by)
    if (by is None) != (q.group is None):
        raise ValueError("by and group go together (e.g. by=SEX&group=F)")
    if by and q.group not in DIM_NAMES[by]:
        raise ValueError(f"group must be one of {', '.join(DIM_NAMES[by])} for by={by}")
    # the contributions name single organizations: never for the public (`detail`)
    decision = _query(request, q.dx, q.pe, q.ou, by=by, mode=q.mode, as_of=q.as_of, single_indicator=True,
                      single_period=True, detail=True)
    query = decision.query
    ex = q_.explain(decision, group=q.group)  # checks the selection is one unit code
    code, ou, mode = query.indicators[0], query.selection.codes[0], query.mode
    period = q_.periods_of(decision)[0]
    cell = q_.answer(decision)
    if by:
        cell = cell[cell[by.lower()] == q.group]
    first = cell.iloc[0] if not cell.empty else None
    parts = {}
    for part, grp in ex.groupby("part", sort=True):
        parts[part] = {"total": _num(float(grp["value"].sum())),
                       "contributions": _records(grp.drop(columns=["part"]))}
    return {"indicator": code, "ou": ou, "period": period, "by": by, "group": q.group, "mode": mode,
            "as_of": _as_of(mode, q.as_of),
            "value": _num(first["value"]) if first is not None else None,
            "numerator": _num(first["numerator"]) if first is not None else None,
            "denominator": _num(first["denominator"]) if first is not None else None,
            "parts": parts}


@router.get("/parity", response={200: dict[str, Any], **ERRORS}, summary="Gender / location parity indices")
@warehouse_guard
def parity(request, dx: str, pe: str | None = None, ou: str = "KZ", index: str = "GPIA", mode: str = "current",
           as_of: dt.date | None = None):
    """GPI, GPIA (F/M) or LPIA (rural/urban) of indicators; `within_band` flags 0.97–1.03."""
    decision = _query(request, dx, pe, ou, mode=mode, as_of=as_of)
    query, (units, levels, children) = decision.query, _parts(decision)
    if children or len(levels) > 1 or (levels and len(units) > 1):
        raise ValueError("parity takes unit codes, or one LEVEL-<kind> with at most one boundary code")
    where = {"level": levels[0], "within": units[0] if units else None} if levels else {"ou_codes": units}
    with service.as_reader(decision.reader_level):
        res = service.parity(list(query.indicators), q_.periods_of(decision), index=index.upper(), mode=mode,
                             as_of=as_of, **where)
    res = decision.filter(res)
    return {"index": index.upper(), "mode": mode, "as_of": _as_of(mode, as_of), "rows": _records(res)}


@router.get("/equity", response={200: dict[str, Any], **ERRORS},
            summary="Equity of a per-organization indicator within units")
@warehouse_guard
def equity(request, dx: str, ou: str = "KZ", pe: str | None = None, measures: str | None = None,
           mode: str = "current", as_of: dt.date | None = None, orgs: bool = False):
    """Range, restricted range, FRR, CV, McLoone, Verstegen, Gini, Theil T over the organizations
    under each unit, weighted by pupils; `orgs=true` adds the per-organization values."""
    # the per-organization values (orgs=true) name single organizations: never for the public
    decision = _query(request, dx, pe, ou, mode=mode, as_of=as_of, single_indicator=True, detail=orgs)
    query, (units, levels, children) = decision.query, _parts(decision)
    if levels or children:
        raise ValueError("equity takes unit codes only")
    code = query.indicators[0]
    wanted = _items(measures, "measures") or list(MEASURES)
    bad = [m for m in wanted if m not in MEASURES]
    if bad:
        raise ValueError(f"unknown measure(s) {', '.join(bad)}; use {', '.join(MEASURES)}")
    with service.as_reader(decision.reader_level):
        periods = q_.periods_of(decision)
        res = decision.filter(service.equity(code, units, periods, measures=wanted, mode=mode, as_of=as_of))
        body: dict[str, Any] = {"indicator": code, "mode": mode, "as_of": _as_of(mode, as_of),
                                "rows": _records(res)}
        if orgs:
            body["organizations"] = {
                u: _records(decision.filter(service.org_values(code, u, periods, mode=mode, as_of=as_of)))
                for u in units}
    return body


@router.get("/composite", response={200: dict[str, Any], **ERRORS},
            summary="Composite index of units with rank uncertainty")
@warehouse_guard
def composite(request, dx: str, pe: str | None = None, ou: str = "LEVEL-region", norm: str = "minmax",
              agg: str = "arithmetic", weights: str | None = None, draws: int = 1000, seed: int = 0,
              mode: str = "current", as_of: dt.date | None = None):
    """Normalised (minmax|zscore), weighted, aggregated (arithmetic|geometric) index of the units, with
    the Monte Carlo median rank and 5–95 % rank interval; directions come from the catalogue."""
    decision = _query(request, dx, pe, ou, mode=mode, as_of=as_of, single_period=True)
    query, (units, levels, children) = decision.query, _parts(decision)
    codes = list(query.indicators)
    if norm not in NORMALISATIONS:
        raise ValueError(f"norm must be one of {', '.join(NORMALISATIONS)}")
    if agg not in AGGREGATIONS:
        raise ValueError(f"agg must be one of {', '.join(AGGREGATIONS)}")
    if not 1 <= draws <= 10_000:
        raise ValueError("draws must be between 1 and 10000")
    w = None
    if weights:
        try:
            w = tuple(float(x) for x in weights.replace(",", ";").split(";") if x.strip())
        except ValueError as e:
            raise ValueError("weights must be numbers separated by ';'") from e
        if len(w) != len(codes):
            raise ValueError(f"give one weight per indicator ({len(codes)}), not {len(w)}")
    cat = service.catalogue()
    spec = CompositeSpec(tuple(codes), tuple(cat[c].direction for c in codes), weights=w, normalisation=norm,
                         aggregation=agg)
    if children or len(levels) > 1 or units and levels:
        raise ValueError("composite takes unit codes or one LEVEL-<kind>")
    where = {"level": levels[0]} if levels else {"ou_codes": units}
    with service.as_reader(decision.reader_level):
        period = q_.periods_of(decision)[0]
        res = service.composite(spec, period, mode=mode, as_of=as_of, draws=draws, seed=seed, **where)
    res = decision.filter(res.reset_index().rename(columns={"index": "ou_code"}).sort_values("rank"))
    names = service.unit_names(res["ou_code"].tolist(), _lang())
    res.insert(1, "name", [names.get(c, {}).get("name") for c in res["ou_code"]])
    return {"indicators": codes, "directions": list(spec.directions), "weights": list(w) if w else None,
            "norm": norm, "agg": agg, "period": period, "draws": draws, "seed": seed, "mode": mode,
            "as_of": _as_of(mode, as_of), "rows": _records(res)}
