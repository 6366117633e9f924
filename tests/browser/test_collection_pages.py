"""Data collection pages in a real browser: the form picker, approval, validation, completeness and the
import page with its form template. (The entry grid and the completeness map are in
tests/approval/test_browser_entry.py.) Expected figures come from the collection and registry JSON API.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser.conftest import api, shot

FORM = "SCHOOL_CENSUS"
CITY = "KZ-75"


@pytest.fixture
def period(demo_service):
    """The latest school year of the demo (the census forms are collected per school year)."""
    return demo_service.periods_available("ENROL")[-1]


def test_form_picker_opens_the_approval_page(admin_page, period):
    page = admin_page
    expected = api(page, f"/collection/approvals/{FORM}/{CITY}/{period}")
    page.goto(page.base + "/collection/")
    assert page.locator("select[name=data_set] option").count() >= 5
    shot(page, "collection-index")
    page.select_option("select[name=data_set]", FORM)
    page.fill("input[name=ou]", CITY)
    page.fill("input[name=period]", period)
    page.select_option("select[name=page]", "approval")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith(f"/collection/approval/{FORM}/{CITY}/{period}/")
    rows = page.locator("main table.data tbody tr")
    assert rows.locator("td:first-child a").all_inner_texts() == [c["org_unit"] for c in expected["children"]]
    assert rows.locator("td:nth-child(2)").all_inner_texts() == [c["name"] for c in expected["children"]]
    pending = sum(not c["done"] for c in expected["children"])
    assert f"{pending} of {len(expected['children'])}" in page.locator("main").inner_text()
    # the API's ISO date, shown in the page language's format (en: "31 Oct 2024")
    import datetime as dt

    due = dt.date.fromisoformat(expected["deadline"])
    assert f"{due.day} {due:%b} {due.year}" in page.locator("main").inner_text()
    shot(page, "collection-approval-almaty")


def test_validation_page_checks_every_reporter(admin_page, period):
    page = admin_page
    reporters = api(page, f"/collection/completeness/{FORM}/{period}", org_unit=CITY)["total"]["expected"]
    page.goto(page.base + f"/collection/validation/{FORM}/{CITY}/{period}/")
    meta = page.locator("main > p.meta").first.inner_text()
    assert f"{reporters} reporting units checked" in meta
    violations = page.locator("main section.panel table.data tbody tr").count()
    assert f"{violations} violations" in meta
    if not violations:
        assert page.locator("text=No rule is violated.").is_visible()
    shot(page, "collection-validation-almaty")


def test_completeness_figures_table_and_download(admin_page, period):
    page = admin_page
    expected = api(page, f"/collection/completeness/{FORM}/{period}")
    page.goto(page.base + f"/collection/completeness/{FORM}/{period}/")
    cards = page.locator("main .cards .card .value").all_inner_texts()
    total = expected["total"]
    assert [int(c) for c in cards] == [total["expected"], total["reported"], total["submitted"], total["on_time"]]
    table = page.locator("#completeness-table")
    rows = table.locator("tbody tr")
    assert rows.locator("td:first-child a").all_inner_texts() == [c["code"] for c in expected["children"]]
    for i, child in enumerate(expected["children"]):
        cells = rows.nth(i).locator("td")
        assert (int(cells.nth(2).inner_text()), int(cells.nth(3).inner_text())) == (child["expected"],
                                                                                    child["reported"])
    page.wait_for_selector("#cmap canvas")
    shot(page, "collection-completeness-republic")
    # the map's table view and its download
    with page.expect_download() as dl:
        page.click("#ctable button:has-text('Download CSV')")
    with open(dl.value.path(), encoding="utf-8-sig") as f:
        lines = list(csv.reader(io.StringIO(f.read())))
    assert len(lines) == len(expected["children"]) + 1
    assert [r[0] for r in lines[1:]] == [c["code"] for c in expected["children"]]
    page.click("button:has-text('Map / table')")
    assert not table.is_visible() and page.locator("#cmap").is_visible()
    page.click("button:has-text('Map / table')")
    assert table.is_visible() and not page.locator("#cmap").is_visible()


def test_import_page_downloads_a_prefilled_form_template(admin_page, period):
    from openpyxl import load_workbook

    page = admin_page
    school = api(page, "/orgunits", kind="organization", type="SCHOOL", parent=CITY, limit=1)["items"][0]
    page.goto(page.base + "/exchange/upload/")
    assert page.locator("#upload-form input[type=file]").count() == 1
    assert page.locator(f"#template-form select[name=data_set] option[value={FORM}]").count() == 1
    shot(page, "exchange-upload")
    page.select_option("#template-form select[name=data_set]", FORM)
    page.fill("#template-form input[name=org_unit]", school["code"])
    page.fill("#template-form input[name=period]", period)
    with page.expect_download() as dl:
        page.click("#template-form button[type=submit]")
    assert dl.value.suggested_filename == f"{FORM}_{school['code']}_{period}.xlsx"
    with open(dl.value.path(), "rb") as f:
        wb = load_workbook(io.BytesIO(f.read()))
    assert wb.properties.title == f"{FORM} {school['code']} {period}"
    cells = {str(c.value) for row in wb["dataValues"].iter_rows() for c in row if c.value is not None}
    assert school["code"] in cells and "ENROL" in " ".join(cells)
