"""The CSV and XLSX links of the region comparison download the page's own table with its metadata.

The interface is Kazakh here (decimal commas on the page), so that the check says what it should: the
file's numbers are plain, and equal to the analytics API's answer for the same selection.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.browser.conftest import api, choose_language, shot


@pytest.fixture
def kazakh_admin(admin_page):
    choose_language(admin_page, "kk")
    try:
        yield admin_page
    finally:
        choose_language(admin_page, "en")  # the administrator's session is shared by the other tests


def test_compare_csv_link_downloads_the_api_figures(kazakh_admin, demo_service):
    page = kazakh_admin
    latest = demo_service.periods_available("ENROL")[-1]
    page.goto(page.base + f"/compare/?ind=GER_ISCED1&ind=PTR_ISCED1&period={latest}")
    page.wait_for_selector("#compare-chart[data-ready='1'] canvas")
    # the page shows localised figures (a decimal comma in Kazakh)
    assert "," in page.locator("#regions-table tbody td.num").first.inner_text()
    link = page.locator(".tools:has(+ #regions-table) a[data-export=csv]")
    assert link.inner_text() == "CSV" and "format=csv" in link.get_attribute("href")
    assert page.locator(".tools:has(+ #regions-table) a[data-export=xlsx]").inner_text() == "XLSX"
    with page.expect_download() as dl:
        link.click()
    y = int(latest[:4])
    today = dt.date.today().isoformat()
    assert dl.value.suggested_filename == f"GER_ISCED1+PTR_ISCED1_regions_{y}-{(y + 1) % 100:02d}_current_{today}.csv"
    with open(dl.value.path(), encoding="utf-8") as f:
        rows = list(csv.reader(io.StringIO(f.read())))
    header, body = rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert header[:10] == ["indicator", "indicator_name", "ou_code", "ou_name", "period", "school_year", "mode",
                           "as_of", "value", "unit"]
    got = {(r["indicator"], r["ou_code"]): float(r["value"]) for r in body if r["value"] and r["ou_code"] != "KZ"}
    answer = api(page, "/analytics", dx="GER_ISCED1;PTR_ISCED1", pe=latest, ou="LEVEL-region")
    expected = {(dx, ou): v for dx, _pe, ou, v, *_ in answer["rows"] if v is not None}
    assert expected and got == expected
    assert {(r["mode"], r["as_of"], r["school_year"]) for r in body} == {("current", today, f"{y}/{(y + 1) % 100:02d}")}
    # names in the interface language (Kazakh), codes beside them
    assert any(r["ou_code"] == "KZ-75" and r["ou_name"] != "Almaty" for r in body)
    # the chart's tools link to the same export; PNG and SVG stay in the browser
    tools = page.locator(".tools:has(button[data-toggle=compare-chart])")
    assert tools.locator("a[data-export=csv]").get_attribute("href") == link.get_attribute("href")
    assert tools.locator("button[data-chart-image]").count() == 2 and tools.locator("button[data-csv]").count() == 0
    shot(page, "compare-export-links", full=False)


def test_compare_xlsx_link_downloads_a_workbook(admin_page, demo_service):
    from openpyxl import load_workbook

    page = admin_page
    latest = demo_service.periods_available("ENROL")[-1]
    page.goto(page.base + f"/compare/?ind=EXP_PER_PUPIL&period={latest}&mode=historical")
    with page.expect_download() as dl:
        page.locator(".tools:has(+ #regions-table) a[data-export=xlsx]").click()
    assert dl.value.suggested_filename.endswith("_historical.xlsx")
    with open(dl.value.path(), "rb") as f:  # the download has no extension, which openpyxl wants
        wb = load_workbook(f)
    assert wb.sheetnames == ["data", "metadata"]
    values = [r[8] for r in wb["data"].iter_rows(min_row=2) if r[8].value is not None]
    assert values and all(c.data_type == "n" and c.number_format == "#,##0" for c in values)
    meta = {r[0]: r[2] for r in wb["metadata"].iter_rows(values_only=True) if r and r[0]}
    assert meta["mode"] == "historical" and not meta.get("as_of") and "synthetic" in meta


def test_client_side_csv_has_one_header_row_and_raw_numbers(kazakh_admin):
    page = kazakh_admin
    page.goto(page.base + "/equity/?region=KZ-75")
    page.wait_for_selector("#lorenz-chart[data-ready='1'] canvas")
    with page.expect_download() as dl:
        page.click("button[data-csv=lorenz-table]")
    with open(dl.value.path(), encoding="utf-8-sig") as f:
        rows = list(csv.reader(io.StringIO(f.read())))
    assert all("\n" not in h and h == h.strip() for h in rows[0])
    assert [float(x) for x in rows[-1]] == [1.0, 1.0]  # data-value: "1.0", not the page's "1,0"
