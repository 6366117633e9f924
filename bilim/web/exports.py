"""Server-side exports of page tables (CSV and XLSX) that carry their own metadata.

Why on the server: a table copied from the screen is in the page's language and number format
("11,7"), has no period, mode or as-of date and a name that says nothing (`regions.csv`). An export
here is the page's own figures, in a form another program reads without guessing:

* the same URL as the page with `format=csv|xlsx` (and `table=` where a page has several tables),
  so the selection, mode and as-of date are the page's, and so is the access decision: the view
  computes its context exactly as for the page and hands it to a builder below, which only reshapes
  it (nothing is recomputed, so an export cannot disagree with the page);
* one row per figure with codes *and* names: `indicator, indicator_name, ou_code, ou_name, period,
  school_year, mode, as_of, value, unit`, then the columns that only one table has (ranks of the
  composite index, the two groups of a parity index, ...);
* CSV: UTF-8 without a byte-order mark, one header row, plain numbers (a decimal point, no grouping);
* XLSX: the same table with numbers stored as numbers under a number format, the header row frozen,
  and a sheet "metadata" with the indicator definitions, mode, as-of date, source, time of generation
  and the "synthetic data" note of the demo;
* every text cell passes through `bilim.exchange.safecell` (no formula runs when a file is opened);
* the file name says what the file holds: `GER_ISCED1_regions_2024-25_current_2026-12-02.csv`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from bilim.analytics import service
from bilim.exchange import safecell
from bilim.metadata.periods import label as period_label

from . import analytics_bridge as ab

FORMATS = ("csv", "xlsx")
BASE_COLUMNS = ("indicator", "indicator_name", "ou_code", "ou_name", "period", "school_year", "mode", "as_of",
                "value", "unit")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Excel number formats (display only: the cell keeps the full value). Money without decimals, ratios
# and rates with one as on the pages, dimensionless indices (unit "") with three.
FORMAT_MONEY, FORMAT_RATE, FORMAT_INDEX, FORMAT_COUNT = "#,##0", "0.0", "0.000", "#,##0"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9+._-]+")


class BadExport(Exception):  # noqa: N818 - reads as what it is: a bad export request
    """An export request the page cannot serve (unknown format or table): answered with 400, not 500."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Want:
    """What the query asked for: the file format and the table of the page."""

    fmt: str
    table: str


@dataclass(frozen=True)
class Meta:
    """What a file says about its figures (the metadata sheet of an XLSX; the CSV carries mode and
    as-of date in its rows).

    `settings` are page-specific choices as (key, label, value) rows, e.g. the composite index's
    normalisation; `formats` number formats of extra columns; `unit_columns` the column holding the
    unit of a numeric column whose format follows that unit (`value` → `unit` by default)."""

    title: str
    indicators: Sequence[str]
    mode: str
    as_of: dt.date | None
    periods: Sequence[str]
    synthetic: bool = False
    page: str = ""
    settings: Sequence[tuple[str, str, Any]] = ()
    formats: Mapping[str, str] = field(default_factory=dict)
    unit_columns: Mapping[str, str] = field(default_factory=lambda: {"value": "unit"})


# --------------------------------------------------------------------------- the request


def requested(request: HttpRequest, tables: Sequence[str]) -> Want | None:
    """The export the query asks for, or None for the page itself. A page checks this before it
    computes anything, so a bad `format` or `table` costs nothing and never reaches a template."""
    fmt = request.GET.get("format", "").strip()
    if not fmt:
        return None
    if fmt not in FORMATS:
        raise BadExport(_("Unknown export format “%(format)s”: use format=csv or format=xlsx.") % {"format": fmt})
    table = request.GET.get("table", "").strip() or tables[0]
    if table not in tables:
        raise BadExport(_("This page has no table “%(table)s”; it exports: %(tables)s.")
                        % {"table": table, "tables": ", ".join(tables)})
    return Want(fmt, table)


def exportable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn a `BadExport` raised by the page view into its answer (400, or 503 before the warehouse
    exists) with the message on the usual error page. Goes under the permission decorators, so that
    a caller without access is refused as for the page, whatever the format."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BadExport as e:
            return render(request, "web/error.html", {"status": e.status, "message": e.message}, status=e.status)

    return wrapper


def page_url(request: HttpRequest) -> str:
    """The page the export came from (its query without `format` and `table`), for the metadata sheet."""
    query = request.GET.copy()
    for key in ("format", "table"):
        query.pop(key, None)
    text = query.urlencode()
    return request.build_absolute_uri(request.path + (f"?{text}" if text else ""))


def unavailable(ctx: Mapping[str, Any]) -> None:
    """An export asked for before the warehouse exists gets the page's reason with 503, not an empty file."""
    if ctx.get("warehouse_error"):
        raise BadExport(_("Indicator values are not available:") + f" {ctx['warehouse_error']}", status=503)


# --------------------------------------------------------------------------- rows, names, files


def as_of_of(mode: str, as_of: dt.date | None) -> dt.date | None:
    """The as-of date of the figures: the one asked for (else today) in current mode, none in historical
    mode (each year is aggregated through its own hierarchy) — as the analytics API answers."""
    return (as_of or dt.date.today()) if mode == "current" else None


def base_row(indicator: str, indicator_name: str, ou_code: str, ou_name: str, period: str, mode: str,
             as_of: dt.date | None, value: Any, unit: str, **extra: Any) -> dict[str, Any]:
    """One figure with its codes and names, in the column order of every export (extras after)."""
    return {"indicator": indicator, "indicator_name": indicator_name, "ou_code": ou_code, "ou_name": ou_name,
            "period": period, "school_year": period_label(period), "mode": mode,
            "as_of": as_of.isoformat() if as_of else "", "value": value, "unit": unit, **extra}


def file_stem(codes: Sequence[str], selection: str, periods: Sequence[str], mode: str,
              as_of: dt.date | None) -> str:
    """`GER_ISCED1_regions_2024-25_current_2026-12-02`: indicators (joined by '+'), selection, school
    year (a span as `2020-21--2024-25`, the ISO 8601 interval separator), mode, as-of date (current mode;
    `historical` names the mode alone). Only characters safe in every file system and header."""
    years = [period_label(p).replace("/", "-") for p in periods]
    span = years[0] if len(years) == 1 else f"{years[0]}--{years[-1]}" if years else ""
    parts = ["+".join(codes), selection, span, mode]
    if mode == "current":
        parts.append((as_of or dt.date.today()).isoformat())
    return "_".join(_UNSAFE_NAME.sub("-", p).strip("-") for p in parts if p)


def _plain(value: Any) -> Any:
    """Python scalars only (numpy's, NaN and infinities become None): both writers see the same value."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    cols = list(BASE_COLUMNS)
    for row in rows:
        cols += [k for k in row if k not in cols]
    return cols


def _csv_text(value: Any) -> Any:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safecell.cell(value)


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """The table as CSV: one header row, then a row per figure; numbers as Python writes them
    (a decimal point, no grouping, every digit), empty for a missing value."""
    cols = _columns(rows)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(safecell.row(cols))
    for r in rows:
        w.writerow([_csv_text(r.get(c)) for c in cols])
    return buf.getvalue()


def number_format(unit: str | None) -> str:
    """The Excel format of a figure in `unit` (the catalogue's spelling; "" for a dimensionless index)."""
    if unit == "KZT":
        return FORMAT_MONEY
    return FORMAT_INDEX if not unit else FORMAT_RATE


def formula(code: str) -> str:
    """The definition of an indicator in the catalogue's own terms (docs/indicators.md: `factor ×
    Σnumerator ÷ (Σdenominator × Σdenominator_factor)`, a term as data element[options]): codes and
    catalogue keys only, so that it reads the same in every interface language."""
    ind = service.catalogue().indicators.get(code)
    if ind is None:
        return ""
    if ind.method == "survival":
        grades = "|".join(ind.params.get("grades") or [])
        return f"method=survival[grades={grades}; cohort={ind.params.get('cohort', '')}]"

    def term(t: Any) -> str:
        bits = [f"{cat}={'|'.join('total' if v is None else str(v) for v in vals)}" for cat, vals in t.filters]
        bits += [f"org.{attr}={'|'.join(str(v) for v in vals)}" for attr, vals in t.org]
        if t.org_condition is not None:
            c = t.org_condition
            right = "|".join(f"{x:g}" if isinstance(x, float) else str(x)
                             for x in (c.right_de, c.right_attr, c.right_value) if x is not None)
            bits.append(f"org_condition={c.left_de} {c.op} {right}")
        if t.period_offset:
            bits.append(f"period_offset={t.period_offset:+d}")
        if t.period_kind != "same":
            bits.append(f"period_kind={t.period_kind}")
        if t.lookup != "sum":
            bits.append(f"lookup={t.lookup}")
        if t.apportion is not None:
            bits.append(f"apportion={term(t.apportion)}")
        if t.count_orgs:
            least = f" ≥ {t.min_value:g}" if t.min_value is not None else ""
            return f"count_orgs({t.de}{least}{'; ' + '; '.join(bits) if bits else ''})"
        return t.de + (f"[{'; '.join(bits)}]" if bits else "")

    def part(terms: Sequence[Any]) -> str:
        out = ""
        for i, t in enumerate(terms):
            sign = "−" if t.sign < 0 else "+"
            out += (f" {sign} " if i else ("−" if t.sign < 0 else "")) + term(t)
        return f"({out})" if len(terms) > 1 else out

    text = part(ind.numerator)
    below = [part(p) for p in (ind.denominator, ind.denominator_factor) if p]
    if below:
        text += " ÷ " + (f"({' × '.join(below)})" if len(below) > 1 else below[0])
    if ind.factor != 1:
        text = f"{ind.factor:g} × {text}"
    if ind.guard:
        text += f"; guard={', '.join(term(t) for t in ind.guard)}"
    return text + (f"; method={ind.method}" if ind.method != "ratio" else "")


def _metadata_rows(meta: Meta) -> list[list[Any]]:
    mode_text = (_("Historical mode: each year is aggregated through the hierarchy valid in that year.")
                 if meta.mode == "historical" else
                 _("Current mode: every year restated onto the hierarchy as of %(d)s.")
                 % {"d": meta.as_of.isoformat() if meta.as_of else ""})
    rows: list[list[Any]] = [
        ["title", _("Table"), meta.title],
        ["mode", _("Analytics mode"), meta.mode],
        ["mode_note", "", mode_text],
        ["as_of", _("As of"), meta.as_of.isoformat() if meta.as_of else ""],
        ["periods", _("School year"), ", ".join(f"{p} ({period_label(p)})" for p in meta.periods)],
        *[[k, label, v] for k, label, v in meta.settings],
        ["source", _("Source"), _("Source: Bilim EMIS, census forms accepted by the education authorities")],
        ["generated_at", _("Generated at"), timezone.localtime().isoformat(timespec="seconds")],
        ["page", _("Page"), meta.page],
    ]
    if meta.synthetic:
        rows.append(["synthetic", _("Synthetic demonstration data"),
                     _("Demonstration data set: all organizations and figures are synthetic.")])
    rows += [[], ["code", "name", "unit", "unit_name", "formula", "description"]]
    cat = service.catalogue().indicators
    for code in meta.indicators:
        ind = cat.get(code)
        rows.append([code, ab.indicator_name(code), ind.unit if ind else "", ab.unit_label(ind.unit) if ind else "",
                     formula(code), ind.description if ind else ""])
    return rows


def to_xlsx(rows: Sequence[Mapping[str, Any]], meta: Meta) -> bytes:
    """The table on a sheet "data" (numbers as numbers with a number format, header frozen and
    filterable) and the sheet "metadata"; text cells neutralised by `safecell`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    cols = _columns(rows)
    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(safecell.row(cols))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        values = []
        for c in cols:
            v = _plain(r.get(c))
            values.append(safecell.cell(v) if isinstance(v, str) else v)
        ws.append(values)
        for cell, c in zip(ws[ws.max_row], cols, strict=True):
            if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                unit_col = meta.unit_columns.get(c)
                cell.number_format = (number_format(r.get(unit_col)) if unit_col
                                      else meta.formats.get(c, FORMAT_INDEX))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for i, c in enumerate(cols, start=1):
        width = max([len(c)] + [len(str(r.get(c) or "")) for r in rows[:200]])
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, width + 2)
    ms = wb.create_sheet("metadata")
    for line in _metadata_rows(meta):
        ms.append(safecell.row(line))
    for letter, width in zip("ABCDEF", (16, 28, 60, 24, 60, 40), strict=True):
        ms.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_response(fmt: str, rows: Sequence[Mapping[str, Any]], meta: Meta, stem: str) -> HttpResponse:
    """The file `stem.fmt` (csv or xlsx) as an attachment."""
    if fmt == "csv":
        body: str | bytes = to_csv(rows)
    elif fmt == "xlsx":
        body = to_xlsx(rows, meta)
    else:
        raise BadExport(_("Unknown export format “%(format)s”: use format=csv or format=xlsx.") % {"format": fmt})
    resp = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    resp["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return resp


# --------------------------------------------------------------------------- the pages' tables


def _meta(request: HttpRequest, title: str, codes: Iterable[str], mode: str, as_of: dt.date | None,
          periods: Sequence[str], **kw: Any) -> Meta:
    from .context import demo_synthetic

    return Meta(title=title, indicators=list(dict.fromkeys(codes)), mode=mode, as_of=as_of, periods=list(periods),
                synthetic=demo_synthetic(), page=page_url(request), **kw)


def compare_export(request: HttpRequest, want: Want, ctx: Mapping[str, Any]) -> HttpResponse:
    """/compare/: `regions` (every region and Kazakhstan × the chosen indicators) or `composite` (the
    composite index with its rank intervals), from the context the page was rendered from."""
    unavailable(ctx)
    mode, period = ctx["mode"], ctx["period"]
    as_of = as_of_of(mode, ctx["as_of"])
    kz_name = ab.unit_names(["KZ"]).get("KZ", {}).get("name") or _("Kazakhstan")
    if want.table == "composite":
        codes = list(ctx["comp_codes"])
        name = _("Composite development index")
        settings = [("normalisation", _("Normalisation"), ctx["norm"]),
                    ("aggregation", _("Aggregation"), ctx["agg"]),
                    ("weights", _("Weights (comma-separated, blank = equal)"), ctx["weights"] or "")]
        rows = [base_row("+".join(codes), name, r["code"], r["name"], period, mode, as_of, r["score"], "",
                         rank=r["rank"], median_rank=r["median"], rank_p05=r["p05"], rank_p95=r["p95"],
                         mean_abs_shift=r["shift"], normalisation=ctx["norm"], aggregation=ctx["agg"],
                         weights=ctx["weights"] or "")
                for r in ctx["composite_rows"]]
        meta = _meta(request, name, codes, mode, as_of, [period], settings=settings,
                     formats={"rank": "0", "median_rank": "0.0", "rank_p05": "0", "rank_p95": "0",
                              "mean_abs_shift": "0.00"})
        return export_response(want.fmt, rows, meta, file_stem(codes, "composite-regions", [period], mode, as_of))
    codes = list(ctx["codes"])
    metas = {m["code"]: m for m in ctx["metas"]}
    rows = [base_row(c, metas[c]["name"], r["code"], r["name"], period, mode, as_of, v["v"], metas[c]["unit"])
            for r in ctx["rows"] for c, v in zip(codes, r["values"], strict=True)]
    rows += [base_row(c, metas[c]["name"], "KZ", kz_name, period, mode, as_of, ctx["national_values"].get(c),
                      metas[c]["unit"]) for c in codes]
    meta = _meta(request, _("Region comparison"), codes, mode, as_of, [period])
    return export_response(want.fmt, rows, meta, file_stem(codes, "regions", [period], mode, as_of))


def equity_export(request: HttpRequest, want: Want, ctx: Mapping[str, Any]) -> HttpResponse:
    """/equity/: `parity` (GPIA and LPIA of the indicator by region and for Kazakhstan, with the values
    of both groups) or `measures` (the equity of expenditure per pupil within the chosen region)."""
    unavailable(ctx)
    mode, period = ctx["mode"], ctx["period"]
    as_of = as_of_of(mode, ctx["as_of"])
    if want.table == "measures":
        code, region = "EXP_PER_PUPIL", ctx["region"]
        name = ab.indicator_name(code)
        rows = [base_row(code, name, region, ctx["region_name"], period, mode, as_of, m["value"],
                         "KZT" if m["kzt"] else "", measure=m["code"], measure_name=str(m["label"]),
                         organizations=ctx["org_count"], pupils=ctx["pupils"])
                for m in ctx["measures"]]
        meta = _meta(request, _("Equity measures"), [code], mode, as_of, [period],
                     settings=[("region", _("Region"), f"{region} {ctx['region_name']}")],
                     formats={"organizations": FORMAT_COUNT, "pupils": FORMAT_COUNT})
        return export_response(want.fmt, rows, meta, file_stem([code], f"equity-{region}", [period], mode, as_of))
    code, ind = ctx["code"], ctx["indicator"]
    groups = {p["code"]: (p["numerator"], p["denominator"]) for p in service.catalogue().parity}
    rows = []
    for r in ctx["parity_rows"]:
        for index in ctx["indices"]:
            p = r.get(index) or {}
            a, b = groups.get(index, ("", ""))
            rows.append(base_row(code, ind["name"], r["code"], r["name"], period, mode, as_of, p.get("index"), "",
                                 parity_index=index, group_a=a, value_a=p.get("a"), group_b=b, value_b=p.get("b"),
                                 indicator_unit=ind["unit"], within_band=p.get("within")))
    meta = _meta(request, _("Gender and rural–urban parity"), [code], mode, as_of, [period],
                 unit_columns={"value": "unit", "value_a": "indicator_unit", "value_b": "indicator_unit"})
    return export_response(want.fmt, rows, meta, file_stem([code], "parity-regions", [period], mode, as_of))


def profile_export(request: HttpRequest, want: Want, unit: Any, ctx: Mapping[str, Any]) -> HttpResponse:
    """The org-unit profile's `indicators` table: the key indicators of `unit` over the recent school years."""
    if ctx.get("indicators_error"):
        raise BadExport(_("Indicator values are not available:") + f" {ctx['indicators_error']}", status=503)
    if "ind_cards" not in ctx:
        raise BadExport(_("This unit has no indicator table to export."), status=404)
    mode = ctx["ind_mode"]
    as_of = as_of_of(mode, ab.mode_params(request)[1])
    periods = list(ctx["ind_periods"])
    cards = ctx["ind_cards"]
    rows = [base_row(c["code"], c["name"], unit.code, unit.name, p, mode, as_of, v, c["unit"])
            for c in cards for p, v in zip(periods, c["series"], strict=True)]
    codes = [c["code"] for c in cards]
    meta = _meta(request, _("Key indicators"), codes, mode, as_of, periods)
    return export_response(want.fmt, rows, meta, file_stem(codes, unit.code, periods, mode, as_of))
