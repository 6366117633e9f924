"""The entry grid and the completeness map in a real browser (Debian's Chromium) over the live small demo."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser


def test_completeness_map_and_entry_grid(page):
    sign_in(page)
    page.goto(page.base + "/collection/completeness/SCHOOL_CENSUS/2024S/")
    page.wait_for_selector("#cmap canvas")
    assert "amCharts" in page.inner_text(".credit")
    shot(page, "collection-completeness")
    page.goto(page.base + "/collection/completeness/SCHOOL_CENSUS/2024S/?ou=KZ-75")
    # the demo has every school reporting: open the first school of Almaty from the approval page
    page.goto(page.base + "/collection/approval/SCHOOL_CENSUS/KZ-75/2024S/")
    page.locator("table.data a").first.click()
    page.wait_for_load_state("networkidle")
    if "/entry/" not in page.url:  # a district: one level further down
        page.locator("table.data a").first.click()
        page.wait_for_load_state("networkidle")
    assert "/collection/entry/SCHOOL_CENSUS/" in page.url
    grid = page.locator('table[data-grid="ENROL"]')
    f01 = grid.locator('input[name="v:ENROL:SEX=F,GRADE=G01"]')
    m01 = grid.locator('input[name="v:ENROL:SEX=M,GRADE=G01"]')
    f01.fill("7")
    m01.fill("5")
    row_total = grid.locator("tbody tr").nth(1).locator("[data-row-total]")
    assert row_total.inner_text().replace("\u202f", "").replace(",", "").replace(" ", "") == "12"
    f01.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "v:ENROL:SEX=M,GRADE=G01"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.name") == "v:ENROL:SEX=M,GRADE=G02"
    assert "changed" in (f01.get_attribute("class") or "")
    shot(page, "collection-entry")
    page.once("dialog", lambda d: d.accept())
    page.click("#entry-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator('input[name="v:ENROL:SEX=F,GRADE=G01"]').input_value() == "7"
    assert page.locator("#validation").is_visible()
