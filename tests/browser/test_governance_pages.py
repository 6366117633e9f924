"""Meetings, instructions and execution control in a real browser over the small demo."""

from __future__ import annotations

import pytest

from tests.browser.conftest import set_language, shot

MEETING = "MES-2019-09-05"


@pytest.fixture
def signed_in(admin_page):
    return admin_page


def test_meetings_list_shows_the_expanded_collegium(signed_in):
    page = signed_in
    page.goto(page.base + "/meetings/")
    row = page.locator("#meetings-table tbody tr", has_text=MEETING)
    assert row.count() == 1
    assert "2019" in row.inner_text() and "Expanded collegium" in row.inner_text()
    shot(page, "governance-meetings")


def test_meeting_detail_has_agenda_participants_proposals_and_instructions(signed_in):
    page = signed_in
    page.goto(page.base + f"/meetings/{MEETING}/")
    assert "5 Sep 2019" in page.locator("#meeting-date").inner_text()  # one unambiguous en date
    assert "Аймагамбетов" in page.content()
    assert page.locator("#participants-table tbody tr").count() >= 5
    agenda = page.locator("#agenda").inner_text()
    assert "Plenary part" in agenda and "Sections" in agenda
    assert "Three-shift schools" in agenda
    assert page.locator("#proposals-table tbody tr").count() == 5
    assert page.locator("#instructions-table tbody tr").count() == 7
    assert page.locator("#instructions-table tbody tr.overdue").count() >= 1
    shot(page, "governance-meeting")


def test_language_switch_keeps_content_and_changes_lang(signed_in):
    page = signed_in
    page.goto(page.base + f"/meetings/{MEETING}/")
    set_language(page, "ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "Расширенное заседание коллегии" in page.locator("h1").inner_text()
    assert MEETING in page.content()
    shot(page, "governance-meeting-ru")
    set_language(page, "kk")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert "алқасының кеңейтілген отырысы" in page.locator("h1").inner_text()
    set_language(page, "en")
    assert "Expanded meeting of the collegium" in page.locator("h1").inner_text()


def test_instruction_filters(signed_in):
    page = signed_in
    page.goto(page.base + "/instructions/")
    assert page.locator("#instructions-table tbody tr").count() == 7
    page.select_option("select[name=overdue]", "1")
    page.click("#instruction-filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#instructions-table tbody tr")
    assert rows.count() == 3
    assert rows.locator(".badge.bad").count() == 3
    page.select_option("select[name=overdue]", "")
    page.select_option("select[name=status]", "executed")
    page.click("#instruction-filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#instructions-table tbody tr").count() == 2
    shot(page, "governance-instructions-executed")


def test_instruction_detail_shows_history_extension_and_reports(signed_in, demo_service):
    latest = demo_service.periods_available("ENROL")[-1]
    df = demo_service.indicators(["PRESCH_COV_3_6"], [latest], ou_codes=["KZ-35"])
    expected = f"{float(df['value'].iloc[0]):,.2f}"
    page = signed_in
    page.goto(page.base + f"/instructions/{MEETING}-2/")
    assert "31 Dec 2022" in page.locator("#extensions").inner_text()
    assert "31 Dec 2021" in page.locator("#extensions").inner_text()
    assert page.locator("#execution-reports tbody tr").count() == 2
    assert "Executed" in page.locator("#status-history").inner_text()
    page.wait_for_selector("#trend-chart[data-ready='1'] canvas")
    page.click("button[data-toggle=trend-chart]")
    row = page.locator("#trend-table tbody tr", has_text="PRESCH_COV_3_6")
    assert row.locator("td").nth(-2).inner_text() == expected  # the latest school year, before the change column
    shot(page, "governance-instruction")


def test_control_dashboard_counts_and_chart(signed_in):
    page = signed_in
    page.goto(page.base + "/control/?as_of=2026-01-01")
    assert page.locator("#overdue-count").inner_text().strip() == "3"
    assert page.locator("#overdue-table tbody tr").count() == 3
    # 2 executed on time out of 2 executed + 3 overdue
    assert page.locator("#on-time-rate").inner_text().startswith("40")
    page.wait_for_selector("#control-chart[data-ready='1'] canvas")
    page.click("button[data-toggle=control-chart]")
    assert page.locator("#control-table").is_visible()
    assert "Education Department of Almaty" in page.locator("#control-table").inner_text()
    with page.expect_download() as dl:
        page.click("button[data-csv=control-table]")
    assert dl.value.suggested_filename == "control-by-body.csv"
    shot(page, "governance-control")


def test_control_on_phone_width(admin_phone):
    page = admin_phone
    page.goto(page.base + "/control/")
    page.wait_for_selector("#control-chart[data-ready='1'] canvas")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    shot(page, "governance-control-phone")
