"""What pages need from the analytics query service: labelled, formatted, direction-aware values.

Thin: every number comes from `bilim.analytics.service`; this module only shapes it for templates.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.template.defaultfilters import floatformat
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bilim.analytics import service


def national_aggregates(view: Callable) -> Callable:
    """For pages that show republic and region aggregates to every analytics role: a user with a
    limited scope sees there only approved-to-the-top (public) figures, national roles their level."""
    from bilim.accounts.permissions import national_view_level

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with service.as_reader(national_view_level(request.user)):
            return view(request, *args, **kwargs)

    return wrapper

KEY_INDICATORS = ["GER_ISCED1", "NER_ISCED2", "PTR_ISCED1", "OOSR_ISCED1", "SHIFT3_PCT", "OVERCAP_PCT",
                  "EXP_PER_PUPIL", "BROADBAND_PCT", "UNT_MEAN"]
MODES = ("current", "historical")
# Units as catalogue.json spells them (English); the catalogue has no translations for them.
UNIT_LABELS = {
    "%": "%",
    "KZT": _("KZT"),
    "pupils per teacher": _("pupils per teacher"),
    "pupils per trained teacher": _("pupils per trained teacher"),
    "pupils per class": _("pupils per class"),
    # xgettext:no-python-format
    "% of GDP per capita": _("% of GDP per capita"),
    "per 100 pupils": _("per 100 pupils"),
    "points": _("points"),
}


def lang() -> str:
    return (get_language() or "kk")[:2]


def indicator_name(code: str) -> str:
    ind = service.catalogue().indicators.get(code)
    if ind is None:
        return code
    return ind.name.get(lang()) or ind.name.get("en") or code


def unit_label(unit: str) -> str:
    """The unit in the page language (falls back to the catalogue's own spelling)."""
    return str(UNIT_LABELS.get(unit, unit))


def indicator_meta(code: str) -> dict[str, Any]:
    ind = service.catalogue().indicators[code]
    return {"code": code, "name": indicator_name(code), "unit": ind.unit, "unit_label": unit_label(ind.unit),
            "direction": ind.direction,
            "disaggregations": list(ind.disaggregations)}


def digits(code: str) -> int:
    unit = service.catalogue().indicators[code].unit
    return 0 if unit == "KZT" else 1


def fmt(value: float | None, code: str) -> str:
    """A value as pages show it: locale grouping, 1 decimal (0 for money), '%' for percentages."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = floatformat(value, f"{digits(code)}g")
    return f"{text} %" if service.catalogue().indicators[code].unit == "%" else str(text)


def clean(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def mode_params(request: HttpRequest) -> tuple[str, dt.date | None]:
    """`mode` (current|historical, default current) and `as_of` (current mode only) from the query."""
    mode = request.GET.get("mode", "current")
    if mode not in MODES:
        mode = "current"
    as_of = None
    text = request.GET.get("as_of")
    if text:
        try:
            as_of = dt.date.fromisoformat(text)
        except ValueError:
            as_of = None
    return mode, as_of


def recent_school_years(n: int = 5) -> list[str]:
    years = service.periods_available("ENROL")
    return years[-n:]


def page_values(request: HttpRequest, codes: Sequence[str], periods: Sequence[str], ou: str, *,
                mode: str = "current", as_of: dt.date | None = None, national_view: bool = False) -> Any:
    """Indicator rows for a page: one `IndicatorQuery`, the one access decision on it for the signed-in
    user (`national_view`: pages of republic and region aggregates, where a scoped user sees what the
    public sees), then the answer — as the API and the CLI get theirs."""
    from bilim.accounts.permissions import decide_access
    from bilim.analytics import query as q

    decision = decide_access(q.parse_query(list(codes), list(periods), ou, mode=mode, as_of=as_of),
                             request.user, national_view=national_view)
    return q.answer(decision)


def trends(request: HttpRequest, codes: Sequence[str], ou_code: str, periods: Sequence[str], mode: str = "current",
           as_of: dt.date | None = None, *, national_view: bool = False) -> list[dict[str, Any]]:
    """Per indicator: its series over `periods` at `ou_code`, the latest value and whether it worsened."""
    df = page_values(request, codes, periods, ou_code, mode=mode, as_of=as_of, national_view=national_view)
    values: dict[tuple[str, str], float | None] = {}
    for row in df.itertuples(index=False):
        values[(row.indicator, row.period)] = clean(row.value)
    out = []
    for code in codes:
        meta = indicator_meta(code)
        series = [values.get((code, p)) for p in periods]
        known = [(p, v) for p, v in zip(periods, series, strict=True) if v is not None]
        latest = known[-1] if known else None
        prev = known[-2] if len(known) > 1 else None
        first = known[0] if len(known) > 1 else None
        change = latest[1] - prev[1] if latest and prev else None
        if change is not None and abs(change) < 0.5 * 10 ** -digits(code):
            change = 0.0  # below what the page shows: not a movement to flag
        direction = meta["direction"] or 0
        worse = bool(change is not None and direction and change * direction < 0)
        better = bool(change is not None and direction and change * direction > 0)
        out.append({**meta, "series": series, "periods": list(periods),
                    "latest": latest[1] if latest else None, "latest_period": latest[0] if latest else None,
                    "latest_text": fmt(latest[1] if latest else None, code),
                    "previous": prev[1] if prev else None, "change": change,
                    "change_text": (("+" if change > 0 else "") + floatformat(change, f"{digits(code)}g"))
                    if change is not None else "",
                    "since_first": (latest[1] - first[1]) if latest and first else None,
                    "series_text": [fmt(v, code) for v in series],
                    "worse": worse, "better": better})
    return out


def trend_compute(codes: Sequence[str], ou_code: str, periods: Sequence[str]) -> dict[str, dict[str, float | None]]:
    """The `compute` callable `governance.selectors.indicator_trend` expects (periods without data skipped)."""
    known = set(service.periods_known())
    usable = [p for p in periods if p in known]
    out: dict[str, dict[str, float | None]] = {c: {} for c in codes}
    if not usable:
        return out
    df = service.indicators(list(codes), usable, ou_codes=[ou_code])
    for row in df.itertuples(index=False):
        if getattr(row, "sex", None) is None and getattr(row, "area", None) is None:
            out.setdefault(row.indicator, {})[row.period] = clean(row.value)
    return out


def unit_names(codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Names in the active language from the registry (the warehouse may lag behind a rename)."""
    from bilim.registry.models import OrgUnit

    return {u.code: {"name": u.name, "kind": u.kind} for u in OrgUnit.objects.filter(code__in=list(codes))}
